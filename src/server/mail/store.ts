/**
 * The store interface of the mail module: every database operation of the outbox, the notification
 * log, the send budget, the live feed and the schedules (keep-alive, secret reminders). The outbox and
 * the routes use only this; `SqliteMailStore` (./sqlite-store.ts) is the engine on better-sqlite3.
 *
 * Written so that another engine can follow (PostgreSQL for several instances on one database):
 * - every method is asynchronous, although the SQLite engine answers at once;
 * - rows are plain objects and times are numbers (milliseconds since the epoch), never driver types;
 * - a method that a caller needs atomic says so below, and an engine must run it in one transaction
 *   (a write a caller awaits is committed when the promise resolves: the outbox relies on that before
 *   every Graph call, see the phases in ./outbox.ts);
 * - a leased row is written only by its lease owner (`owner`), so a second instance that took over an
 *   expired lease is never overwritten by the first;
 * - the per-status counts and the live feed's change list are the engine's job (SQLite keeps them with
 *   triggers): every insert of a message, and every change of its status, attempts, error or duration,
 *   counts and is listed as a change, in commit order;
 * - every message and warning belongs to one configuration (`config_id`, one per customer of a host;
 *   `DEFAULT_CONFIG_ID` when there is one): every read of the log takes the configuration and sees its
 *   rows and counts only, while the outbox's claims, recovery and retention work across all of them.
 */
import type { LogCounts, LogEntry, LogEntryDetail, LogError, LogPage, LogQuery, LogStatus } from '../../services/contract.js';

