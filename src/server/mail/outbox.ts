/**
 * The durable outbox (SECURITY.md 20–24). A message is a row, committed before any Graph call; workers
 * claim rows with a lease, send them, and record every attempt. Where a send's outcome is ambiguous
 * (no answer, a 5xx after the request was written, 202 with `Retry-After`, a crash in between), the
 * draft path looks the message up by its immutable id before anything is sent again; the `sendMail`
 * path cannot look, so it records `unknown` and leaves the decision to the admin.
 *
 * The row's `phase` is the crash-safety record, written before each step that changes the mailbox:
 * `new` (nothing in the mailbox), `draft` (a draft exists, attachments maybe incomplete), `ready`
 * (complete draft, `/send` not called), `send-requested` (a send was requested: never repeat blindly).
 */
import { randomUUID } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEntry, LogError } from '../../services/contract.js';
import type { Diagnosis } from '../../services/diagnostics.js';
import { MailMessageSchema, parseWith, toFieldErrors } from '../../services/schemas.js';
import { removeAttachments, storeAttachments, MailInputError, type AttachmentInput, type AttachmentRecord, type OwnedFileInput } from './attachments.js';
import { nextDelay } from './backoff.js';
import { GraphCallError, isRetryable, type CallInfo } from './graph-call.js';
import { INLINE_ATTACHMENT_LIMIT, MAX_ATTACHMENT_BYTES, SEND_MAIL_INLINE_TOTAL, type GraphMailer, type MailSession, type OutgoingMessage, type StoredAttachment } from './graph-mailer.js';
import { budgetMailbox, EXCHANGE_SEND_BUDGET, recipientCount, SendBudgetLedger, type SendBudget } from './send-budget.js';
import { LogStore, toLogEntry, type MailWarning, type OutboxRow } from './log-store.js';
import type { Db, MailConfig, MailConfigSource, MailLogger } from './types.js';
import { silentLogger } from './types.js';

export interface OutboxOptions {
  /** Attachments go under `<dataDir>/attachments/`. */
  dataDir: string;
  /** Attempts per message before it fails (`GRAPH_MAIL_MAX_ATTEMPTS`). */
  maxAttempts?: number;
  /** Longest wait between attempts, `Retry-After` included (`GRAPH_MAIL_RETRY_MAX_DELAY_S`). */
  retryMaxDelayMs?: number;
  /** First backoff bound; doubled per attempt, full jitter. */
  backoffBaseMs?: number;
  /** A message still unsent this long after its first attempt fails (or is `unknown`). */
  deadlineMs?: number;
  /** How long a sent draft may still look like a draft (Exchange's lag) before it is sent again. */
  reconcileGraceMs?: number;
  /** Messages sent at once (each mailbox still has at most 4 requests in flight). */
  workers?: number;
  leaseMs?: number;
  /** Longest sleep of an idle worker. */
  pollMs?: number;
  /**
   * While someone follows the live feed, how often it reads what other processes on the same database
   * changed (this process's own changes go out at once).
   */
  feedPollMs?: number;
  maxAttachmentBytes?: number;
  maxMessageBytes?: number;
  /**
   * This process is the only one using the store: on start every row left in `sending` is an orphan.
   * With several instances, only rows whose lease expired are taken over.
   */
  singleInstance?: boolean;
  /**
   * The mailbox's send budget (./send-budget.ts): Exchange Online's 30 messages a minute and 10,000
   * recipients a day unless set; `'off'` sends as fast as the workers go (`GRAPH_MAIL_SEND_BUDGET`).
   */
  sendBudget?: SendBudget | 'off';
  random?: () => number;
  /** The clock (milliseconds since the epoch) for every time the outbox stores and compares. */
  now?: () => number;
}

type ResolvedOptions = Required<Omit<OutboxOptions, 'random' | 'now'>> & { random: () => number; now: () => number };

export type OutboxEvent = { type: 'log'; entry: LogEntry } | { type: 'warning'; warning: MailWarning };

type Outcome =
  | { kind: 'sent'; via: 'sent' | 'reconciled'; info?: CallInfo }
  | { kind: 'retry'; error: LogError; info?: CallInfo; retryAfterMs?: number }
  | { kind: 'wait'; until: number }
  | { kind: 'failed'; error: LogError; info?: CallInfo }
  | { kind: 'unknown'; error: LogError; info?: CallInfo };

interface StoredMessage extends OutgoingMessage {}

