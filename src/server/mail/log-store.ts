/**
 * The notification log: reading the outbox rows as `LogEntry`s, newest first with keyset pagination,
 * filtered by status, text, and date range, with counts per status that follow every filter but the
 * status. Built to stay fast with a million rows:
 * - unfiltered counts come from `mail_counts` (kept by triggers), filtered ones from covering indexes;
 * - text of 3 characters or more goes through the trigram FTS5 index (a substring match, case-insensitive);
 *   shorter text has no trigram to look up and falls back to `LIKE` (ASCII case-insensitive), which
 *   scans: one or two characters match most rows, so a page fills after a short scan, and only the
 *   counts read every row in the date range.
 * Stored text is exactly what was sent; escaping is the renderer's job (SECURITY.md 19).
 */
import type { LogAttempt, LogCounts, LogEntry, LogEntryDetail, LogError, LogPage, LogQuery, LogStatus } from '../../services/contract.js';
import { LOG_STATUSES } from '../../services/contract.js';
import type { Db } from './types.js';
import { dateBounds } from '../../services/log-query.js';


export const MAX_PAGE = 200;
export const DEFAULT_PAGE = 50;

export interface OutboxRow {
  seq: number;
  id: string;
  created_at: number;
  updated_at: number;
  source: 'app' | 'test';
  status: LogStatus;
  recipients: string;
  to_json: string;
  subject: string;
  message_json: string;
  attachments_json: string;
  total_bytes: number;
  attempts: number;
  attempt_base: number;
  window_start: number | null;
  next_attempt_at: number;
  lease_until: number | null;
  lease_owner: string | null;
  finished_at: number | null;
  duration_ms: number;
  path: 'draft' | 'sendMail' | null;
  phase: 'new' | 'draft' | 'ready' | 'send-requested';
  draft_id: string | null;
  draft_user: string | null;
  send_requested_at: number | null;
  error_json: string | null;
}

const ENTRY_COLUMNS = 'seq, id, created_at, source, status, to_json, subject, attempts, duration_ms, error_json';
type EntryRow = Pick<OutboxRow, 'seq' | 'id' | 'created_at' | 'source' | 'status' | 'to_json' | 'subject' | 'attempts' | 'duration_ms' | 'error_json'>;

const parseJson = <T>(text: string | null, fallback: T): T => {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

export function toLogEntry(row: EntryRow): LogEntry {
  const entry: LogEntry = {
    id: row.id,
    createdAt: new Date(row.created_at).toISOString(),
    to: parseJson<string[]>(row.to_json, []),
    subject: row.subject,
    status: row.status,
    attempts: row.attempts,
    durationMs: row.duration_ms,
    source: row.source,
  };
  const error = parseJson<LogError | null>(row.error_json, null);
  if (error) entry.error = error;
  return entry;
}

/** Cursor: the last row's (created_at, id), base64url so the shared schema's pattern accepts it. */
export function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: number; id: string } | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,15}):([A-Za-z0-9-]{1,64})$/.exec(text);
  return match ? { createdAt: Number(match[1]), id: match[2] } : null;
}


const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);
/** An FTS5 string literal: the whole text as one phrase, which the trigram tokenizer reads as a substring. */
const ftsPhrase = (text: string) => `"${text.replace(/"/g, '""')}"`;

interface Filter {
  sql: string[];
  params: unknown[];
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

export class LogStore {
  constructor(private readonly db: Db) {}

  /** Every filter but status and cursor. */
  private baseFilter(query: LogQuery): Filter {
    const sql: string[] = [];
    const params: unknown[] = [];
    const { from, to } = dateBounds(query);
    if (from !== undefined) {
      sql.push('created_at >= ?');
      params.push(from);
    }
    if (to !== undefined) {
      sql.push('created_at < ?');
      params.push(to);
    }
    const text = query.q?.trim();
    if (text) {
      if ([...text].length >= 3) {
        sql.push('seq IN (SELECT rowid FROM mail_fts WHERE mail_fts MATCH ?)');
        params.push(ftsPhrase(text));
      } else {
        sql.push("(subject LIKE ? ESCAPE '\\' OR recipients LIKE ? ESCAPE '\\')");
        const like = `%${escapeLike(text)}%`;
        params.push(like, like);
      }
    }
    return { sql, params };
  }

