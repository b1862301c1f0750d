/**
 * The notification log on SQLite (`SqliteMailStore` answers the log's part of `MailStore` with it;
 * synchronous, as better-sqlite3 is): reading the outbox rows as `LogEntry`s, newest first with keyset
 * pagination, filtered by status, text, and date range, with counts per status that follow every
 * filter but the status. Built to stay fast with a million rows:
 * - unfiltered counts come from `mail_counts` (kept by triggers), filtered ones from covering indexes;
 * - text of 3 characters or more goes through the trigram FTS5 index (a substring match, case-insensitive),
 *   walked newest first (rowid = seq, the arrival order) so a page stops after its last row instead of
 *   collecting every match; shorter text has no trigram to look up and falls back to `LIKE` (ASCII
 *   case-insensitive) on the time index, newest first, where a page also fills after a short scan;
 * - counts of a text search stop at TEXT_COUNT_CAP matches, newest first (`countsCapped` then says each
 *   count is a lower bound): an exact count would read every match of a common word, hundreds of
 *   milliseconds on a million rows, to print a number nobody reads past "1,000+".
 * Every read is of one configuration's rows (`configId`), with its indexes and counts led by it.
 * Stored text is exactly what was sent; escaping is the renderer's job (SECURITY.md 19).
 */
import type { LogAttempt, LogCounts, LogEntry, LogEntryDetail, LogError, LogPage, LogQuery, LogStatus } from '../../services/contract.js';
import { LOG_STATUSES } from '../../services/contract.js';
import type { Db } from './types.js';
import { dateBounds } from '../../services/log-query.js';
import { InvalidCursorError, parseJson, toLogEntry, type EntryRow, type MailWarning } from './store.js';

export { InvalidCursorError, toLogEntry, type EntryRow, type MailWarning, type OutboxRow } from './store.js';

export const MAX_PAGE = 200;
export const DEFAULT_PAGE = 50;
/** The most matches a text search counts (newest first); past it, the counts are lower bounds. */
export const TEXT_COUNT_CAP = 1000;

const ENTRY_COLUMNS = 'seq, id, created_at, source, status, to_json, subject, attempts, duration_ms, error_json';

/**
 * Cursor: the last row's (created_at, id) and its seq (text searches page in arrival order), base64url
 * so the shared schema's pattern accepts it. A cursor without the seq, from before it was added, still
 * reads.
 */
export function encodeCursor(createdAt: number, id: string, seq?: number): string {
  return Buffer.from(`${createdAt}:${id}${seq === undefined ? '' : `:${seq}`}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: number; id: string; seq?: number } | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,15}):([A-Za-z0-9-]{1,64})(?::(\d{1,15}))?$/.exec(text);
  if (!match) return null;
  return match[3] === undefined ? { createdAt: Number(match[1]), id: match[2] } : { createdAt: Number(match[1]), id: match[2], seq: Number(match[3]) };
}


const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);
/** An FTS5 string literal: the whole text as one phrase, which the trigram tokenizer reads as a substring. */
const ftsPhrase = (text: string) => `"${text.replace(/"/g, '""')}"`;

interface Filter {
  sql: string[];
  params: unknown[];
}

type WalkedRow = { seq: number; status: LogStatus };

const emptyCounts = (): LogCounts => Object.fromEntries(LOG_STATUSES.map((status) => [status, 0])) as LogCounts;

/** Counts of the first TEXT_COUNT_CAP walked matches; capped when the walk found one more. */
function countWalk(walked: WalkedRow[]): { counts: LogCounts; capped: boolean } {
  const counts = emptyCounts();
  for (const row of walked.slice(0, TEXT_COUNT_CAP)) if (row.status in counts) counts[row.status] += 1;
  return { counts, capped: walked.length > TEXT_COUNT_CAP };
}

/** An attempt as either engine reads it (PostgreSQL's BIGINT columns arrive as strings). */
export interface AttemptRow {
  at: number | string;
  outcome: LogAttempt['outcome'];
  http_status: number | null;
  request_id: string | null;
  client_request_id: string | null;
  error_json: string | null;
  ms: number | string;
}

export const ATTEMPT_COLUMNS = 'at, outcome, http_status, request_id, client_request_id, error_json, ms';

export function toLogAttempt(attempt: AttemptRow): LogAttempt {
  const item: LogAttempt = { at: new Date(Number(attempt.at)).toISOString(), outcome: attempt.outcome, ms: Number(attempt.ms) };
  if (attempt.http_status !== null) item.httpStatus = attempt.http_status;
  if (attempt.request_id) item.requestId = attempt.request_id;
  if (attempt.client_request_id) item.clientRequestId = attempt.client_request_id;
  const error = parseJson<LogError | null>(attempt.error_json, null);
  if (error) item.error = error;
  return item;
}

