import { css } from 'lit';
import { sharedStyles } from '../shared/styles.js';

export const endpointTemplateEditorStyles = [
  sharedStyles,
  css`
  :host {
    --_input-padding: var(--gm-input-padding, 0.375rem 0.5rem);
    --_mono: var(--gm-font-monospace, ui-monospace, 'Cascadia Mono', Consolas, 'Liberation Mono', monospace);
  }
  .base {
    display: grid;
    gap: var(--gm-spacing, 1rem);
  }
  .header {
    display: flex;
    flex-wrap: wrap;
    align-items: flex-start;
    justify-content: space-between;
    gap: var(--gm-spacing-small, 0.5rem);
  }
  .notice,
  .locked,
  .offer,
  .warning {
    margin: 0;
    padding: var(--gm-spacing-small, 0.5rem);
    border-radius: var(--gm-border-radius, 4px);
  }
  .notice {
    flex: 1 1 20rem;
    color: var(--gm-color-info-text, #1b1b1b);
    background: var(--gm-color-info-background, #eef4fb);
  }
  .locked {
    color: var(--gm-color-text-muted, #505050);
    background: var(--gm-color-muted-background, #f3f2f1);
  }
  .offer,
  .warning {
    display: grid;
    gap: var(--gm-spacing-small, 0.5rem);
    color: var(--gm-color-warning-text, #6a4b00);
    background: var(--gm-color-warning-background, #fff4ce);
  }
  .offer p,
  .warning p {
    margin: 0;
  }
  .summary {
    margin: 0;
    font-weight: 600;
    color: var(--gm-color-danger-text, #a4262c);
  }
  .rows {
    display: grid;
    gap: var(--gm-spacing, 1rem);
    margin: 0;
    padding: 0;
  }
  .row {
    display: grid;
    gap: 0.25rem;
    min-inline-size: 0;
  }
  label {
    font-weight: 600;
  }
  .field {
    display: flex;
    gap: var(--gm-spacing-small, 0.5rem);
    align-items: flex-start;
    flex-wrap: wrap;
  }
  .input-wrap {
    position: relative;
    flex: 1 1 20rem;
    min-inline-size: 0;
    border: 1px solid var(--gm-input-border-color, #8a8886);
    border-radius: var(--gm-border-radius, 4px);
    background: var(--gm-input-background, #ffffff);
    overflow: hidden;
  }
  .input-wrap:focus-within {
    outline: var(--gm-focus-ring, 2px solid #0f6cbd);
    outline-offset: 1px;
  }
  .input-wrap.invalid {
    border-color: var(--gm-color-danger-text, #a4262c);
  }
  .input-wrap.locked {
    background: var(--gm-input-background-disabled, #f3f2f1);
  }
  /* The input and its mirror must lay text out identically: same font, padding and line height. */
  input,
  .mirror {
    box-sizing: border-box;
    font-family: var(--_mono);
    font-size: 0.925em;
    line-height: 1.5;
    letter-spacing: normal;
    padding: var(--_input-padding);
    margin: 0;
    border: 0;
  }
  input {
    position: relative;
    display: block;
    inline-size: 100%;
    background: transparent;
    color: transparent;
    caret-color: var(--gm-input-color, #1b1b1b);
    outline: none;
  }
  .mirror {
    position: absolute;
    inset: 0;
    overflow: hidden;
    white-space: pre;
    pointer-events: none;
    color: var(--gm-input-color, #1b1b1b);
  }
  .mirror-inner {
    display: inline-block;
  }
  .locked .mirror {
    color: var(--gm-color-text-muted, #505050);
  }
  .token {
    color: inherit;
    border-radius: 2px;
    background: var(--gm-token-background, #dcebfa);
  }
  .token.bad {
    background: var(--gm-token-invalid-background, #fde7e9);
    text-decoration: underline wavy var(--gm-color-danger-text, #a4262c);
  }
  /* In forced colours the transparent text would show twice: let the input draw its own text. */
  @media (forced-colors: active) {
    .mirror {
      display: none;
    }
    input {
      color: FieldText;
    }
  }
  .hint,
  .preview,
  .pending-note {
    margin: 0;
    color: var(--gm-color-text-muted, #505050);
    font-size: 0.925em;
    overflow-wrap: anywhere;
  }
  .preview code {
    font-family: var(--_mono);
    color: var(--gm-color-text, #1b1b1b);
  }
  .pending {
    font-style: italic;
    background: var(--gm-token-background, #dcebfa);
    border-radius: 2px;
  }
  .messages {
    margin: 0;
    padding: 0;
    list-style: none;
    display: grid;
    gap: 0.25rem;
  }
  .error {
    color: var(--gm-color-danger-text, #a4262c);
    overflow-wrap: anywhere;
  }
  button:focus-visible,
  [role='menuitem']:focus-visible {
    outline: var(--gm-focus-ring, 2px solid #0f6cbd);
    outline-offset: 2px;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: var(--gm-spacing-small, 0.5rem);
  }
  .menu-anchor {
    position: relative;
  }
  .menu {
    position: absolute;
    inset-inline-start: 0;
    inset-block-start: calc(100% + 2px);
    z-index: 10;
    min-inline-size: 16rem;
    display: grid;
    padding: 0.25rem 0;
    border: 1px solid var(--gm-menu-border-color, #8a8886);
    border-radius: var(--gm-border-radius, 4px);
    background: var(--gm-menu-background, #ffffff);
    color: var(--gm-menu-color, #1b1b1b);
    box-shadow: 0 4px 12px rgb(0 0 0 / 0.18);
  }
  [role='menuitem'] {
    display: grid;
    padding: 0.375rem 0.75rem;
    cursor: pointer;
  }
  [role='menuitem']:hover,
  [role='menuitem']:focus {
    background: var(--gm-menu-active-background, #eef4fb);
  }
  [role='menuitem'] code {
    font-family: var(--_mono);
    font-weight: 600;
  }
  [role='menuitem'] .description {
    font-size: 0.875em;
    color: var(--gm-color-text-muted, #505050);
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