  counts(query: LogQuery = {}): LogCounts {
    const counts = Object.fromEntries(LOG_STATUSES.map((status) => [status, 0])) as LogCounts;
    if (!query.q?.trim() && (query.from || query.to)) return this.rangeCounts(query, counts);
    const filter = this.baseFilter(query);
    const rows = filter.sql.length
      ? (this.db.prepare(`SELECT status, count(*) AS n FROM mail_outbox WHERE ${filter.sql.join(' AND ')} GROUP BY status`).all(...filter.params) as Array<{ status: LogStatus; n: number }>)
      : (this.db.prepare('SELECT status, n FROM mail_counts').all() as Array<{ status: LogStatus; n: number }>);
    for (const row of rows) if (row.status in counts) counts[row.status] = row.n;
    return counts;
  }

  /**
   * Counts of a date range without a text filter: whole UTC days from the per-day table, and only the
   * partial days at either end counted row by row (at most two days of messages, by the time index).
   */
  private rangeCounts(query: LogQuery, counts: LogCounts): LogCounts {
    const DAY = 86_400_000;
    const { from = 0, to = Number.MAX_SAFE_INTEGER } = dateBounds(query);
    if (!(from < to)) return counts;
    const add = (rows: Array<{ status: LogStatus; n: number }>) => {
      for (const row of rows) if (row.status in counts) counts[row.status] += row.n;
    };
    const firstWholeDay = Math.ceil(from / DAY);
    const endWholeDay = Math.floor(Math.min(to, Number.MAX_SAFE_INTEGER) / DAY);
    const exact = this.db.prepare('SELECT status, count(*) AS n FROM mail_outbox WHERE created_at >= ? AND created_at < ? GROUP BY status');
    if (firstWholeDay >= endWholeDay) {
      add(exact.all(from, to) as Array<{ status: LogStatus; n: number }>);
      return counts;
    }
    add(this.db.prepare('SELECT status, sum(n) AS n FROM mail_daily_counts WHERE day >= ? AND day < ? GROUP BY status').all(firstWholeDay, endWholeDay) as Array<{ status: LogStatus; n: number }>);
    if (from < firstWholeDay * DAY) add(exact.all(from, firstWholeDay * DAY) as Array<{ status: LogStatus; n: number }>);
    if (endWholeDay * DAY < to) add(exact.all(endWholeDay * DAY, to) as Array<{ status: LogStatus; n: number }>);
    return counts;
  }

