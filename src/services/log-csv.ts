/**
 * The notification log as CSV, one format for the server's streamed `/log.csv` and the MemoryAdapter's
 * download: the columns, quoting, and the formula guard (a cell that starts with `=`, `+`, `-`, `@`, a
 * tab or a carriage return gets a leading `'`, so a spreadsheet reads it as text: OWASP "CSV
 * injection").
 */
import type { LogEntry } from './contract.js';

export const CSV_COLUMNS = ['id', 'createdAt', 'status', 'source', 'to', 'subject', 'attempts', 'durationMs', 'errorCode', 'errorMessage', 'requestId'] as const;

export function csvCell(value: unknown): string {
  let text = value === undefined || value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvRow = (cells: readonly unknown[]): string => `${cells.map(csvCell).join(',')}\r\n`;

/** The first line, with the byte order mark that makes spreadsheet programs read the file as UTF-8. */
export const CSV_HEAD = `\uFEFF${csvRow(CSV_COLUMNS)}`;

export const csvEntry = (entry: LogEntry): string =>
  csvRow([
    entry.id,
    entry.createdAt,
    entry.status,
    entry.source,
    entry.to.join('; '),
    entry.subject,
    entry.attempts,
    entry.durationMs,
    entry.error?.code,
    entry.error?.message,
    entry.error?.requestId,
  ]);