export const DEFAULT_OUTBOX_OPTIONS = {
  maxAttempts: 8,
  retryMaxDelayMs: 900_000,
  backoffBaseMs: 2_000,
  deadlineMs: 24 * 3_600_000,
  reconcileGraceMs: 60_000,
  workers: 4,
  leaseMs: 5 * 60_000,
  pollMs: 1_000,
  feedPollMs: 1_000,
  maxAttachmentBytes: MAX_ATTACHMENT_BYTES,
  maxMessageBytes: MAX_ATTACHMENT_BYTES,
  singleInstance: true,
  sendBudget: EXCHANGE_SEND_BUDGET,
} as const;

const logError = (diagnosis: Pick<Diagnosis, 'code' | 'message' | 'hint' | 'requestId'>, info?: CallInfo): LogError => {
  const error: LogError = { code: diagnosis.code, message: diagnosis.message, hint: diagnosis.hint };
  const requestId = diagnosis.requestId ?? info?.requestId;
  if (requestId) error.requestId = requestId;
  return error;
};

/** Maps anything thrown while sending (a token failure, a file gone) to a log error. */
function describeError(error: unknown, info?: CallInfo): LogError {
  if (error instanceof GraphCallError) return logError(error.diagnosis, error.info);
  const value = error as { code?: unknown; message?: unknown; hint?: unknown; diagnosis?: Diagnosis } | undefined;
  if (value?.diagnosis && typeof value.diagnosis.code === 'string') return logError(value.diagnosis, info);
  if (value && typeof value.code === 'string' && typeof value.hint === 'string' && typeof value.message === 'string') {
    return { code: value.code, message: value.message, hint: value.hint };
  }
  if (value && (value as { code?: unknown }).code === 'ENOENT') {
    return { code: 'ATTACHMENT_MISSING', message: 'A stored attachment file is missing.', hint: 'Send the message again with its attachments.' };
  }
  return {
    code: 'SEND_ERROR',
    message: 'The message could not be sent because of an error in this server.',
    hint: 'Check the server log for details; the message is tried again.',
  };
}

const ambiguous = (cause: LogError, resolvable: boolean): LogError => ({
  ...cause,
  code: 'SEND_OUTCOME_UNKNOWN',
  message: resolvable
    ? `The send request got no clear answer (${cause.code}): the message may have been sent. It is looked up before it is sent again.`
    : `The send request got no clear answer (${cause.code}): the message may or may not have been sent. With only Mail.Send, Graph offers no way to check, so it is not sent again automatically.`,
  hint: resolvable
    ? 'Nothing to do: the outbox checks the mailbox and sends it only if it was not sent.'
    : 'Ask a recipient whether it arrived and retry it from the log only if it did not. Granting Mail.ReadWrite lets the server check and send exactly once.',
});

/** How long other processes' changes stay readable for a live feed. */
const CHANGES_KEPT_MS = 3_600_000;

const CRASHED: LogError = {
  code: 'INTERRUPTED',
  message: 'The server stopped between a send request and its answer.',
  hint: 'The outcome is checked where Graph allows it.',
};

export class Outbox {
  readonly log: LogStore;
  readonly options: ResolvedOptions;
  private readonly owner = randomUUID();
  private readonly listeners = new Set<(event: OutboxEvent) => void>();
  private readonly sleepers = new Set<() => void>();
  private running = false;
  private loops: Promise<void>[] = [];
  private abort = new AbortController();
  /** Null when the budget is off. */
  readonly budget: SendBudgetLedger | null;
  /** The budget reservation of each claimed row, by row seq, until its attempt ends. */
  private readonly reservations = new Map<number, number>();
  /** The live feed's reader of other processes' changes, while anyone listens. */
  private feed: { timer: NodeJS.Timeout; mark: { change: number; warning: number }; polls: number } | null = null;
  /** What each message last looked like in the feed, and the warnings already sent. */
  private readonly shown = new Map<string, string>();
  private readonly shownWarnings = new Set<number>();

  constructor(
    private readonly db: Db,
    private readonly mailer: GraphMailer,
    private readonly config: MailConfigSource,
    options: OutboxOptions,
    private readonly logger: MailLogger = silentLogger,
  ) {
    this.options = { ...DEFAULT_OUTBOX_OPTIONS, random: Math.random, now: Date.now, ...stripUndefined(options) } as ResolvedOptions;
    this.log = new LogStore(db);
    this.budget = this.options.sendBudget === 'off' ? null : new SendBudgetLedger(db, this.options.sendBudget);
  }