  /** One page of rows (no counts): the CSV export pages through with this. */
  page(query: LogQuery): { rows: EntryRow[]; nextCursor: string | null } {
    const limit = Math.min(Math.max(query.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
    const filter = this.baseFilter(query);
    const sql = [...filter.sql];
    const params = [...filter.params];
    if (query.status) {
      sql.push('status = ?');
      params.push(query.status);
    }
    if (query.cursor) {
      const cursor = decodeCursor(query.cursor);
      if (!cursor) throw new InvalidCursorError('The cursor is not one this server issued.');
      sql.push('(created_at < ? OR (created_at = ? AND id < ?))');
      params.push(cursor.createdAt, cursor.createdAt, cursor.id);
    }
    const where = sql.length ? `WHERE ${sql.join(' AND ')}` : '';
    const rows = this.db
      .prepare(`SELECT ${ENTRY_COLUMNS} FROM mail_outbox ${where} ORDER BY created_at DESC, id DESC LIMIT ?`)
      .all(...params, limit + 1) as EntryRow[];
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return { rows, nextCursor: more && last ? encodeCursor(last.created_at, last.id) : null };
  }

  query(query: LogQuery): LogPage {
    const { rows, nextCursor } = this.page(query);
    return { items: rows.map(toLogEntry), nextCursor, counts: this.counts(query) };
  }

  entry(id: string): LogEntry | null {
    const row = this.db.prepare(`SELECT ${ENTRY_COLUMNS} FROM mail_outbox WHERE id = ?`).get(id) as EntryRow | undefined;
    return row ? toLogEntry(row) : null;
  }

  detail(id: string): LogEntryDetail | null {
    const row = this.db.prepare(`SELECT ${ENTRY_COLUMNS} FROM mail_outbox WHERE id = ?`).get(id) as EntryRow | undefined;
    if (!row) return null;
    const attempts = this.db
      .prepare('SELECT at, outcome, http_status, request_id, client_request_id, error_json, ms FROM mail_attempts WHERE message_seq = ? ORDER BY id')
      .all(row.seq) as Array<{ at: number; outcome: LogAttempt['outcome']; http_status: number | null; request_id: string | null; client_request_id: string | null; error_json: string | null; ms: number }>;
    const history = attempts.map((attempt) => {
      const item: LogAttempt = { at: new Date(attempt.at).toISOString(), outcome: attempt.outcome, ms: attempt.ms };
      if (attempt.http_status !== null) item.httpStatus = attempt.http_status;
      if (attempt.request_id) item.requestId = attempt.request_id;
      if (attempt.client_request_id) item.clientRequestId = attempt.client_request_id;
      const error = parseJson<LogError | null>(attempt.error_json, null);
      if (error) item.error = error;
      return item;
    });
    return { ...toLogEntry(row), history };
  }

  /** Queued messages and failures of the last hour, for `/health`. */
  outboxHealth(now = Date.now()): { queued: number; failedLastHour: number; lastSentAt: string | null } {
    const queued = (this.db.prepare("SELECT n FROM mail_counts WHERE status = 'queued'").get() as { n: number } | undefined)?.n ?? 0;
    const failed = (this.db.prepare("SELECT count(*) AS n FROM mail_outbox WHERE status = 'failed' AND finished_at >= ?").get(now - 3_600_000) as { n: number }).n;
    const last = (this.db.prepare("SELECT max(finished_at) AS at FROM mail_outbox WHERE status = 'sent'").get() as { at: number | null }).at;
    return { queued, failedLastHour: failed, lastSentAt: last === null ? null : new Date(last).toISOString() };
  }

  addWarning(code: string, message: string, hint: string, at = Date.now()): MailWarning {
    const result = this.db.prepare('INSERT INTO mail_warnings (at, code, message, hint) VALUES (?, ?, ?, ?)').run(at, code, message, hint);
    return { id: Number(result.lastInsertRowid), at: new Date(at).toISOString(), code, message, hint };
  }

  warnings(limit = 50): MailWarning[] {
    const rows = this.db.prepare('SELECT id, at, code, message, hint FROM mail_warnings ORDER BY at DESC, id DESC LIMIT ?').all(Math.min(Math.max(limit, 1), MAX_PAGE)) as Array<{
      id: number;
      at: number;
      code: string;
      message: string;
      hint: string;
    }>;
    return rows.map((row) => ({ ...row, at: new Date(row.at).toISOString() }));
  }

  /**
   * Deletes finished rows (sent, failed, unknown) created before `cutoff`, with their attempts and
   * warnings, a batch at a time so that writers are never blocked for long. Returns the ids removed,
   * whose attachment folders the caller deletes.
   */
  purgeBatch(cutoff: number, batch = 500): string[] {
    const select = this.db.prepare(
      "SELECT seq, id FROM mail_outbox WHERE created_at < ? AND status IN ('sent', 'failed', 'unknown') ORDER BY created_at LIMIT ?",
    );
    const deleteAttempts = this.db.prepare('DELETE FROM mail_attempts WHERE message_seq = ?');
    const deleteRow = this.db.prepare('DELETE FROM mail_outbox WHERE seq = ?');
    return this.db.transaction(() => {
      const rows = select.all(cutoff, batch) as Array<{ seq: number; id: string }>;
      for (const row of rows) {
        deleteAttempts.run(row.seq);
        deleteRow.run(row.seq);
      }
      this.db.prepare('DELETE FROM mail_warnings WHERE at < ?').run(cutoff);
      return rows.map((row) => row.id);
    })();
  }
}

export interface MailWarning {
  id: number;
  at: string;
  code: string;
  message: string;
  hint: string;
}
