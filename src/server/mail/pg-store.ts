/**
 * The PostgreSQL engine of the mail store (node-postgres), for several instances on one database. The
 * same rows and the same answers as the SQLite engine (./sqlite-store.ts, ./log-store.ts); the tables
 * are ./pg-migrations.ts. How concurrent instances are kept apart:
 * - a claim is one transaction that picks its row with `FOR UPDATE SKIP LOCKED` (a row another
 *   transaction holds is passed over, not waited for, and never taken twice) and writes the lease and
 *   the send budget's reservation before it commits;
 * - the live feed's change list must read in commit order, and a sequence gives insert order: two
 *   writers can draw 7 and 8, and 8 commit first, so a reader that has passed 8 would never see 7.
 *   Every write that lists a change (or counts a status, or adds a warning) therefore first takes
 *   `mail_feed_lock()`, a transaction-level advisory lock held until commit: the next number is drawn
 *   only after the previous holder's commit is visible, so the numbers are in commit order and a reader
 *   keeps its simple "after the last number I read". These writes are short (a row or two, no network
 *   call inside) and a relay's are bounded by what it sends, so one at a time costs little. The other
 *   ways were weighed: reading only changes older than the oldest running transaction
 *   (pg_snapshot_xmin) lets a long transaction anywhere on the server stall every feed, and
 *   LISTEN/NOTIFY would still need a sound order for a reader that reconnects. Because the claim takes
 *   the lock too, claims are also serialised, which the send budget needs anyway: a claim reads the
 *   mailbox's reservations and adds one, and two claims reading the same reservations would spend the
 *   same budget twice (the SQLite engine serialises its claims with an IMMEDIATE transaction for the
 *   same reason). `SKIP LOCKED` keeps a claim from waiting on a row held by a write that does not take
 *   the lock (a heartbeat, a phase write), and alone would keep two claims off one row.
 * - lease-owner writes (phase, heartbeat, postpone) are single UPDATEs with `lease_owner = $owner`.
 *
 * BIGINT columns come back as strings from node-postgres; `toRow` turns them into numbers (times and
 * counters stay far below 2^53).
 */
import type pg from 'pg';
import type { LogCounts, LogEntry, LogEntryDetail, LogPage, LogQuery, LogStatus } from '../../services/contract.js';
import { LOG_STATUSES } from '../../services/contract.js';
import { dateBounds } from '../../services/log-query.js';
import { ATTEMPT_COLUMNS, DEFAULT_PAGE, MAX_PAGE, TEXT_COUNT_CAP, decodeCursor, encodeCursor, toLogAttempt, type AttemptRow } from './log-store.js';
import { DAY, MINUTE, dayAllowance, dayFreesAt } from './send-budget.js';
import {
  InvalidCursorError,
  toLogEntry,
  type AttemptRecord,
  type AttemptResult,
  type ChangeMark,
  type ClaimInput,
  type ClaimResult,
  type ReserveInput,
  type ReserveResult,
  type EntryRow,
  type MailStore,
  type MailWarning,
  type NewOutboxRow,
  type OutboxRow,
  type PhasePatch,
  type SendBudget,
  type SharedAttachments,
} from './store.js';
import { PgAttachments } from './pg-attachments.js';
import { withTransaction } from '../store/pg-transaction.js';

type Queryable = Pick<pg.PoolClient, 'query'>;
type Raw = Record<string, unknown>;

const NUMERIC = new Set([
  'seq',
  'created_at',
  'updated_at',
  'total_bytes',
  'attempts',
  'attempt_base',
  'window_start',
  'next_attempt_at',
  'lease_until',
  'finished_at',
  'duration_ms',
  'send_requested_at',
]);

/** A row with its BIGINT columns as numbers (nulls kept). */
function toRow<T>(raw: Raw): T {
  const row: Raw = {};
  for (const [key, value] of Object.entries(raw)) row[key] = NUMERIC.has(key) && value !== null && value !== undefined ? Number(value) : value;
  return row as T;
}