export class LogStore {
  constructor(private readonly db: Db) {}

  /** The configuration and the date filters, on the outbox row (`prefix` is its alias in a join). */
  private dateFilter(configId: string, query: LogQuery, prefix = ''): Filter {
    const sql: string[] = [`${prefix}config_id = ?`];
    const params: unknown[] = [configId];
    const { from, to } = dateBounds(query);
    if (from !== undefined) {
      sql.push(`${prefix}created_at >= ?`);
      params.push(from);
    }
    if (to !== undefined) {
      sql.push(`${prefix}created_at < ?`);
      params.push(to);
    }
    return { sql, params };
  }

  /** The text filter: a trigram phrase for the FTS index, or `LIKE` below three characters. */
  private textFilter(query: LogQuery): { fts: string } | { like: string } | null {
    const text = query.q?.trim();
    if (!text) return null;
    return [...text].length >= 3 ? { fts: ftsPhrase(text) } : { like: `%${escapeLike(text)}%` };
  }

  /**
   * The matches of a text search, newest first, as a statement over the FTS index joined to the outbox
   * (the index drives the loop in rowid order, so LIMIT stops the walk), or over the time index with
   * `LIKE`. `columns` are outbox columns; `extra` filters apply to the outbox row `o`.
   */
  private textMatches(text: { fts: string } | { like: string }, columns: string, extra: Filter, limit: number): unknown[] {
    if ('fts' in text) {
      const where = ['mail_fts MATCH ?', ...extra.sql].join(' AND ');
      return this.db
        .prepare(`SELECT ${columns} FROM mail_fts JOIN mail_outbox o ON o.seq = mail_fts.rowid WHERE ${where} ORDER BY mail_fts.rowid DESC LIMIT ?`)
        .all(text.fts, ...extra.params, limit);
    }
    const where = ["(o.subject LIKE ? ESCAPE '\\' OR o.recipients LIKE ? ESCAPE '\\')", ...extra.sql].join(' AND ');
    return this.db
      .prepare(`SELECT ${columns} FROM mail_outbox o WHERE ${where} ORDER BY o.created_at DESC, o.id DESC LIMIT ?`)
      .all(text.like, text.like, ...extra.params, limit);
  }

  counts(configId: string, query: LogQuery = {}): LogCounts {
    return this.countsOf(configId, query).counts;
  }

  /** Counts per status that follow every filter but status; `capped` when a text search matched more than TEXT_COUNT_CAP. */
  countsOf(configId: string, query: LogQuery = {}): { counts: LogCounts; capped: boolean } {
    const text = this.textFilter(query);
    return text ? countWalk(this.walk(configId, text, query)) : { counts: this.plainCounts(configId, query), capped: false };
  }

  private plainCounts(configId: string, query: LogQuery): LogCounts {
    const counts = emptyCounts();
    if (query.from || query.to) return this.rangeCounts(configId, query, counts);
    for (const row of this.db.prepare('SELECT status, n FROM mail_counts WHERE config_id = ?').all(configId) as Array<{ status: LogStatus; n: number }>) {
      if (row.status in counts) counts[row.status] = row.n;
    }
    return counts;
  }

  /** The newest TEXT_COUNT_CAP + 1 matches of a text search in the date range: what its counts read. */
  private walk(configId: string, text: { fts: string } | { like: string }, query: LogQuery): WalkedRow[] {
    return this.textMatches(text, 'o.seq, o.status', this.dateFilter(configId, query, 'o.'), TEXT_COUNT_CAP + 1) as WalkedRow[];
  }

  /**
   * Counts of a date range without a text filter: whole UTC days from the per-day table, and only the
   * partial days at either end counted row by row (at most two days of messages, by the time index).
   */
  private rangeCounts(configId: string, query: LogQuery, counts: LogCounts): LogCounts {
    const DAY = 86_400_000;
    const { from = 0, to = Number.MAX_SAFE_INTEGER } = dateBounds(query);
    if (!(from < to)) return counts;
    const add = (rows: Array<{ status: LogStatus; n: number }>) => {
      for (const row of rows) if (row.status in counts) counts[row.status] += row.n;
    };
    const firstWholeDay = Math.ceil(from / DAY);
    const endWholeDay = Math.floor(Math.min(to, Number.MAX_SAFE_INTEGER) / DAY);
    const exact = this.db.prepare('SELECT status, count(*) AS n FROM mail_outbox WHERE config_id = ? AND created_at >= ? AND created_at < ? GROUP BY status');
    if (firstWholeDay >= endWholeDay) {
      add(exact.all(configId, from, to) as Array<{ status: LogStatus; n: number }>);
      return counts;
    }
    add(
      this.db
        .prepare('SELECT status, sum(n) AS n FROM mail_daily_counts WHERE config_id = ? AND day >= ? AND day < ? GROUP BY status')
        .all(configId, firstWholeDay, endWholeDay) as Array<{ status: LogStatus; n: number }>,
    );
    if (from < firstWholeDay * DAY) add(exact.all(configId, from, firstWholeDay * DAY) as Array<{ status: LogStatus; n: number }>);
    if (endWholeDay * DAY < to) add(exact.all(configId, endWholeDay * DAY, to) as Array<{ status: LogStatus; n: number }>);
    return counts;
  }

