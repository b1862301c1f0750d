/**
 * The log as CSV, streamed a page at a time (never the whole log in memory), safe to open in a
 * spreadsheet: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
 * `'` so that it is read as text, not as a formula (OWASP "CSV injection").
 */
import type { LogQuery } from '../../services/contract.js';
import { toLogEntry, type LogStore } from './log-store.js';

export const CSV_COLUMNS = ['id', 'createdAt', 'status', 'source', 'to', 'subject', 'attempts', 'durationMs', 'errorCode', 'errorMessage', 'requestId'] as const;

export function csvCell(value: unknown): string {
  let text = value === undefined || value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvRow = (cells: readonly unknown[]): string => `${cells.map(csvCell).join(',')}\r\n`;

/** A byte stream of the CSV for `query` (its status, text and date filters; its cursor and limit ignored). */
export function logCsvStream(store: LogStore, query: LogQuery, pageSize = 200): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cursor: string | undefined;
  let started = false;
  let done = false;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (!started) {
          started = true;
          // The byte order mark makes spreadsheet programs read the file as UTF-8.
          controller.enqueue(encoder.encode(`\uFEFF${csvRow(CSV_COLUMNS)}`));
          return;
        }
        if (done) {
          controller.close();
          return;
        }
        const { rows, nextCursor } = store.page({ status: query.status, q: query.q, from: query.from, to: query.to, cursor, limit: pageSize });
        let chunk = '';
        for (const row of rows) {
          const entry = toLogEntry(row);
          chunk += csvRow([
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
        }
        if (chunk) controller.enqueue(encoder.encode(chunk));
        if (nextCursor) cursor = nextCursor;
        else done = true;
      },
    },
    { highWaterMark: 1 },
  );
}
