/**
 * The rules every element shares (the host box, its font and colour, its buttons), so a host restyles
 * them through the same custom properties everywhere (`--gm-button-*`, `--gm-border-radius`). Elements list this before their own
 * styles and override what differs.
 */
import { css } from 'lit';

export const sharedStyles = css`
  :host {
    display: block;
    font: inherit;
    color: var(--gm-color-text, inherit);
  }
  :host([hidden]) {
    display: none;
  }
  button {
    font: inherit;
    cursor: pointer;
    padding: var(--gm-button-padding, 0.375rem 0.875rem);
    border: 1px solid var(--gm-button-border-color, #8a8886);
    border-radius: var(--gm-border-radius, 4px);
    background: var(--gm-button-background, #ffffff);
    color: var(--gm-button-color, #1b1b1b);
  }
  button:disabled,
  button[aria-disabled='true'] {
    cursor: not-allowed;
    opacity: 0.6;
  }
`;