  now(): number {
    return this.options.now();
  }

  // Events (the log's live feed).

  onChange(listener: (event: OutboxEvent) => void): () => void {
    this.listeners.add(listener);
    this.startFeed();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopFeed();
    };
  }

  /**
   * Other processes on the same database (a second server, an overlapping restart) change rows this
   * one never sees: while anyone listens, their changes are read from `mail_changes` in commit order.
   * A change seen both here and there goes out once (`shown`).
   */
  private startFeed(): void {
    if (this.feed) return;
    const timer = setInterval(() => this.pollFeed(), this.options.feedPollMs);
    timer.unref();
    this.feed = { timer, mark: this.log.changeMark(), polls: 0 };
  }

  private stopFeed(): void {
    if (!this.feed) return;
    clearInterval(this.feed.timer);
    this.feed = null;
    this.shown.clear();
    this.shownWarnings.clear();
  }

  private pollFeed(): void {
    const feed = this.feed;
    if (!feed) return;
    try {
      const { entries, warnings, mark } = this.log.changesSince(feed.mark);
      feed.mark = mark;
      for (const entry of entries) this.emitEntry(entry);
      for (const warning of warnings) this.emitWarning(warning);
      feed.polls += 1;
      if (feed.polls % 600 === 0) this.log.pruneChanges(this.now() - CHANGES_KEPT_MS);
    } catch (error) {
      this.logger.warn('mail: the live feed could not read the changes', { error: String(error) });
    }
  }

  private emitEntry(entry: LogEntry): void {
    const signature = `${entry.status}|${entry.attempts}|${entry.durationMs}|${entry.error?.code ?? ''}`;
    if (this.shown.get(entry.id) === signature) return;
    if (this.shown.size >= 10_000) this.shown.clear();
    this.shown.set(entry.id, signature);
    this.emit({ type: 'log', entry });
  }

  private emitWarning(warning: MailWarning): void {
    if (this.shownWarnings.has(warning.id)) return;
    if (this.shownWarnings.size >= 10_000) this.shownWarnings.clear();
    this.shownWarnings.add(warning.id);
    this.emit({ type: 'warning', warning });
  }

  emit(event: OutboxEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.warn('mail: a log listener failed', { error: String(error) });
      }
    }
  }

  private emitRow(id: string): void {
    if (this.listeners.size === 0) return;
    const entry = this.log.entry(id);
    if (entry) this.emitEntry(entry);
  }

  warn(code: string, message: string, hint: string): MailWarning {
    const warning = this.log.addWarning(code, message, hint);
    this.logger.warn(`mail: ${message}`, { code });
    if (this.listeners.size > 0) this.emitWarning(warning);
    return warning;
  }

  // Enqueue.

  /**
   * Validates the message, writes its attachments as files, then commits the row: from here on it is
   * never lost. Returns the log id. Throws `MailInputError` for an invalid message or a size limit.
   */
  async enqueue(message: OutgoingMessage, attachments: ReadonlyArray<AttachmentInput | OwnedFileInput> = [], source: 'app' | 'test' = 'app'): Promise<string> {
    const parsed = parseWith(MailMessageSchema, { ...message, attachments: undefined });
    if (!parsed.ok) throw new MailInputError(toFieldErrors(parsed.issues));
    const value = parsed.value;
    const stored: StoredMessage = { to: value.to, subject: value.subject };
    for (const key of ['cc', 'bcc', 'replyTo'] as const) if (value[key]?.length) stored[key] = value[key];
    if (value.text !== undefined) stored.text = value.text;
    if (value.html !== undefined) stored.html = value.html;

    const id = randomUUID();
    const records = attachments.length ? await storeAttachments(this.options.dataDir, id, attachments, this.options) : [];
    const now = this.now();
    const recipients = [...stored.to, ...(stored.cc ?? []), ...(stored.bcc ?? [])].join(', ');
    try {
      this.db
        .prepare(
          `INSERT INTO mail_outbox (id, created_at, updated_at, source, status, recipients, to_json, subject, message_json, attachments_json, total_bytes, next_attempt_at)
           VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, now, now, source, recipients, JSON.stringify(stored.to), stored.subject, JSON.stringify(stored), JSON.stringify(records), records.reduce((sum, r) => sum + r.size, 0), now);
    } catch (error) {
      await removeAttachments(this.options.dataDir, id);
      throw error;
    }
    this.emitRow(id);
    this.wake();
    return id;
  }

  // Admin actions.

  /** Queues a failed or unknown message again with a fresh attempt budget: the admin decided. */
  retry(id: string): { ok: true } | { ok: false; reason: 'not-found' | 'conflict'; status?: string } {
    const row = this.db.prepare('SELECT * FROM mail_outbox WHERE id = ?').get(id) as OutboxRow | undefined;
    if (!row) return { ok: false, reason: 'not-found' };
    if (row.status !== 'failed' && row.status !== 'unknown') return { ok: false, reason: 'conflict', status: row.status };
    const now = this.now();
    // On the sendMail path the admin's retry is the decision to send again; a draft is still looked
    // up first, so a message that did go out is not sent twice.
    const phase = row.path === 'sendMail' ? 'new' : row.phase;
    const changed = this.db
      .prepare(
        `UPDATE mail_outbox SET status = 'queued', attempt_base = attempts, window_start = NULL, next_attempt_at = ?, finished_at = NULL,
           error_json = NULL, phase = ?, updated_at = ? WHERE seq = ? AND status IN ('failed', 'unknown')`,
      )
      .run(now, phase, now, row.seq).changes;
    if (!changed) return { ok: false, reason: 'conflict' };
    this.emitRow(id);
    this.wake();
    return { ok: true };
  }

  // Workers.

  /** Recovers orphaned rows, then starts the workers. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.recover();
    void this.removeOrphanFiles();
    this.loops = Array.from({ length: this.options.workers }, (_, index) => this.loop(index));
  }

  /** Stops claiming; waits for in-flight sends, and aborts them after `graceMs` (their rows are reconciled later). */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    const timer = setTimeout(() => this.abort.abort(new Error('outbox stopped')), graceMs);
    try {
      await Promise.all(this.loops);
    } finally {
      clearTimeout(timer);
      this.loops = [];
    }
  }

  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Rows left in `sending` by a process that is gone go back to the queue with their phase intact, so
   * the next claim reconciles them (looked up on the draft path, `unknown` on the sendMail path).
   */
  recover(now = this.now()): number {
    const sql = this.options.singleInstance
      ? "UPDATE mail_outbox SET status = 'queued', lease_owner = NULL, lease_until = NULL, next_attempt_at = ?, updated_at = ? WHERE status = 'sending'"
      : "UPDATE mail_outbox SET status = 'queued', lease_owner = NULL, lease_until = NULL, next_attempt_at = ?, updated_at = ? WHERE status = 'sending' AND lease_until < ?";
    const params = this.options.singleInstance ? [now, now] : [now, now, now];
    const changed = this.db.prepare(sql).run(...params).changes;
    if (changed) this.logger.info('mail: rows left in sending are reconciled', { count: changed });
    return changed;
  }

  wake(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.sleepers.add(done);
    });
  }

  /** The configuration when sending can work now; null pauses the workers (nothing is claimed). */
  private async readyConfig(): Promise<MailConfig | null> {
    try {
      const config = await this.config.getEffectiveConfig();
      if (!config) return null;
      const status = this.config.getStatus ? await this.config.getStatus() : null;
      const state = status?.connection.state;
      if (state === 'needs-reconnect') return null;
      if (config.mode === 'delegated' && state && state !== 'connected') return null;
      return config;
    } catch (error) {
      this.logger.warn('mail: the configuration could not be read', { error: String(error) });
      return null;
    }
  }

  private async loop(index: number): Promise<void> {
    while (this.running) {
      const config = await this.readyConfig();
      const row = config && this.running ? this.claim(this.now(), budgetMailbox(config)) : null;
      if (!row || !config) {
        await this.sleep(config ? this.idleFor() : this.options.pollMs);
        continue;
      }
      try {
        await this.process(row, config);
      } catch (error) {
        // Only a failure of the store itself lands here; the row stays leased and is recovered later.
        this.logger.error('mail: a worker failed', { worker: index, error: String(error) });
        await this.sleep(this.options.pollMs);
      }
    }
  }

  private idleFor(now = this.now()): number {
    const next = (this.db.prepare("SELECT min(next_attempt_at) AS at FROM mail_outbox WHERE status = 'queued'").get() as { at: number | null }).at;
    return next === null ? this.options.pollMs : Math.min(this.options.pollMs, Math.max(5, next - now));
  }

  /**
   * Takes the next due row (or one whose lease expired) in one atomic statement. With a send budget,
   * a queued row is taken only when `mailbox`'s budget allows it, and its reservation is made in the
   * same transaction; when the budget is spent, the due rows wait, queued, until it frees up.
   */
  claim(now = this.now(), mailbox = ''): OutboxRow | null {
    const lease = now + this.options.leaseMs;
    const take = (pick: string, ...params: unknown[]) =>
      this.db
        .prepare(`UPDATE mail_outbox SET status = 'sending', lease_owner = ?, lease_until = ?, updated_at = ? WHERE seq = (${pick}) RETURNING *`)
        .get(this.owner, lease, now, ...params) as OutboxRow | undefined;
    const due = "SELECT seq FROM mail_outbox WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT 1";
    const budget = this.budget;
    let dayBudgetSpentUntil = 0;
    const row = budget
      ? this.db
          .transaction((): OutboxRow | undefined => {
            const expired = take("SELECT seq FROM mail_outbox WHERE status = 'sending' AND lease_until < ? ORDER BY lease_until LIMIT 1", now);
            const candidate = expired ?? (this.db.prepare(due.replace('SELECT seq', 'SELECT seq, message_json')).get(now) as Pick<OutboxRow, 'seq' | 'message_json'> | undefined);
            if (!candidate) return undefined;
            const recipients = recipientCount(candidate.message_json);
            const { at, day } = budget.wait(mailbox, recipients, now);
            if (at > now) {
              if (day) dayBudgetSpentUntil = at;
              if (expired) {
                this.db.prepare("UPDATE mail_outbox SET status = 'queued', lease_owner = NULL, lease_until = NULL, next_attempt_at = ? WHERE seq = ?").run(at, expired.seq);
              }
              // Over budget: every due row waits, queued, for the time the budget frees up; the order stays.
              this.db.prepare("UPDATE mail_outbox SET next_attempt_at = ?, updated_at = ? WHERE status = 'queued' AND next_attempt_at < ?").run(at, now, at);
              return undefined;
            }
            const claimed = expired ?? take('SELECT ?', candidate.seq);
            if (claimed) this.reservations.set(claimed.seq, budget.reserve(mailbox, claimed.seq, recipients, now));
            return claimed;
          })
          .immediate()
      : (take("SELECT seq FROM mail_outbox WHERE status = 'sending' AND lease_until < ? ORDER BY lease_until LIMIT 1", now) ?? take(due, now));
    if (dayBudgetSpentUntil) this.warnDayBudgetSpent(mailbox, dayBudgetSpentUntil);
    if (!row) return null;
    this.emitRow(row.id);
    return row;
  }

  /** Once per stretch of a spent day budget: the log says why messages wait, and until when. */
  private warnDayBudgetSpent(mailbox: string, until: number): void {
    const key = `budget.dayWarned.${mailbox}`;
    const warned = this.db.prepare('SELECT value FROM mail_meta WHERE key = ?').get(key) as { value: string } | undefined;
    if (warned && Number(warned.value) > this.now()) return;
    this.db.prepare('INSERT INTO mail_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, String(until));
    const { recipientsPerDay } = this.budget!.budget;
    this.warn(
      'SEND_BUDGET_SPENT',
      `The mailbox ${mailbox || 'of the connected account'} has used its budget of ${recipientsPerDay} recipients for the last 24 hours (Exchange Online's limit): the queued messages wait until ${new Date(until).toISOString()}, then go out.`,
      'Nothing is lost. To send more, spread the mail over several mailboxes, or ask whether fewer recipients would do.',
    );
  }

  /** Gives a claim's budget back when its attempt did not ask Graph to send. */
  private settleReservation(row: OutboxRow, started: number): void {
    const reservation = this.reservations.get(row.seq);
    if (reservation === undefined) return;
    this.reservations.delete(row.seq);
    const requested = row.send_requested_at !== null && row.send_requested_at >= started;
    if (!requested) this.budget?.release(reservation);
  }

  private update(row: OutboxRow, patch: Partial<Pick<OutboxRow, 'phase' | 'path' | 'draft_id' | 'draft_user' | 'send_requested_at'>>): void {
    Object.assign(row, patch);
    this.db
      .prepare('UPDATE mail_outbox SET phase = ?, path = ?, draft_id = ?, draft_user = ?, send_requested_at = ?, updated_at = ? WHERE seq = ? AND lease_owner = ?')
      .run(row.phase, row.path, row.draft_id, row.draft_user, row.send_requested_at, this.now(), row.seq, this.owner);
  }

  private async process(row: OutboxRow, config: MailConfig): Promise<void> {
    const started = this.now();
    const heartbeat = setInterval(() => {
      try {
        this.db.prepare('UPDATE mail_outbox SET lease_until = ? WHERE seq = ? AND lease_owner = ?').run(this.now() + this.options.leaseMs, row.seq, this.owner);
      } catch {
        // The next beat tries again; a lost lease only means another instance may reconcile the row.
      }
    }, Math.max(1_000, Math.floor(this.options.leaseMs / 3)));
    let outcome: Outcome;
    let session: MailSession | undefined;
    try {
      session = await this.mailer.open(config, this.abort.signal);
      outcome = await this.deliver(row, session);
    } catch (error) {
      outcome = this.outcomeOf(error, session?.lastInfo);
    } finally {
      clearInterval(heartbeat);
    }
    this.settleReservation(row, started);
    await this.finish(row, outcome, started);
  }

  /** A failure before any send was requested: retry what Graph says is transient, fail the rest. */
  private outcomeOf(error: unknown, info?: CallInfo): Outcome {
    if (error instanceof MailInputError) {
      return { kind: 'failed', error: { code: 'INVALID_MESSAGE', message: error.message, hint: 'Send the message again with valid fields.' } };
    }
    if (error instanceof GraphCallError) {
      if (isRetryable(error)) return { kind: 'retry', error: describeError(error), info: error.info, retryAfterMs: error.info.retryAfterMs };
      return { kind: 'failed', error: describeError(error), info: error.info };
    }
    const described = describeError(error, info);
    if (described.code === 'ATTACHMENT_MISSING') return { kind: 'failed', error: described, info };
    if (described.code === 'SEND_ERROR') this.logger.error('mail: unexpected error while sending', { error: String(error) });
    // Token and configuration trouble may clear up (a reconnect, a new secret): bounded retries.
    return { kind: 'retry', error: described, info };
  }

  private attachmentsOf(row: OutboxRow): StoredAttachment[] {
    const records = JSON.parse(row.attachments_json) as AttachmentRecord[];
    return records.map((record) => ({ name: record.name, contentType: record.contentType, size: record.size, path: join(this.options.dataDir, record.file) }));
  }

  private async deliver(row: OutboxRow, session: MailSession): Promise<Outcome> {
    const message = JSON.parse(row.message_json) as StoredMessage;
    const attachments = this.attachmentsOf(row);
    // The path is written with the next phase (`update` writes every field): until then nothing has
    // reached the mailbox, and a restart may choose again.
    if (row.phase === 'new' || row.path === null) row.path = session.canDraft ? 'draft' : 'sendMail';
    return row.path === 'draft' ? this.deliverDraft(row, session, message, attachments) : this.deliverSendMail(row, session, message, attachments);
  }

  private async deliverDraft(row: OutboxRow, session: MailSession, message: StoredMessage, attachments: StoredAttachment[]): Promise<Outcome> {
    if (row.phase === 'send-requested' && row.draft_id) {
      let found: Awaited<ReturnType<MailSession['lookup']>>;
      try {
        found = await session.lookup(row.draft_user ?? session.user, row.draft_id);
      } catch (error) {
        const outcome = this.outcomeOf(error, session.lastInfo);
        return outcome.kind === 'failed' ? { kind: 'unknown', error: ambiguous(outcome.error, false), info: outcome.info } : outcome;
      }
      if (found.found && !found.isDraft) return { kind: 'sent', via: 'reconciled', info: session.lastInfo };
      if (found.found) {
        const due = (row.send_requested_at ?? 0) + this.options.reconcileGraceMs;
        // Exchange shows a sent draft as a draft for a moment: only after the grace period does
        // "still a draft" mean "not sent".
        if (this.now() < due) return { kind: 'wait', until: due };
        this.update(row, { phase: 'ready' });
      } else {
        this.update(row, { phase: 'new', draft_id: null, draft_user: null, send_requested_at: null });
      }
    }
    if (row.phase === 'draft' && row.draft_id) {
      // Its attachments may be incomplete; it was never sent, so it can go.
      await session.deleteDraft(row.draft_user ?? session.user, row.draft_id).catch(() => undefined);
      this.update(row, { phase: 'new', draft_id: null, draft_user: null });
    }
    if (row.phase === 'new' || !row.draft_id) {
      const draftId = await session.createDraft(message);
      Object.assign(row, { draft_id: draftId, draft_user: session.user });
      if (attachments.length > 0) {
        // A draft whose attachments may not all arrive: a restart in this phase deletes it.
        this.update(row, { phase: 'draft' });
        await session.addAttachments(session.user, draftId, attachments);
      }
    }
    // The draft id is committed before `/send`, in the same write as the request: whatever happens
    // next, the message can be looked up. No other write comes between: each is an fsync, and they
    // were a sixth of a message's time while its mailbox slot waited.
    this.update(row, { phase: 'send-requested', send_requested_at: this.now() });
    try {
      const info = await session.sendDraft(row.draft_user ?? session.user, row.draft_id!);
      if (info.retryAfterMs !== undefined) {
        const cause = { code: 'ACCEPTED_WITH_RETRY_AFTER', message: 'Graph accepted the send but asked to come back later.', hint: '', requestId: info.requestId };
        return { kind: 'retry', error: ambiguous(cause, true), info, retryAfterMs: info.retryAfterMs };
      }
      return { kind: 'sent', via: 'sent', info };
    } catch (error) {
      if (!(error instanceof GraphCallError)) throw error;
      if (notProcessed(error)) {
        this.update(row, { phase: 'ready' });
        return this.outcomeOf(error);
      }
      if (error.kind === 'http' && (error.status ?? 0) < 500) return { kind: 'failed', error: describeError(error), info: error.info };
      return { kind: 'retry', error: ambiguous(describeError(error), true), info: error.info, retryAfterMs: error.info.retryAfterMs };
    }
  }

  private async deliverSendMail(row: OutboxRow, session: MailSession, message: StoredMessage, attachments: StoredAttachment[]): Promise<Outcome> {
    if (row.phase === 'send-requested') return { kind: 'unknown', error: ambiguous(CRASHED, false) };
    const total = attachments.reduce((sum, attachment) => sum + attachment.size, 0);
    if (attachments.some((attachment) => attachment.size >= INLINE_ATTACHMENT_LIMIT) || total > SEND_MAIL_INLINE_TOTAL) {
      return {
        kind: 'failed',
        error: {
          code: 'NEEDS_MAIL_READWRITE',
          message: 'This message\'s attachments are too large to send with Mail.Send alone (3 MB in all).',
          hint: 'Grant Mail.ReadWrite (delegated: connect again; application: add the permission and grant admin consent), then retry it from the log.',
        },
      };
    }
    this.update(row, { phase: 'send-requested', send_requested_at: this.now() });
    try {
      const info = await session.sendMail(message, attachments, session.config.saveToSentItems);
      if (info.retryAfterMs !== undefined) {
        const cause = { code: 'ACCEPTED_WITH_RETRY_AFTER', message: 'Graph accepted the send but asked to come back later.', hint: '', requestId: info.requestId };
        return { kind: 'unknown', error: ambiguous(cause, false), info };
      }
      return { kind: 'sent', via: 'sent', info };
    } catch (error) {
      if (!(error instanceof GraphCallError)) {
        this.update(row, { phase: 'new' });
        throw error;
      }
      if (notProcessed(error) || (error.kind === 'http' && (error.status ?? 0) < 500)) {
        this.update(row, { phase: 'new' });
        return this.outcomeOf(error);
      }
      return { kind: 'unknown', error: ambiguous(describeError(error), false), info: error.info };
    }
  }

  private async finish(row: OutboxRow, outcome: Outcome, started: number): Promise<void> {
    const now = this.now();
    const { options } = this;
    let status: 'queued' | 'sent' | 'failed' | 'unknown';
    let error: LogError | null = null;
    let nextAt = now;
    let attemptOutcome: 'sent' | 'failed' | 'retry' | 'unknown' | 'reconciled';
    const info = outcome.kind === 'wait' ? undefined : outcome.info;

    if (outcome.kind === 'wait') {
      this.db
        .prepare("UPDATE mail_outbox SET status = 'queued', next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE seq = ? AND lease_owner = ?")
        .run(outcome.until, now, row.seq, this.owner);
      this.emitRow(row.id);
      return;
    }
    const attempts = row.attempts + 1;
    const used = attempts - row.attempt_base;
    const windowStart = row.window_start ?? started;
    if (outcome.kind === 'retry') {
      const delay = nextDelay(used, { baseMs: options.backoffBaseMs, maxMs: options.retryMaxDelayMs }, outcome.retryAfterMs, options.random);
      const exhausted = used >= options.maxAttempts ? 'attempts' : now + delay > windowStart + options.deadlineMs ? 'deadline' : null;
      if (exhausted) {
        status = row.phase === 'send-requested' ? 'unknown' : 'failed';
        attemptOutcome = status;
        const why = exhausted === 'attempts' ? `after ${used} attempts` : 'before the deadline';
        error = { ...outcome.error, message: `${outcome.error.message} Gave up ${why}.` };
      } else {
        status = 'queued';
        attemptOutcome = 'retry';
        error = outcome.error;
        nextAt = now + delay;
      }
    } else if (outcome.kind === 'sent') {
      status = 'sent';
      attemptOutcome = outcome.via;
    } else {
      status = outcome.kind;
      attemptOutcome = outcome.kind;
      error = outcome.error;
    }
    const terminal = status !== 'queued';
    if (status === 'sent' && row.attachments_json !== '[]') {
      // Graph has the message, so nothing needs the files; they go before the row says 'sent', so no
      // reader of the log (a poller, the live feed) sees a sent message whose files still linger. A
      // crash right here leaves the row 'sending', which reconciliation resolves without the files.
      await removeAttachments(this.options.dataDir, row.id).catch(() => undefined);
    }
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO mail_attempts (message_seq, at, outcome, http_status, request_id, client_request_id, error_json, ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(row.seq, started, attemptOutcome, info?.status ?? null, info?.requestId ?? null, info?.clientRequestId || null, error ? JSON.stringify(error) : null, now - started);
      this.db
        .prepare(
          `UPDATE mail_outbox SET status = ?, attempts = ?, window_start = ?, next_attempt_at = ?, finished_at = ?, duration_ms = ?, error_json = ?,
             lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE seq = ?`,
        )
        .run(status, attempts, windowStart, nextAt, terminal ? now : null, now - row.created_at, error ? JSON.stringify(error) : null, now, row.seq);
    })();
    this.emitRow(row.id);
  }

  /** Deletes attachment folders whose row never got committed (a crash during enqueue). */
  async removeOrphanFiles(olderThanMs = 3_600_000): Promise<number> {
    const root = join(this.options.dataDir, 'attachments');
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      return 0;
    }
    const exists = this.db.prepare('SELECT 1 FROM mail_outbox WHERE id = ?');
    let removed = 0;
    for (const name of names) {
      if (exists.get(name)) continue;
      try {
        const info = await stat(join(root, name));
        if (Date.now() - info.mtimeMs < olderThanMs) continue;
      } catch {
        continue;
      }
      await removeAttachments(this.options.dataDir, name);
      removed += 1;
    }
    return removed;
  }

  /** Deletes finished rows older than `days` and their files. */
  /** Drops the send budget's day-old reservations and the live feed's hour-old changes. */
  prune(now = this.now()): void {
    this.budget?.prune(now);
    this.log.pruneChanges(now - CHANGES_KEPT_MS);
  }

  async purge(days: number, now = this.now()): Promise<number> {
    const cutoff = now - days * 86_400_000;
    this.prune(now);
    let removed = 0;
    for (;;) {
      const ids = this.log.purgeBatch(cutoff);
      for (const id of ids) await removeAttachments(this.options.dataDir, id);
      removed += ids.length;
      if (ids.length === 0) break;
      // Let the event loop breathe between batches on a large purge.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return removed;
  }

  /** A log entry's row as sent to listeners, by id. */
  entry(id: string): LogEntry | null {
    return this.log.entry(id);
  }

  /** For tests and tools: the raw row. */
  row(id: string): OutboxRow | undefined {
    return this.db.prepare('SELECT * FROM mail_outbox WHERE id = ?').get(id) as OutboxRow | undefined;
  }
}

/** Answers that mean Graph did not process the request: safe to repeat it, even a send. */
function notProcessed(error: GraphCallError): boolean {
  if (error.kind === 'config') return true;
  if (error.kind === 'network') return !error.written;
  return error.kind === 'http' && (error.status === 429 || error.status === 401);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}

export { toLogEntry };