const ENTRY_COLUMNS = 'seq, id, created_at, source, status, to_json, subject, attempts, duration_ms, error_json';

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

const emptyCounts = (): LogCounts => Object.fromEntries(LOG_STATUSES.map((status) => [status, 0])) as LogCounts;

const toWarning = (row: { id: string; at: string; code: string; message: string; hint: string }): MailWarning => ({
  id: Number(row.id),
  at: new Date(Number(row.at)).toISOString(),
  code: row.code,
  message: row.message,
  hint: row.hint,
});

/** A WHERE clause built with numbered parameters. */
class Where {
  readonly sql: string[] = [];
  readonly params: unknown[] = [];

  /** Adds a condition; each `?` in it becomes the next parameter. */
  add(condition: string, ...values: unknown[]): this {
    let i = 0;
    this.sql.push(condition.replace(/\?/g, () => `$${this.params.length + ++i}`));
    this.params.push(...values);
    return this;
  }

  /** The next parameter's placeholder, for a value added after the conditions (a LIMIT). */
  next(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  toString(): string {
    return this.sql.length ? `WHERE ${this.sql.join(' AND ')}` : '';
  }
}

export class PgMailStore implements MailStore {
  /** The pool of the core's `PgStore` (the mail tables are migrated with it: `PG_MAIL_MIGRATIONS`). */
  readonly attachments: SharedAttachments;

  constructor(private readonly pool: pg.Pool) {
    this.attachments = new PgAttachments(pool);
  }

  /**
   * Runs `fn` in one transaction on one connection; rolls back when it throws. `feed`: the transaction
   * lists changes, counts or warnings, so it takes the feed lock first (see the file's comment).
   */
  private tx<T>(feed: boolean, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, fn, feed ? 'SELECT mail_feed_lock()' : undefined);
  }

  // The log.

  /** The configuration and the date filters. */
  private dateFilter(configId: string, query: LogQuery, where = new Where()): Where {
    where.add('config_id = ?', configId);
    const { from, to } = dateBounds(query);
    if (from !== undefined) where.add('created_at >= ?', from);
    if (to !== undefined) where.add('created_at < ?', to);
    return where;
  }

  /** A case-insensitive substring of the subject or the recipients (see ./pg-migrations.ts for the index). */
  private textFilter(query: LogQuery, where: Where): boolean {
    const text = query.q?.trim();
    if (!text) return false;
    const pattern = `%${escapeLike(text)}%`;
    where.add("(subject ILIKE ? ESCAPE '\\' OR recipients ILIKE ? ESCAPE '\\')", pattern, pattern);
    return true;
  }

  /** The newest TEXT_COUNT_CAP + 1 matches' statuses: what a text search's counts read. */
  private async walk(configId: string, query: LogQuery): Promise<{ counts: LogCounts; capped: boolean }> {
    const where = this.dateFilter(configId, query);
    this.textFilter(query, where);
    const limit = where.next(TEXT_COUNT_CAP + 1);
    const { rows } = await this.pool.query<{ status: LogStatus }>(`SELECT status FROM mail_outbox ${where} ORDER BY created_at DESC, id DESC LIMIT ${limit}`, where.params);
    const counts = emptyCounts();
    for (const row of rows.slice(0, TEXT_COUNT_CAP)) if (row.status in counts) counts[row.status] += 1;
    return { counts, capped: rows.length > TEXT_COUNT_CAP };
  }

