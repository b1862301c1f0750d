import { css } from 'lit';
import { sharedStyles } from '../shared/styles.js';

export const azureConnectButtonStyles = [
  sharedStyles,
  css`
  .base {
    display: grid;
    gap: var(--gm-spacing-small, 0.5rem);
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--gm-spacing-small, 0.5rem);
  }
  button[part~='button'] {
    background: var(--gm-color-primary, #0f6cbd);
    border-color: var(--gm-color-primary, #0f6cbd);
    color: var(--gm-color-on-primary, #ffffff);
  }
  button:focus-visible {
    outline: var(--gm-focus-ring, 2px solid #0f6cbd);
    outline-offset: 2px;
  }
  .account {
    margin: 0;
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  .reason,
  .progress-text {
    margin: 0;
    color: var(--gm-color-text-muted, #505050);
    font-size: 0.925em;
  }
  .progress {
    display: flex;
    align-items: center;
    gap: var(--gm-spacing-small, 0.5rem);
  }
  progress {
    inline-size: 8rem;
    accent-color: var(--gm-color-primary, #0f6cbd);
  }
  .error,
  .warning {
    margin: 0;
    padding: var(--gm-spacing-small, 0.5rem);
    border-radius: var(--gm-border-radius, 4px);
    overflow-wrap: anywhere;
  }
  .error {
    color: var(--gm-color-danger-text, #a4262c);
    background: var(--gm-color-danger-background, #fde7e9);
  }
  .warning {
    color: var(--gm-color-warning-text, #6a4b00);
    background: var(--gm-color-warning-background, #fff4ce);
  }
  .live {
    position: absolute;
    inline-size: 1px;
    block-size: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`,
];
