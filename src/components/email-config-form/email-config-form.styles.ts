import { css } from 'lit';
import { sharedStyles } from '../shared/styles.js';

export const emailConfigFormStyles = [
  sharedStyles,
  css`
  :host {
    max-inline-size: var(--gm-form-max-width, 48rem);
  }
  * {
    box-sizing: border-box;
  }
  .tablist {
    display: flex;
    gap: 0.25rem;
    border-block-end: 1px solid var(--gm-color-border, #8a8886);
    margin-block-end: var(--gm-spacing-medium, 1rem);
  }
  [role='tab'] {
    font: inherit;
    padding: 0.5rem 1rem;
    border: 1px solid transparent;
    border-block-end: none;
    border-radius: var(--gm-border-radius, 4px) var(--gm-border-radius, 4px) 0 0;
    background: transparent;
    color: inherit;
    cursor: pointer;
    margin-block-end: -1px;
  }
  [role='tab'][aria-selected='true'] {
    border-color: var(--gm-color-border, #8a8886);
    background: var(--gm-color-surface, #ffffff);
    font-weight: 600;
  }
  [role='tabpanel'] {
    display: grid;
    gap: var(--gm-spacing-medium, 1rem);
  }
  [role='tabpanel'][hidden] {
    display: none;
  }
  .field {
    display: grid;
    grid-template-columns: minmax(10rem, 14rem) minmax(0, 1fr);
    gap: 0.25rem var(--gm-spacing-medium, 1rem);
    align-items: start;
  }
  .field > label,
  .field > .label {
    padding-block-start: 0.375rem;
    font-weight: 600;
  }
  .field > .control {
    display: grid;
    gap: 0.25rem;
    min-inline-size: 0;
  }
  .row {
    display: flex;
    gap: var(--gm-spacing-small, 0.5rem);
    align-items: center;
  }
  .row > input {
    flex: 1;
  }
  @media (max-width: 40rem) {
    .field {
      grid-template-columns: 1fr;
    }
  }
  .required {
    color: var(--gm-color-danger-text, #a4262c);
    margin-inline-start: 0.125rem;
  }
  input,
  select,
  textarea {
    font: inherit;
    color: inherit;
    padding: var(--gm-input-padding, 0.375rem 0.5rem);
    border: 1px solid var(--gm-input-border-color, #8a8886);
    border-radius: var(--gm-border-radius, 4px);
    background: var(--gm-input-background, #ffffff);
    inline-size: 100%;
  }
  input[type='checkbox'] {
    inline-size: auto;
    margin-block-start: 0.5rem;
    justify-self: start;
  }
  textarea {
    font-family: var(--gm-font-mono, ui-monospace, monospace);
    min-block-size: 6rem;
  }
  input[readonly],
  textarea[readonly],
  select:disabled {
    background: var(--gm-input-readonly-background, #f3f2f1);
  }
  [aria-invalid='true'] {
    border-color: var(--gm-color-danger-text, #a4262c);
    box-shadow: 0 0 0 1px var(--gm-color-danger-text, #a4262c);
  }
  :focus-visible {
    outline: var(--gm-focus-ring, 2px solid #0f6cbd);
    outline-offset: 2px;
  }
  .hint {
    margin: 0;
    font-size: 0.925em;
    color: var(--gm-color-text-muted, #505050);
  }
  .feedback {
    margin: 0;
    font-size: 0.925em;
    color: var(--gm-color-danger-text, #a4262c);
    overflow-wrap: anywhere;
  }
  .notice,
  .warning,
  .error,
  .success {
    margin: 0;
    padding: var(--gm-spacing-small, 0.5rem) 0.75rem;
    border-radius: var(--gm-border-radius, 4px);
    overflow-wrap: anywhere;
  }
  .notice {
    background: var(--gm-color-info-background, #ebf3fc);
    color: var(--gm-color-info-text, #0c3b5e);
  }
  .warning {
    background: var(--gm-color-warning-background, #fff4ce);
    color: var(--gm-color-warning-text, #6a4b00);
  }
  .error {
    background: var(--gm-color-danger-background, #fde7e9);
    color: var(--gm-color-danger-text, #a4262c);
  }
  .success {
    background: var(--gm-color-success-background, #dff6dd);
    color: var(--gm-color-success-text, #0e5c0e);
  }
  button.primary {
    background: var(--gm-color-primary, #0f6cbd);
    border-color: var(--gm-color-primary, #0f6cbd);
    color: var(--gm-color-on-primary, #ffffff);
  }
  .link-button {
    border: none;
    background: none;
    padding: 0;
    color: var(--gm-color-link, #0f6cbd);
    text-decoration: underline;
    justify-self: start;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: var(--gm-spacing-small, 0.5rem);
    margin-block-start: var(--gm-spacing-medium, 1rem);
  }
  .panel {
    display: grid;
    gap: var(--gm-spacing-small, 0.5rem);
    margin-block-start: var(--gm-spacing-medium, 1rem);
    padding: var(--gm-spacing-medium, 1rem);
    border: 1px solid var(--gm-color-border, #8a8886);
    border-radius: var(--gm-border-radius, 4px);
    background: var(--gm-color-surface, #ffffff);
  }
  .panel h3,
  .panel h4 {
    margin: 0;
    font-size: 1em;
  }
  .steps {
    list-style: none;
    margin: 0;
    padding: 0;
    display: grid;
    gap: 0.375rem;
  }
  .step {
    display: grid;
    grid-template-columns: 1.5rem minmax(0, 1fr) auto;
    gap: 0.25rem 0.5rem;
    align-items: start;
  }
  .step .more {
    grid-column: 2 / -1;
    display: grid;
    gap: 0.25rem;
  }
  .icon {
    font-weight: 700;
    text-align: center;
  }
  .icon.ok {
    color: var(--gm-color-success-text, #0e5c0e);
  }
  .icon.failed {
    color: var(--gm-color-danger-text, #a4262c);
  }
  .icon.skipped {
    color: var(--gm-color-text-muted, #505050);
  }
  .ms {
    color: var(--gm-color-text-muted, #505050);
    font-variant-numeric: tabular-nums;
  }
  dl.ids {
    display: grid;
    grid-template-columns: auto minmax(0, 1fr);
    gap: 0.125rem 0.75rem;
    margin: 0;
  }
  dl.ids dt {
    font-weight: 600;
  }
  dl.ids dd {
    margin: 0;
    font-family: var(--gm-font-mono, ui-monospace, monospace);
    overflow-wrap: anywhere;
  }
  .perms {
    margin: 0;
    padding-inline-start: 1.25rem;
  }
  .granted {
    color: var(--gm-color-success-text, #0e5c0e);
  }
  .missing {
    color: var(--gm-color-danger-text, #a4262c);
    font-weight: 600;
  }
  details {
    border: 1px solid var(--gm-color-border, #8a8886);
    border-radius: var(--gm-border-radius, 4px);
    padding: var(--gm-spacing-small, 0.5rem) 0.75rem;
  }
  summary {
    cursor: pointer;
    font-weight: 600;
  }
  details ol {
    display: grid;
    gap: 0.375rem;
  }
  code {
    font-family: var(--gm-font-mono, ui-monospace, monospace);
    overflow-wrap: anywhere;
  }
  dialog {
    max-inline-size: 32rem;
    border: 1px solid var(--gm-color-border, #8a8886);
    border-radius: var(--gm-border-radius, 4px);
    padding: var(--gm-spacing-medium, 1rem);
    color: inherit;
    background: var(--gm-color-surface, #ffffff);
  }
  dialog h2 {
    margin-block-start: 0;
    font-size: 1.125em;
  }
  .visually-hidden {
    position: absolute;
    inline-size: 1px;
    block-size: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`,
];