  private async plainCounts(configId: string, query: LogQuery): Promise<LogCounts> {
    const counts = emptyCounts();
    const add = (rows: Array<{ status: LogStatus; n: string }>) => {
      for (const row of rows) if (row.status in counts) counts[row.status] += Number(row.n);
    };
    if (!query.from && !query.to) {
      add((await this.pool.query('SELECT status, sum(n) AS n FROM mail_daily_counts WHERE config_id = $1 GROUP BY status', [configId])).rows);
      return counts;
    }
    // Whole UTC days from the per-day table; only the partial days at either end row by row.
    const { from = 0, to = Number.MAX_SAFE_INTEGER } = dateBounds(query);
    if (!(from < to)) return counts;
    const exact = async (start: number, end: number) =>
      add((await this.pool.query('SELECT status, count(*) AS n FROM mail_outbox WHERE config_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY status', [configId, start, end])).rows);
    const firstWholeDay = Math.ceil(from / DAY);
    const endWholeDay = Math.floor(to / DAY);
    if (firstWholeDay >= endWholeDay) {
      await exact(from, to);
      return counts;
    }
    add((await this.pool.query('SELECT status, sum(n) AS n FROM mail_daily_counts WHERE config_id = $1 AND day >= $2 AND day < $3 GROUP BY status', [configId, firstWholeDay, endWholeDay])).rows);
    if (from < firstWholeDay * DAY) await exact(from, firstWholeDay * DAY);
    if (endWholeDay * DAY < to) await exact(endWholeDay * DAY, to);
    return counts;
  }

  async counts(configId: string, query: LogQuery = {}): Promise<LogCounts> {
    return (await this.countsOf(configId, query)).counts;
  }

  async countsOf(configId: string, query: LogQuery = {}): Promise<{ counts: LogCounts; capped: boolean }> {
    return query.q?.trim() ? this.walk(configId, query) : { counts: await this.plainCounts(configId, query), capped: false };
  }

