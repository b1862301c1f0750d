import { css } from 'lit';
import { sharedStyles } from '../shared/styles.js';

// `.body` has `overflow-anchor: none`: the element keeps the rows in view still itself when live rows
// arrive above them, and the browser's own scroll anchoring would move them a second time.
export const notificationLogStyles = [
  sharedStyles,
  css`
  :host {
    --_border: var(--gm-color-border, #8a8886);
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    gap: var(--gm-spacing-small, 0.5rem);
    align-items: end;
    margin-bottom: var(--gm-spacing-small, 0.5rem);
  }
  .chips {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem;
    border: 0;
    padding: 0;
    margin: 0;
  }
  .chips legend {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
  }
  label {
    display: grid;
    gap: 0.125rem;
    font-size: 0.875em;
  }
  input,
  button {
    font: inherit;
  }
  input {
    padding: var(--gm-input-padding, 0.25rem 0.5rem);
    border: 1px solid var(--gm-input-border-color, #8a8886);
    border-radius: var(--gm-border-radius, 4px);
    background: var(--gm-input-background, #ffffff);
    color: inherit;
  }
  button {
    cursor: pointer;
    padding: var(--gm-button-padding, 0.25rem 0.75rem);
    border: 1px solid var(--gm-button-border-color, #8a8886);
    border-radius: var(--gm-border-radius, 4px);
    background: var(--gm-button-background, #ffffff);
    color: var(--gm-button-color, #1b1b1b);
  }
  button[aria-pressed='true'] {
    background: var(--gm-color-primary, #0f6cbd);
    border-color: var(--gm-color-primary, #0f6cbd);
    color: var(--gm-color-on-primary, #ffffff);
  }
  button:focus-visible,
  input:focus-visible,
  .detail:focus-visible,
  [role='row']:focus-visible {
    outline: var(--gm-focus-ring, 2px solid #0f6cbd);
    outline-offset: 1px;
  }
  .table {
    border: 1px solid var(--_border);
    border-radius: var(--gm-border-radius, 4px);
    background: var(--gm-color-surface, #ffffff);
  }
  .head,
  .row {
    display: grid;
    grid-template-columns: var(--gm-log-columns, 11rem minmax(8rem, 1.2fr) minmax(8rem, 2fr) 6.5rem 4.5rem 5rem minmax(6rem, 1.5fr));
    gap: 0.5rem;
    padding: 0.375rem 0.5rem;
    align-items: center;
  }
  .head {
    font-weight: 600;
    border-bottom: 1px solid var(--_border);
  }
  .body {
    height: var(--gm-log-height, 24rem);
    overflow: auto;
    position: relative;
    contain: strict;
    overflow-anchor: none;
  }
  .spacer {
    position: relative;
    width: 100%;
  }
  .row {
    position: absolute;
    left: 0;
    height: var(--gm-log-row-height, 2.25rem);
    width: 100%;
    box-sizing: border-box;
    border-bottom: 1px solid var(--gm-color-row-border, #edebe9);
    cursor: pointer;
  }
  .row[aria-selected='true'] {
    background: var(--gm-color-info-background, #ebf3fc);
  }
  .cell {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    min-width: 0;
  }
  .num {
    text-align: end;
    font-variant-numeric: tabular-nums;
  }
  .badge {
    display: inline-block;
    padding: 0 0.4rem;
    border-radius: 999px;
    font-size: 0.875em;
    border: 1px solid currentColor;
  }
  .badge.sent {
    color: var(--gm-color-success-text, #0e5c0e);
    background: var(--gm-color-success-background, #dff6dd);
  }
  .badge.failed {
    color: var(--gm-color-danger-text, #a4262c);
    background: var(--gm-color-danger-background, #fde7e9);
  }
  .badge.unknown {
    color: var(--gm-color-warning-text, #6a4b00);
    background: var(--gm-color-warning-background, #fff4ce);
  }
  .badge.queued,
  .badge.sending {
    color: var(--gm-color-info-text, #0c3b5e);
    background: var(--gm-color-info-background, #ebf3fc);
  }
  .muted {
    color: var(--gm-color-text-muted, #505050);
  }
  .footer {
    display: flex;
    gap: var(--gm-spacing-small, 0.5rem);
    align-items: center;
    justify-content: space-between;
    padding: 0.375rem 0.5rem;
  }
  .message {
    padding: 1rem 0.5rem;
  }
  .error {
    color: var(--gm-color-danger-text, #a4262c);
  }
  .detail {
    margin-top: var(--gm-spacing-small, 0.5rem);
    border: 1px solid var(--_border);
    border-radius: var(--gm-border-radius, 4px);
    padding: 0.5rem 0.75rem;
    background: var(--gm-color-surface, #ffffff);
  }
  .detail h3 {
    margin: 0 0 0.5rem;
    font-size: 1em;
    overflow-wrap: anywhere;
  }
  .detail dl {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 0.25rem 1rem;
    margin: 0 0 0.5rem;
  }
  .detail dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  .detail table {
    border-collapse: collapse;
    width: 100%;
    font-size: 0.9em;
  }
  .detail th,
  .detail td {
    text-align: start;
    border-bottom: 1px solid var(--gm-color-row-border, #edebe9);
    padding: 0.25rem;
    overflow-wrap: anywhere;
  }
  .mono {
    font-family: var(--gm-font-mono, ui-monospace, monospace);
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: var(--gm-spacing-small, 0.5rem);
    align-items: center;
    margin-top: 0.5rem;
  }
  .confirm {
    border-left: 4px solid var(--gm-color-warning-text, #6a4b00);
    background: var(--gm-color-warning-background, #fff4ce);
    padding: 0.5rem;
  }
  .budget {
    margin: 0 0 var(--gm-spacing-small, 0.5rem);
    font-size: 0.875em;
  }
  .chart {
    margin: 0 0 var(--gm-spacing-small, 0.5rem);
    display: flex;
    gap: var(--gm-spacing-small, 0.5rem);
    align-items: end;
  }
  .chart .sent {
    fill: var(--gm-color-success-text, #0e5c0e);
  }
  .chart .failed {
    fill: var(--gm-color-danger-text, #a4262c);
  }
  .chart figcaption {
    font-size: 0.8125em;
  }
  .cell {
    unicode-bidi: isolate;
  }
  .notice:empty {
    display: none;
  }
  .notice {
    margin: 0.5rem 0 0;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`,
];
