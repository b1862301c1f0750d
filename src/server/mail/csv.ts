/**
 * The log as CSV, streamed a page at a time (never the whole log in memory), in the format of
 * src/services/log-csv.ts.
 */
import type { LogQuery } from '../../services/contract.js';
import { CSV_HEAD, csvEntry } from '../../services/log-csv.js';

export { csvCell, csvRow, CSV_COLUMNS } from '../../services/log-csv.js';
import { toLogEntry, type MailLog } from './store.js';

/** A byte stream of the CSV for `query` (its status, text and date filters; its cursor and limit ignored). */
export function logCsvStream(store: Pick<MailLog, 'page'>, configId: string, query: LogQuery, pageSize = 200): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cursor: string | undefined;
  let started = false;
  let done = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!started) {
          started = true;
          controller.enqueue(encoder.encode(CSV_HEAD));
          return;
        }
        if (done) {
          controller.close();
          return;
        }
        const { rows, nextCursor } = await store.page(configId, { status: query.status, q: query.q, from: query.from, to: query.to, cursor, limit: pageSize });
        let chunk = '';
        for (const row of rows) chunk += csvEntry(toLogEntry(row));
        if (chunk) controller.enqueue(encoder.encode(chunk));
        if (nextCursor) cursor = nextCursor;
        else done = true;
      },
    },
    { highWaterMark: 1 },
  );
}