  /** One page, newest first by (created_at, id); the cursor is the last row's pair. */
  async page(configId: string, query: LogQuery): Promise<{ rows: EntryRow[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(query.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
    const where = this.dateFilter(configId, query);
    this.textFilter(query, where);
    if (query.status) where.add('status = ?', query.status);
    if (query.cursor) {
      const cursor = decodeCursor(query.cursor);
      if (!cursor) throw new InvalidCursorError('The cursor is not one this server issued.');
      where.add('(created_at, id) < (?, ?)', cursor.createdAt, cursor.id);
    }
    const limitParam = where.next(limit + 1);
    const { rows: raw } = await this.pool.query<Raw>(`SELECT ${ENTRY_COLUMNS} FROM mail_outbox ${where} ORDER BY created_at DESC, id DESC LIMIT ${limitParam}`, where.params);
    const rows = raw.map((row) => toRow<EntryRow>(row));
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return { rows, nextCursor: more && last ? encodeCursor(last.created_at, last.id) : null };
  }

  async query(configId: string, query: LogQuery): Promise<LogPage> {
    const [{ rows, nextCursor }, { counts, capped }] = await Promise.all([this.page(configId, query), this.countsOf(configId, query)]);
    const items = rows.map(toLogEntry);
    return capped ? { items, nextCursor, counts, countsCapped: true } : { items, nextCursor, counts };
  }

  async entry(configId: string, id: string): Promise<LogEntry | null> {
    const { rows } = await this.pool.query<Raw>(`SELECT ${ENTRY_COLUMNS} FROM mail_outbox WHERE id = $1 AND config_id = $2`, [id, configId]);
    return rows[0] ? toLogEntry(toRow<EntryRow>(rows[0])) : null;
  }

  async detail(configId: string, id: string): Promise<LogEntryDetail | null> {
    const { rows } = await this.pool.query<Raw>(`SELECT ${ENTRY_COLUMNS} FROM mail_outbox WHERE id = $1 AND config_id = $2`, [id, configId]);
    if (!rows[0]) return null;
    const row = toRow<EntryRow>(rows[0]);
    const attempts = await this.pool.query<AttemptRow>(`SELECT ${ATTEMPT_COLUMNS} FROM mail_attempts WHERE message_seq = $1 ORDER BY id`, [row.seq]);
    const history = attempts.rows.map(toLogAttempt);
    return { ...toLogEntry(row), history };
  }

  async outboxHealth(configId: string, now = Date.now()): Promise<{ queued: number; failedLastHour: number; lastSentAt: string | null }> {
    const { rows } = await this.pool.query<{ queued: string | null; failed: string; last: string | null }>(
      `SELECT (SELECT sum(n) FROM mail_daily_counts WHERE config_id = $2 AND status = 'queued') AS queued,
              (SELECT count(*) FROM mail_outbox WHERE config_id = $2 AND status = 'failed' AND finished_at >= $1) AS failed,
              (SELECT max(finished_at) FROM mail_outbox WHERE config_id = $2 AND status = 'sent') AS last`,
      [now - 3_600_000, configId],
    );
    const { queued, failed, last } = rows[0];
    return { queued: Number(queued ?? 0), failedLastHour: Number(failed), lastSentAt: last === null ? null : new Date(Number(last)).toISOString() };
  }

  async warnings(configId: string, limit = 50): Promise<MailWarning[]> {
    const { rows } = await this.pool.query('SELECT id, at, code, message, hint FROM mail_warnings WHERE config_id = $1 ORDER BY at DESC, id DESC LIMIT $2', [
      configId,
      Math.min(Math.max(limit, 1), MAX_PAGE),
    ]);
    return rows.map(toWarning);
  }

  async addWarning(configId: string, code: string, message: string, hint: string, at = Date.now()): Promise<MailWarning> {
    return this.tx(true, async (client) => {
      const { rows } = await client.query<{ id: string }>('INSERT INTO mail_warnings (config_id, at, code, message, hint) VALUES ($1, $2, $3, $4, $5) RETURNING id', [
        configId,
        at,
        code,
        message,
        hint,
      ]);
      return { id: Number(rows[0].id), at: new Date(at).toISOString(), code, message, hint };
    });
  }

  async changeMark(): Promise<ChangeMark> {
    const { rows } = await this.pool.query<{ change: string | null; warning: string | null }>(
      'SELECT (SELECT max(seq) FROM mail_changes) AS change, (SELECT max(id) FROM mail_warnings) AS warning',
    );
    return { change: Number(rows[0].change ?? 0), warning: Number(rows[0].warning ?? 0) };
  }

  async changesSince(configId: string, mark: ChangeMark, limit = 500): Promise<{ entries: LogEntry[]; warnings: MailWarning[]; mark: ChangeMark }> {
    const changes = await this.pool.query<{ seq: string; message_seq: string }>('SELECT seq, message_seq FROM mail_changes WHERE seq > $1 ORDER BY seq LIMIT $2', [mark.change, limit]);
    const seqs = [...new Set(changes.rows.map((change) => Number(change.message_seq)))];
    const rows = seqs.length
      ? (await this.pool.query<Raw>(`SELECT ${ENTRY_COLUMNS} FROM mail_outbox WHERE seq = ANY($1::bigint[]) AND config_id = $2 ORDER BY seq`, [seqs, configId])).rows
      : [];
    // The other configurations' warnings are passed over too: the mark moves past them.
    const newWarnings = (
      await this.pool.query<{ id: string; config_id: string; at: string; code: string; message: string; hint: string }>(
        'SELECT id, config_id, at, code, message, hint FROM mail_warnings WHERE id > $1 ORDER BY id LIMIT $2',
        [mark.warning, limit],
      )
    ).rows;
    const warnings = newWarnings.filter((row) => row.config_id === configId).map(toWarning);
    const lastChange = changes.rows.at(-1);
    const lastWarning = newWarnings.at(-1);
    return {
      entries: rows.map((row) => toLogEntry(toRow<EntryRow>(row))),
      warnings,
      mark: { change: lastChange ? Number(lastChange.seq) : mark.change, warning: lastWarning ? Number(lastWarning.id) : mark.warning },
    };
  }

  async pruneChanges(cutoff: number): Promise<void> {
    await this.pool.query('DELETE FROM mail_changes WHERE at < $1', [cutoff]);
  }

  async purgeBatch(cutoff: number, batch = 500): Promise<string[]> {
    return this.tx(true, async (client) => {
      const { rows } = await client.query<{ seq: string; id: string }>(
        "SELECT seq, id FROM mail_outbox WHERE created_at < $1 AND status IN ('sent', 'failed', 'unknown') ORDER BY created_at, seq LIMIT $2 FOR UPDATE SKIP LOCKED",
        [cutoff, batch],
      );
      if (rows.length) {
        const seqs = rows.map((row) => row.seq);
        await client.query('DELETE FROM mail_attempts WHERE message_seq = ANY($1::bigint[])', [seqs]);
        await client.query('DELETE FROM mail_outbox WHERE seq = ANY($1::bigint[])', [seqs]);
      }
      await client.query('DELETE FROM mail_warnings WHERE at < $1', [cutoff]);
      return rows.map((row) => row.id);
    });
  }

  // The outbox.

  async insertMessage(row: NewOutboxRow): Promise<void> {
    await this.tx(true, async (client) => {
      await client.query(
        `INSERT INTO mail_outbox (id, created_at, updated_at, source, status, recipients, to_json, subject, message_json, attachments_json, total_bytes, next_attempt_at, config_id)
         VALUES ($1, $2, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, $10, $11)`,
        [row.id, row.created_at, row.source, row.recipients, row.to_json, row.subject, row.message_json, row.attachments_json, row.total_bytes, row.next_attempt_at, row.config_id],
      );
    });
  }

  async row(id: string): Promise<OutboxRow | undefined> {
    const { rows } = await this.pool.query<Raw>('SELECT * FROM mail_outbox WHERE id = $1', [id]);
    return rows[0] ? toRow<OutboxRow>(rows[0]) : undefined;
  }

  async hasMessage(id: string): Promise<boolean> {
    return ((await this.pool.query('SELECT 1 FROM mail_outbox WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async requeue(seq: number, phase: OutboxRow['phase'], now: number): Promise<boolean> {
    return this.tx(true, async (client) => {
      const result = await client.query(
        `UPDATE mail_outbox SET status = 'queued', attempt_base = attempts, window_start = NULL, next_attempt_at = $1, finished_at = NULL,
           error_json = NULL, phase = $2, updated_at = $1 WHERE seq = $3 AND status IN ('failed', 'unknown')`,
        [now, phase, seq],
      );
      return (result.rowCount ?? 0) > 0;
    });
  }

  async recover(now: number, singleInstance: boolean): Promise<number> {
    return this.tx(true, async (client) => {
      const result = await client.query(
        `UPDATE mail_outbox SET status = 'queued', lease_owner = NULL, lease_until = NULL, next_attempt_at = $1, updated_at = $1
         WHERE status = 'sending'${singleInstance ? '' : ' AND lease_until < $1'}`,
        [now],
      );
      return result.rowCount ?? 0;
    });
  }

  async nextDueAt(skipConfigs: readonly string[] = []): Promise<number | null> {
    const { rows } = skipConfigs.length
      ? await this.pool.query<{ at: string | null }>("SELECT min(next_attempt_at) AS at FROM mail_outbox WHERE status = 'queued' AND config_id <> ALL($1::text[])", [[...skipConfigs]])
      : await this.pool.query<{ at: string | null }>("SELECT min(next_attempt_at) AS at FROM mail_outbox WHERE status = 'queued'");
    return rows[0].at === null ? null : Number(rows[0].at);
  }

  async claim({ now, owner, leaseMs, skipConfigs = [] }: ClaimInput): Promise<ClaimResult> {
    return this.tx(true, async (client) => {
      const skip = skipConfigs.length ? ' AND config_id <> ALL($2::text[])' : '';
      const params: unknown[] = skipConfigs.length ? [now, [...skipConfigs]] : [now];
      const pick = async (sql: string) => (await client.query<{ seq: string }>(sql, params)).rows[0];
      const candidate =
        (await pick(`SELECT seq FROM mail_outbox WHERE status = 'sending' AND lease_until < $1${skip} ORDER BY lease_until LIMIT 1 FOR UPDATE SKIP LOCKED`)) ??
        (await pick(`SELECT seq FROM mail_outbox WHERE status = 'queued' AND next_attempt_at <= $1${skip} ORDER BY next_attempt_at, seq LIMIT 1 FOR UPDATE SKIP LOCKED`));
      if (!candidate) return { row: null };
      const { rows } = await client.query<Raw>("UPDATE mail_outbox SET status = 'sending', lease_owner = $1, lease_until = $2, updated_at = $3 WHERE seq = $4 RETURNING *", [
        owner,
        now + leaseMs,
        now,
        candidate.seq,
      ]);
      return { row: toRow<OutboxRow>(rows[0]) };
    });
  }

  async reserveBudget({ seq, owner, configId, mailbox, recipients, budget, now }: ReserveInput): Promise<ReserveResult> {
    // Under the feed lock, like every write that changes a row's status: it also queues up every
    // reservation, whichever instance makes it, so the count and the insert see every earlier one.
    return this.tx(true, async (client) => {
      const { at, day } = await this.budgetWait(client, budget, mailbox, recipients, now);
      if (at <= now) {
        const reserved = await client.query<{ id: string }>('INSERT INTO mail_send_budget (mailbox, message_seq, at, recipients) VALUES ($1, $2, $3, $4) RETURNING id', [
          mailbox,
          seq,
          now,
          recipients,
        ]);
        return { reservation: Number(reserved.rows[0].id) };
      }
      await client.query("UPDATE mail_outbox SET status = 'queued', lease_owner = NULL, lease_until = NULL, next_attempt_at = $1, updated_at = $2 WHERE seq = $3 AND lease_owner = $4", [
        at,
        now,
        seq,
        owner,
      ]);
      await client.query("UPDATE mail_outbox SET next_attempt_at = $1, updated_at = $2 WHERE status = 'queued' AND config_id = $3 AND next_attempt_at < $1", [at, now, configId]);
      return { reservation: null, until: at, day };
    });
  }

  /** `SendBudgetLedger.wait` (./send-budget.ts) on this engine: when the budget allows the message, and whether the day holds it back. */
  private async budgetWait(db: Queryable, budget: SendBudget, mailbox: string, recipients: number, now: number): Promise<{ at: number; day: boolean }> {
    let at = now;
    let day = false;
    const minute = await db.query<{ at: string }>('SELECT at FROM mail_send_budget WHERE mailbox = $1 AND at > $2 ORDER BY at DESC LIMIT 1 OFFSET $3', [
      mailbox,
      now - MINUTE,
      budget.messagesPerMinute - 1,
    ]);
    // The messagesPerMinute-th newest send of the last minute: one more is allowed once it is a minute old.
    if (minute.rows[0]) at = Math.max(at, Number(minute.rows[0].at) + MINUTE);
    const used = await this.recipientsUsedOn(db, mailbox, now);
    const allowed = dayAllowance(budget, recipients);
    if (used > allowed) {
      const { rows } = await db.query<{ at: string; recipients: number }>('SELECT at, recipients FROM mail_send_budget WHERE mailbox = $1 AND at > $2 ORDER BY at', [mailbox, now - DAY]);
      const frees = dayFreesAt(
        rows.map((row) => ({ at: Number(row.at), recipients: row.recipients })),
        used,
        allowed,
      );
      if (frees !== null) {
        day = frees > at;
        at = Math.max(at, frees);
      }
    }
    return { at, day };
  }

  private async recipientsUsedOn(db: Queryable, mailbox: string, now: number): Promise<number> {
    const { rows } = await db.query<{ n: string }>('SELECT coalesce(sum(recipients), 0) AS n FROM mail_send_budget WHERE mailbox = $1 AND at > $2', [mailbox, now - DAY]);
    return Number(rows[0].n);
  }

  async releaseReservation(reservation: number): Promise<void> {
    await this.pool.query('DELETE FROM mail_send_budget WHERE id = $1', [reservation]);
  }

  async recipientsUsed(mailbox: string, now: number): Promise<number> {
    return this.recipientsUsedOn(this.pool, mailbox, now);
  }

  async pruneBudget(now: number): Promise<void> {
    await this.pool.query('DELETE FROM mail_send_budget WHERE at <= $1', [now - DAY]);
  }

  async savePhase(seq: number, owner: string, patch: PhasePatch, now: number): Promise<void> {
    await this.pool.query('UPDATE mail_outbox SET phase = $1, path = $2, draft_id = $3, draft_user = $4, send_requested_at = $5, updated_at = $6 WHERE seq = $7 AND lease_owner = $8', [
      patch.phase,
      patch.path,
      patch.draft_id,
      patch.draft_user,
      patch.send_requested_at,
      now,
      seq,
      owner,
    ]);
  }

  async heartbeat(seq: number, owner: string, leaseUntil: number): Promise<void> {
    await this.pool.query('UPDATE mail_outbox SET lease_until = $1 WHERE seq = $2 AND lease_owner = $3', [leaseUntil, seq, owner]);
  }

  async postpone(seq: number, owner: string, until: number, now: number): Promise<void> {
    await this.tx(true, async (client) => {
      await client.query("UPDATE mail_outbox SET status = 'queued', next_attempt_at = $1, lease_owner = NULL, lease_until = NULL, updated_at = $2 WHERE seq = $3 AND lease_owner = $4", [
        until,
        now,
        seq,
        owner,
      ]);
    });
  }

  async bringForward(configId: string, before: number, now: number): Promise<void> {
    // One statement, and no feed lock: no trigger lists or counts a change of next_attempt_at.
    await this.pool.query("UPDATE mail_outbox SET next_attempt_at = $1, updated_at = $1 WHERE status = 'queued' AND config_id = $2 AND next_attempt_at > $1 AND next_attempt_at <= $3", [now, configId, before]);
  }

  async finishAttempt(seq: number, attempt: AttemptRecord, result: AttemptResult): Promise<void> {
    await this.tx(true, async (client) => {
      await client.query('INSERT INTO mail_attempts (message_seq, at, outcome, http_status, request_id, client_request_id, error_json, ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        seq,
        attempt.at,
        attempt.outcome,
        attempt.httpStatus,
        attempt.requestId,
        attempt.clientRequestId,
        attempt.error ? JSON.stringify(attempt.error) : null,
        attempt.ms,
      ]);
      await client.query(
        `UPDATE mail_outbox SET status = $1, attempts = $2, window_start = $3, next_attempt_at = $4, finished_at = $5, duration_ms = $6, error_json = $7,
           lease_owner = NULL, lease_until = NULL, updated_at = $8 WHERE seq = $9`,
        [
          result.status,
          result.attempts,
          result.window_start,
          result.next_attempt_at,
          result.finished_at,
          result.duration_ms,
          result.error ? JSON.stringify(result.error) : null,
          result.updated_at,
          seq,
        ],
      );
    });
  }

  async meta(key: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ value: string }>('SELECT value FROM mail_meta WHERE key = $1', [key]);
    return rows[0]?.value ?? null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.pool.query('INSERT INTO mail_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  async swapMeta(key: string, expected: string | null, value: string): Promise<boolean> {
    const written =
      expected === null
        ? await this.pool.query('INSERT INTO mail_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value])
        : await this.pool.query('UPDATE mail_meta SET value = $1 WHERE key = $2 AND value = $3', [value, key, expected]);
    return (written.rowCount ?? 0) > 0;
  }
}