/** One message of the outbox, as stored. */
export interface OutboxRow {
  /** Arrival order: unique, increasing with every insert. */
  seq: number;
  id: string;
  /** The configuration the message belongs to. */
  config_id: string;
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

/** The columns a log entry is made of. */
export type EntryRow = Pick<OutboxRow, 'seq' | 'id' | 'created_at' | 'source' | 'status' | 'to_json' | 'subject' | 'attempts' | 'duration_ms' | 'error_json'>;

/** A new message: the fields `enqueue` writes; the rest start at their defaults (`attempts` 0, `phase` 'new', no lease). */
export type NewOutboxRow = Pick<
  OutboxRow,
  'id' | 'config_id' | 'created_at' | 'source' | 'recipients' | 'to_json' | 'subject' | 'message_json' | 'attachments_json' | 'total_bytes' | 'next_attempt_at'
>;

/** The fields of a leased row that record its progress through the mailbox (its crash-safety record). */
export type PhasePatch = Pick<OutboxRow, 'phase' | 'path' | 'draft_id' | 'draft_user' | 'send_requested_at'>;

export interface MailWarning {
  id: number;
  at: string;
  code: string;
  message: string;
  hint: string;
}

/** The mailbox's send budget: messages a minute and recipients a rolling day. */
export interface SendBudget {
  messagesPerMinute: number;
  recipientsPerDay: number;
}

/** The live feed's position: the last change and the last warning it has read. */
export interface ChangeMark {
  change: number;
  warning: number;
}

export interface ClaimInput {
  now: number;
  /** This outbox's lease owner id. */
  owner: string;
  /** The lease runs until `now + leaseMs`. */
  leaseMs: number;
  /** Configurations whose rows are left alone for now (sending is paused for them: not configured, needs a reconnect). */
  skipConfigs?: readonly string[];
}

export interface ClaimResult {
  row: OutboxRow | null;
}

export interface ReserveInput {
  /** The leased row the reservation is for. */
  seq: number;
  owner: string;
  /** The row's configuration: when the budget is spent, its other due rows wait too. */
  configId: string;
  /** The mailbox whose budget is spent (the row's configuration's sending mailbox, ./send-budget.ts). */
  mailbox: string;
  recipients: number;
  budget: SendBudget;
  now: number;
}

/** A reservation made, or when the budget allows the message (`until`) and whether the day's recipients, not only the minute's pace, hold it back. */
export type ReserveResult = { reservation: number } | { reservation: null; until: number; day: boolean };

export interface AttemptRecord {
  at: number;
  outcome: 'sent' | 'failed' | 'retry' | 'unknown' | 'reconciled';
  httpStatus: number | null;
  requestId: string | null;
  clientRequestId: string | null;
  error: LogError | null;
  ms: number;
}

/** What an attempt leaves on its row; the lease is dropped with it. */
export interface AttemptResult {
  status: 'queued' | 'sent' | 'failed' | 'unknown';
  attempts: number;
  window_start: number;
  next_attempt_at: number;
  finished_at: number | null;
  duration_ms: number;
  error: LogError | null;
  updated_at: number;
}

/** The notification log's reads, and the writes of its warnings and retention. Each read is of one configuration's rows. */
export interface MailLog {
  /**
   * One page of the configuration's entries, newest first by (created_at, id), with counts per status
   * that follow every filter but the status (`countsCapped` when a text search counted only its newest
   * matches). The cursor is opaque and issued by the same engine; one it did not issue throws
   * `InvalidCursorError`.
   */
  query(configId: string, query: LogQuery): Promise<LogPage>;
  /** One page of rows without counts, in the order of `query` (the CSV export pages through with this). */
  page(configId: string, query: LogQuery): Promise<{ rows: EntryRow[]; nextCursor: string | null }>;
  counts(configId: string, query?: LogQuery): Promise<LogCounts>;
  countsOf(configId: string, query?: LogQuery): Promise<{ counts: LogCounts; capped: boolean }>;
  /** The entry, or null when there is none or it belongs to another configuration. */
  entry(configId: string, id: string): Promise<LogEntry | null>;
  /** The entry with its attempts, oldest first; null as for `entry`. */
  detail(configId: string, id: string): Promise<LogEntryDetail | null>;
  /** Queued messages, failures finished in the hour before `now`, and the last sent message's finish time. */
  outboxHealth(configId: string, now?: number): Promise<{ queued: number; failedLastHour: number; lastSentAt: string | null }>;
  /** The configuration's newest warnings, newest first. */
  warnings(configId: string, limit?: number): Promise<MailWarning[]>;
  /** Commits a warning; its id is larger than every earlier warning's (the feed reads them in id order). */
  addWarning(configId: string, code: string, message: string, hint: string, at?: number): Promise<MailWarning>;
  /** The newest change's and warning's position (of every configuration): a feed starts after it. */
  changeMark(): Promise<ChangeMark>;
  /**
   * What changed after `mark`, by any process on this database, in commit order: each changed message
   * of the configuration once (as it is now), its new warnings, and the mark to pass next time (past
   * the other configurations' changes too). A change must never become visible at a position a reader
   * has already passed (SQLite's writes are serialised, so its `seq` is commit order; an engine with
   * concurrent writers must order by commit, not by insert).
   */
  changesSince(configId: string, mark: ChangeMark, limit?: number): Promise<{ entries: LogEntry[]; warnings: MailWarning[]; mark: ChangeMark }>;
  /** Forgets changes older than `cutoff`. */
  pruneChanges(cutoff: number): Promise<void>;
  /**
   * Deletes up to `batch` finished rows (sent, failed, unknown) of any configuration created before
   * `cutoff`, oldest first, with their attempts, and the warnings older than `cutoff`, in one
   * transaction. Returns the ids removed (their attachment folders are the caller's to delete); none
   * left means done.
   */
  purgeBatch(cutoff: number, batch?: number): Promise<string[]>;
}

/**
 * A copy of queued messages' attachment files that every instance can read, for engines whose
 * instances share nothing but the database (./pg-attachments.ts). The files under the data folder stay
 * the outbox's working copy.
 */
export interface SharedAttachments {
  /** Copies a message's files in, committed when it resolves (before the message row is). */
  put(messageId: string, files: ReadonlyArray<{ part: number; path: string }>, now: number): Promise<void>;
  /** Writes one file back to `target`; false when the copy has no such file. */
  restore(messageId: string, part: number, target: string): Promise<boolean>;
  remove(messageId: string): Promise<void>;
  /** Whether the database holds a copy of the message's files. */
  has(messageId: string): Promise<boolean>;
  /** Drops copies written before `before` whose message row never got committed (a crash during enqueue). */
  removeOrphans(before: number): Promise<number>;
}

export interface MailStore extends MailLog {
  /** Where attachments live for every instance, when the data folder is not shared; none on SQLite (its instances share the folder). */
  readonly attachments?: SharedAttachments;
  /**
   * Commits a new message of its configuration, queued, with the next `seq`; throws (writing nothing) when the id exists.
   * Counted and listed as a change with it.
   */
  insertMessage(row: NewOutboxRow): Promise<void>;
  row(id: string): Promise<OutboxRow | undefined>;
  hasMessage(id: string): Promise<boolean>;
  /**
   * Queues a failed or unknown row again with a fresh attempt budget and `phase`; false (nothing
   * written) when it is no longer failed or unknown. One conditional write.
   */
  requeue(seq: number, phase: OutboxRow['phase'], now: number): Promise<boolean>;
  /**
   * Rows left in `sending` go back to the queue (due at `now`) with their phase intact: all of them
   * when this process is the only one on the store, else only those whose lease ended before `now`.
   * Returns how many.
   */
  recover(now: number, singleInstance: boolean): Promise<number>;
  /** The earliest `next_attempt_at` of a queued row (of a configuration not in `skipConfigs`), or null. */
  nextDueAt(skipConfigs?: readonly string[]): Promise<number | null>;
  /**
   * Leases the next row, atomically (one transaction, serialised against every other claim on the
   * database, so two workers or instances never take the same row): first a `sending` row whose lease
   * ended before `now`, else the queued row due first (`next_attempt_at`, then `seq`); rows of the
   * configurations in `skipConfigs` are not taken.
   */
  claim(input: ClaimInput): Promise<ClaimResult>;
  /**
   * Spends a leased row's recipients from its mailbox's send budget, atomically (serialised against
   * every other reservation from the mailbox, on any instance, so the same budget is never spent
   * twice), when the budget allows them at `now`. When it does not, nothing is reserved: the row goes
   * back to the queue due at `until` with its phase intact (only while `owner` holds its lease), and
   * every queued row of its configuration due before `until` is moved to that time, keeping their
   * order, so that they are not claimed in vain until then.
   */
  reserveBudget(input: ReserveInput): Promise<ReserveResult>;
  /** Deletes a reservation (its attempt did not ask Graph to send); nothing when it is gone. */
  releaseReservation(reservation: number): Promise<void>;
  /** Recipients reserved from `mailbox` in the 24 hours before `now`. */
  recipientsUsed(mailbox: string, now: number): Promise<number>;
  /** Drops reservations a day old or older. */
  pruneBudget(now: number): Promise<void>;
  /** Writes a leased row's phase fields; nothing when `owner` no longer holds the lease. Committed on return. */
  savePhase(seq: number, owner: string, patch: PhasePatch, now: number): Promise<void>;
  /** Extends the lease of `owner` on the row to `leaseUntil`; nothing when `owner` no longer holds it. */
  heartbeat(seq: number, owner: string, leaseUntil: number): Promise<void>;
  /**
   * Puts a leased row back in the queue, due at `until`, without an attempt (a reconciliation waits);
   * nothing when `owner` no longer holds the lease. One write.
   */
  postpone(seq: number, owner: string, until: number, now: number): Promise<void>;
  /**
   * Makes the configuration's queued rows due by `before` due `now` (its settings were saved: rows
   * put back while it could not send need not wait out the pause). One write.
   */
  bringForward(configId: string, before: number, now: number): Promise<void>;
  /**
   * Records an attempt (after the row's earlier ones: `detail` lists them in this order) and writes
   * its result on the row, dropping the lease, in one transaction: both or neither.
   */
  finishAttempt(seq: number, attempt: AttemptRecord, result: AttemptResult): Promise<void>;
  /** A stored setting of the schedules (keep-alive, warnings once per stretch), or null. */
  meta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
  /**
   * Writes `value` only if the key still holds `expected` (null: only if it is not there yet),
   * atomically; true when this call wrote it. Instances agree through it on who acts on a change.
   */
  swapMeta(key: string, expected: string | null, value: string): Promise<boolean>;
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/** A stored JSON column, or `fallback` when it is empty or not JSON. */
export const parseJson = <T>(text: string | null, fallback: T): T => {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

/** A row as the log shows it. */
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