  /**
   * One page of rows (no counts): the CSV export pages through with this. Newest first by
   * (created_at, id); a trigram text search pages in arrival order (seq), the order the index keeps,
   * which is the same order for every row the outbox wrote.
   */
  page(configId: string, query: LogQuery): { rows: EntryRow[]; nextCursor: string | null } {
    const limit = Math.min(Math.max(query.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
    const text = this.textFilter(query);
    const filter = this.dateFilter(configId, query, 'o.');
    if (query.status) {
      filter.sql.push('o.status = ?');
      filter.params.push(query.status);
    }
    if (query.cursor) {
      const cursor = decodeCursor(query.cursor);
      if (!cursor) throw new InvalidCursorError('The cursor is not one this server issued.');
      if (text && 'fts' in text && cursor.seq !== undefined) {
        filter.sql.push('mail_fts.rowid < ?');
        filter.params.push(cursor.seq);
      } else {
        filter.sql.push('(o.created_at < ? OR (o.created_at = ? AND o.id < ?))');
        filter.params.push(cursor.createdAt, cursor.createdAt, cursor.id);
      }
    }
    const columns = ENTRY_COLUMNS.split(', ').map((column) => `o.${column}`).join(', ');
    const rows = text
      ? (this.textMatches(text, columns, filter, limit + 1) as EntryRow[])
      : (this.db
          .prepare(`SELECT ${columns} FROM mail_outbox o ${filter.sql.length ? `WHERE ${filter.sql.join(' AND ')}` : ''} ORDER BY o.created_at DESC, o.id DESC LIMIT ?`)
          .all(...filter.params, limit + 1) as EntryRow[]);
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return { rows, nextCursor: more && last ? encodeCursor(last.created_at, last.id, last.seq) : null };
  }

  query(configId: string, query: LogQuery): LogPage {
    const text = this.textFilter(query);
    const walked = text ? this.walk(configId, text, query) : null;
    const { rows, nextCursor } = (walked && !query.cursor && this.pageOfWalk(walked, query)) || this.page(configId, query);
    const { counts, capped } = walked ? countWalk(walked) : { counts: this.plainCounts(configId, query), capped: false };
    return capped ? { items: rows.map(toLogEntry), nextCursor, counts, countsCapped: true } : { items: rows.map(toLogEntry), nextCursor, counts };
  }

  /**
   * The first page of a text search out of the walk its counts make anyway (newest first, in the
   * page's own order), so the index is walked once; null when the walk cannot answer it (a status
   * filter with too few of its rows among the counted matches).
   */
  private pageOfWalk(walked: WalkedRow[], query: LogQuery): { rows: EntryRow[]; nextCursor: string | null } | null {
    const limit = Math.min(Math.max(query.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
    const wanted = walked.filter((row) => !query.status || row.status === query.status).slice(0, limit + 1);
    if (wanted.length <= limit && walked.length > TEXT_COUNT_CAP) return null;
    const bySeq = new Map<number, EntryRow>();
    if (wanted.length) {
      // One statement for any number of rows (json_each), so the statement cache keeps one, not one per count.
      const found = this.db.prepare(`SELECT ${ENTRY_COLUMNS} FROM mail_outbox WHERE seq IN (SELECT value FROM json_each(?))`).all(JSON.stringify(wanted.map((row) => row.seq))) as EntryRow[];
      for (const row of found) bySeq.set(row.seq, row);
    }
    const rows = wanted.map((row) => bySeq.get(row.seq)).filter((row): row is EntryRow => row !== undefined);
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return { rows, nextCursor: more && last ? encodeCursor(last.created_at, last.id, last.seq) : null };
  }

  entry(configId: string, id: string): LogEntry | null {
    const row = this.db.prepare(`SELECT ${ENTRY_COLUMNS} FROM mail_outbox WHERE id = ? AND config_id = ?`).get(id, configId) as EntryRow | undefined;
    return row ? toLogEntry(row) : null;
  }

  detail(configId: string, id: string): LogEntryDetail | null {
    const row = this.db.prepare(`SELECT ${ENTRY_COLUMNS} FROM mail_outbox WHERE id = ? AND config_id = ?`).get(id, configId) as EntryRow | undefined;
    if (!row) return null;
    const attempts = this.db
      .prepare(`SELECT ${ATTEMPT_COLUMNS} FROM mail_attempts WHERE message_seq = ? ORDER BY id`)
      .all(row.seq) as AttemptRow[];
    const history = attempts.map(toLogAttempt);
    return { ...toLogEntry(row), history };
  }

  /** Queued messages and failures of the last hour, for `/health`. */
  outboxHealth(configId: string, now = Date.now()): { queued: number; failedLastHour: number; lastSentAt: string | null } {
    const queued = (this.db.prepare("SELECT n FROM mail_counts WHERE config_id = ? AND status = 'queued'").get(configId) as { n: number } | undefined)?.n ?? 0;
    const failed = (
      this.db.prepare("SELECT count(*) AS n FROM mail_outbox WHERE config_id = ? AND status = 'failed' AND finished_at >= ?").get(configId, now - 3_600_000) as { n: number }
    ).n;
    const last = (this.db.prepare("SELECT max(finished_at) AS at FROM mail_outbox WHERE config_id = ? AND status = 'sent'").get(configId) as { at: number | null }).at;
    return { queued, failedLastHour: failed, lastSentAt: last === null ? null : new Date(last).toISOString() };
  }

  /** The newest change's position: a feed starts after it. */
  changeMark(): { change: number; warning: number } {
    const change = (this.db.prepare('SELECT max(seq) AS n FROM mail_changes').get() as { n: number | null }).n ?? 0;
    const warning = (this.db.prepare('SELECT max(id) AS n FROM mail_warnings').get() as { n: number | null }).n ?? 0;
    return { change, warning };
  }

  /**
   * What changed after `mark`, by any process on this database, in commit order: each changed message
   * once (as it is now), and the new warnings. `mark` is what to pass next time.
   */
  changesSince(
    configId: string,
    mark: { change: number; warning: number },
    limit = 500,
  ): { entries: LogEntry[]; warnings: MailWarning[]; mark: { change: number; warning: number } } {
    const changes = this.db.prepare('SELECT seq, message_seq FROM mail_changes WHERE seq > ? ORDER BY seq LIMIT ?').all(mark.change, limit) as Array<{ seq: number; message_seq: number }>;
    const seqs = [...new Set(changes.map((change) => change.message_seq))];
    const rows = seqs.length
      ? (this.db
          .prepare(`SELECT ${ENTRY_COLUMNS} FROM mail_outbox WHERE seq IN (SELECT value FROM json_each(?)) AND config_id = ? ORDER BY seq`)
          .all(JSON.stringify(seqs), configId) as EntryRow[])
      : [];
    // The other configurations' warnings are passed over too: the mark moves past them.
    const newWarnings = this.db.prepare('SELECT id, config_id, at, code, message, hint FROM mail_warnings WHERE id > ? ORDER BY id LIMIT ?').all(mark.warning, limit) as Array<{
      id: number;
      config_id: string;
      at: number;
      code: string;
      message: string;
      hint: string;
    }>;
    const warnings = newWarnings
      .filter((row) => row.config_id === configId)
      .map(({ id, at, code, message, hint }) => ({ id, at: new Date(at).toISOString(), code, message, hint }));
    return {
      entries: rows.map(toLogEntry),
      warnings,
      mark: { change: changes.at(-1)?.seq ?? mark.change, warning: newWarnings.at(-1)?.id ?? mark.warning },
    };
  }

  /** Forgets changes older than `cutoff`: a feed that far behind reloads the page instead. */
  pruneChanges(cutoff: number): void {
    this.db.prepare('DELETE FROM mail_changes WHERE at < ?').run(cutoff);
  }

  addWarning(configId: string, code: string, message: string, hint: string, at = Date.now()): MailWarning {
    const result = this.db.prepare('INSERT INTO mail_warnings (config_id, at, code, message, hint) VALUES (?, ?, ?, ?, ?)').run(configId, at, code, message, hint);
    return { id: Number(result.lastInsertRowid), at: new Date(at).toISOString(), code, message, hint };
  }

  warnings(configId: string, limit = 50): MailWarning[] {
    const rows = this.db
      .prepare('SELECT id, at, code, message, hint FROM mail_warnings WHERE config_id = ? ORDER BY at DESC, id DESC LIMIT ?')
      .all(configId, Math.min(Math.max(limit, 1), MAX_PAGE)) as Array<{
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
