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
 * Every read and write goes through `MailStore` (./store.ts), awaited: a phase is committed before the
 * step it records begins.
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
import { budgetAddress, budgetMailbox, budgetView, EXCHANGE_SEND_BUDGET, recipientCount, type SendBudget } from './send-budget.js';
import { configMetaKey } from './schedule.js';
import { toLogEntry, type MailLog, type MailStore, type MailWarning, type OutboxRow, type PhasePatch, type SharedAttachments } from './store.js';
import type { MailConfig, MailConfigs, MailConfigSource, MailLogger, TokenSource } from './types.js';
import { DEFAULT_CONFIG_ID } from '../store/types.js';
import type { SendBudgetView } from '../../services/contract.js';
import { silentLogger, singleConfig } from './types.js';

export interface OutboxOptions {
  /** Attachments go under `<dataDir>/attachments/`. */
  dataDir: string;
  /**
   * The configuration a message, a warning or a feed belongs to when the caller names none (default
   * `DEFAULT_CONFIG_ID`); with a single `MailConfigSource`, the one it is.
   */
  configId?: string;
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
  /**
   * Messages sent at once, over every configuration (`GRAPH_MAIL_WORKERS`); at most as many of one
   * configuration as its mailbox takes requests at once (4), so that one slow mailbox cannot hold
   * every worker while the other configurations' messages wait.
   */
  workers?: number;
  leaseMs?: number;
  /** Longest sleep of an idle worker. */
  pollMs?: number;
  /**
   * How long a configuration whose sending is paused (nothing usable saved, a reconnect needed) is left
   * alone before its messages are looked at again; `resume(configId)` ends the wait at once.
   */
  pausedRecheckMs?: number;
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

type ResolvedOptions = Required<Omit<OutboxOptions, 'random' | 'now' | 'configId'>> & { random: () => number; now: () => number };

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
  workers: 16,
  leaseMs: 5 * 60_000,
  pollMs: 1_000,
  pausedRecheckMs: 15_000,
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
  /** The log's reads and warnings: the store, as far as the routes need it. */
  readonly log: MailLog;
  /** The configuration of a message, warning or feed whose caller names none. */
  readonly configId: string;
  readonly options: ResolvedOptions;
  private readonly owner = randomUUID();
  /** The live feed's listeners, by configuration. */
  private readonly listeners = new Map<string, Set<(event: OutboxEvent) => void>>();
  private readonly sleepers = new Set<() => void>();
  private running = false;
  private loops: Promise<void>[] = [];
  private abort = new AbortController();
  /** The mailbox's send budget; null when it is off. */
  readonly budget: SendBudget | null;
  /** The ids of the messages this instance is sending now. */
  private readonly sending = new Set<string>();
  /** Messages this instance is sending now, by configuration. */
  private readonly inFlight = new Map<string, number>();
  /** The claim in progress in this process; the next worker's claim waits for it (claimCounted). */
  private claiming: Promise<unknown> = Promise.resolve();
  /** Local attachment folders being removed, by message id (a worker waits before it reads one). */
  private readonly removing = new Map<string, Promise<void>>();
  /** The budget reservation of each claimed row, by row seq, until its attempt ends. */
  private readonly reservations = new Map<number, number>();
  /** Each configuration's reader of other processes' changes, while anyone listens to it. */
  private readonly feeds = new Map<string, Feed>();
  /** Configurations whose sending is paused, and until when their messages are left alone. */
  private readonly paused = new Map<string, number>();
  private readonly configs: MailConfigs;

  constructor(
    private readonly store: MailStore,
    private readonly mailer: GraphMailer,
    configs: MailConfigs | MailConfigSource,
    options: OutboxOptions,
    private readonly logger: MailLogger = silentLogger,
  ) {
    this.options = { ...DEFAULT_OUTBOX_OPTIONS, random: Math.random, now: Date.now, ...stripUndefined(options) } as ResolvedOptions;
    this.log = store;
    this.configId = options.configId ?? DEFAULT_CONFIG_ID;
    this.configs = 'getEffectiveConfig' in configs ? singleConfig(this.configId, { config: configs, tokens: mailer.tokens }) : configs;
    this.budget = this.options.sendBudget === 'off' ? null : this.options.sendBudget;
  }

  now(): number {
    return this.options.now();
  }

  // Events (the log's live feed).

  /** Follows one configuration's log (default the outbox's own): its messages' changes and its warnings. */
  onChange(listener: (event: OutboxEvent) => void, configId = this.configId): () => void {
    let listeners = this.listeners.get(configId);
    if (!listeners) this.listeners.set(configId, (listeners = new Set()));
    listeners.add(listener);
    this.startFeed(configId);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.listeners.get(configId) === listeners) {
        this.listeners.delete(configId);
        this.stopFeed(configId);
      }
    };
  }

  /**
   * Other processes on the same database (a second server, an overlapping restart) change rows this
   * one never sees: while anyone listens to a configuration, its changes are read from `mail_changes`
   * in commit order. A change seen both here and there goes out once (`shown`).
   */
  private startFeed(configId: string): void {
    if (this.feeds.has(configId)) return;
    const feed: Feed = { timer: setInterval(() => void this.pollFeed(configId), this.options.feedPollMs), mark: null, polls: 0, busy: false, shown: new Map(), shownWarnings: new Set() };
    feed.timer.unref();
    this.feeds.set(configId, feed);
    this.store.changeMark().then(
      (mark) => {
        feed.mark ??= mark;
      },
      (error: unknown) => this.logger.warn('mail: the live feed could not read the changes', { error: String(error) }),
    );
  }

  private stopFeed(configId: string): void {
    const feed = this.feeds.get(configId);
    if (!feed) return;
    clearInterval(feed.timer);
    this.feeds.delete(configId);
  }

  private async pollFeed(configId: string): Promise<void> {
    const feed = this.feeds.get(configId);
    // A poll still reading (or a start whose mark is not read yet) is not overtaken.
    if (!feed || !feed.mark || feed.busy) return;
    feed.busy = true;
    try {
      const { entries, warnings, mark } = await this.store.changesSince(configId, feed.mark);
      if (this.feeds.get(configId) !== feed) return;
      feed.mark = mark;
      for (const entry of entries) this.emitEntry(configId, entry);
      for (const warning of warnings) this.emitWarning(configId, warning);
      feed.polls += 1;
      if (feed.polls % 600 === 0) await this.store.pruneChanges(this.now() - CHANGES_KEPT_MS);
    } catch (error) {
      this.logger.warn('mail: the live feed could not read the changes', { error: String(error) });
    } finally {
      feed.busy = false;
    }
  }

  private emitEntry(configId: string, entry: LogEntry): void {
    const feed = this.feeds.get(configId);
    if (!feed) return;
    const signature = `${entry.status}|${entry.attempts}|${entry.durationMs}|${entry.error?.code ?? ''}`;
    if (feed.shown.get(entry.id) === signature) return;
    if (feed.shown.size >= 10_000) feed.shown.clear();
    feed.shown.set(entry.id, signature);
    this.emit({ type: 'log', entry }, configId);
  }

  private emitWarning(configId: string, warning: MailWarning): void {
    const feed = this.feeds.get(configId);
    if (!feed || feed.shownWarnings.has(warning.id)) return;
    if (feed.shownWarnings.size >= 10_000) feed.shownWarnings.clear();
    feed.shownWarnings.add(warning.id);
    this.emit({ type: 'warning', warning }, configId);
  }

  emit(event: OutboxEvent, configId = this.configId): void {
    for (const listener of this.listeners.get(configId) ?? []) {
      try {
        listener(event);
      } catch (error) {
        this.logger.warn('mail: a log listener failed', { error: String(error) });
      }
    }
  }

  /** Tells this process's live feeds of a row's state; a store that cannot answer costs only the notice. */
  private async emitRow(id: string, configId: string): Promise<void> {
    if (!this.listeners.has(configId)) return;
    try {
      const entry = await this.store.entry(configId, id);
      if (entry) this.emitEntry(configId, entry);
    } catch (error) {
      this.logger.warn('mail: a live feed missed a change', { configId, error: String(error) });
    }
  }

  /** A warning in the configuration's log (default the outbox's own). */
  async warn(code: string, message: string, hint: string, configId = this.configId): Promise<MailWarning> {
    const warning = await this.store.addWarning(configId, code, message, hint);
    this.logger.warn(`mail: ${message}`, { code, configId });
    this.emitWarning(configId, warning);
    return warning;
  }

  // Enqueue.

  /**
   * Validates the message, writes its attachments as files, then commits the row: from here on it is
   * never lost. Returns the log id. Throws `MailInputError` for an invalid message or a size limit.
   */
  async enqueue(message: OutgoingMessage, attachments: ReadonlyArray<AttachmentInput | OwnedFileInput> = [], source: 'app' | 'test' = 'app', configId = this.configId): Promise<string> {
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
    const shared = records.length ? this.store.attachments : undefined;
    try {
      // Every instance can read the files before any can claim the message.
      await shared?.put(id, records.map((record, part) => ({ part, path: join(this.options.dataDir, record.file) })), now);
      await this.store.insertMessage({
        id,
        config_id: configId,
        created_at: now,
        source,
        recipients,
        to_json: JSON.stringify(stored.to),
        subject: stored.subject,
        message_json: JSON.stringify(stored),
        attachments_json: JSON.stringify(records),
        total_bytes: records.reduce((sum, r) => sum + r.size, 0),
        next_attempt_at: now,
      });
    } catch (error) {
      await removeAttachments(this.options.dataDir, id);
      await shared?.remove(id).catch(() => undefined);
      throw error;
    }
    await this.emitRow(id, configId);
    this.wakeOne();
    return id;
  }

  // Admin actions.

  /** Queues a failed or unknown message of the configuration again with a fresh attempt budget: the admin decided. */
  async retry(id: string, configId = this.configId): Promise<{ ok: true } | { ok: false; reason: 'not-found' | 'conflict'; status?: string }> {
    const row = await this.store.row(id);
    if (!row || row.config_id !== configId) return { ok: false, reason: 'not-found' };
    if (row.status !== 'failed' && row.status !== 'unknown') return { ok: false, reason: 'conflict', status: row.status };
    const now = this.now();
    // On the sendMail path the admin's retry is the decision to send again; a draft is still looked
    // up first, so a message that did go out is not sent twice.
    const phase = row.path === 'sendMail' ? 'new' : row.phase;
    const changed = await this.store.requeue(row.seq, phase, now);
    if (!changed) return { ok: false, reason: 'conflict' };
    await this.emitRow(id, configId);
    this.wakeOne();
    return { ok: true };
  }

  // Workers.

  /** Recovers orphaned rows, then starts the workers (no worker claims before the recovery is committed). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    const recovered = this.recover().then(
      () => undefined,
      (error: unknown) => this.logger.error('mail: the rows left in sending could not be recovered', { error: String(error) }),
    );
    this.loops = Array.from({ length: this.options.workers }, (_, index) => recovered.then(() => this.loop(index)));
    void recovered.then(() => this.removeOrphanFiles()).catch(() => undefined);
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
  async recover(now = this.now()): Promise<number> {
    const changed = await this.store.recover(now, this.options.singleInstance);
    if (changed) this.logger.info('mail: rows left in sending are reconciled', { count: changed });
    return changed;
  }

  wake(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  /** One more message is due: one idle worker is enough (the others would only claim nothing). */
  private wakeOne(): void {
    const [first] = this.sleepers;
    first?.();
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

  /** The configuration when sending can work now; null pauses its sending. */
  private async readyConfig(source: MailConfigSource): Promise<MailConfig | null> {
    try {
      const config = await source.getEffectiveConfig();
      if (!config) return null;
      const status = source.getStatus ? await source.getStatus() : null;
      const state = status?.connection.state;
      if (state === 'needs-reconnect') return null;
      if (config.mode === 'delegated' && state && state !== 'connected') return null;
      return config;
    } catch (error) {
      this.logger.warn('mail: the configuration could not be read', { error: String(error) });
      return null;
    }
  }

  /**
   * Ends the wait of a paused configuration (it was saved or connected): its messages go out now, also
   * those another instance put back while the configuration could not send. Returns once they are due.
   */
  async resume(configId: string): Promise<void> {
    this.paused.delete(configId);
    const now = this.now();
    try {
      await this.store.bringForward(configId, now + this.options.pausedRecheckMs, now);
    } catch (error) {
      this.logger.warn('mail: the paused messages could not be brought forward; they go out within the pause', { configId, error: String(error) });
    }
    this.wake();
  }

  /**
   * The configurations whose messages this process leaves alone for now: those paused, and those with
   * as many messages in flight here as their mailbox takes requests at once. More workers on one of
   * those would only wait for its mailbox while other configurations' messages wait for a worker.
   */
  private skippedConfigs(now: number): string[] {
    for (const [configId, until] of this.paused) if (until <= now) this.paused.delete(configId);
    const skipped = [...this.paused.keys()];
    const limit = this.mailer.options.perMailboxConcurrency;
    for (const [configId, count] of this.inFlight) if (count >= limit && !this.paused.has(configId)) skipped.push(configId);
    return skipped;
  }

  private async loop(index: number): Promise<void> {
    while (this.running) {
      let claimed: { row: OutboxRow | null; skipped: string[] };
      try {
        claimed = await this.claimCounted();
        if (!claimed.row) await this.sleep(await this.idleFor(this.now(), claimed.skipped));
      } catch (error) {
        // The database did not answer (a failover, a restart): this worker waits and claims again.
        this.logger.error('mail: a worker could not claim', { worker: index, error: String(error) });
        await this.sleep(this.options.pollMs);
        continue;
      }
      const { row } = claimed;
      if (!row) continue;
      try {
        await this.process(row);
      } catch (error) {
        // Only a failure of the store itself lands here; the row stays leased and is recovered later.
        this.logger.error('mail: a worker failed', { worker: index, error: String(error) });
        await this.sleep(this.options.pollMs);
      } finally {
        this.sending.delete(row.id);
        const left = (this.inFlight.get(row.config_id) ?? 1) - 1;
        if (left > 0) this.inFlight.set(row.config_id, left);
        else this.inFlight.delete(row.config_id);
      }
    }
  }

  /**
   * One worker at a time chooses what to skip, claims and counts its row in flight, so that workers
   * starting together (or woken together) cannot all claim the same busy configuration's rows before
   * any of them is counted. A claim is one statement; taking them in turn costs the workers nothing
   * they would notice beside a Graph request.
   */
  private claimCounted(): Promise<{ row: OutboxRow | null; skipped: string[] }> {
    const next = this.claiming.then(async () => {
      const skipped = this.skippedConfigs(this.now());
      const row = await this.claim(this.now(), skipped);
      if (row) {
        this.sending.add(row.id);
        this.inFlight.set(row.config_id, (this.inFlight.get(row.config_id) ?? 0) + 1);
      }
      return { row, skipped };
    });
    this.claiming = next.catch(() => undefined);
    return next;
  }

  /** How long an idle worker sleeps: until the next row it may take is due, at most `pollMs`. */
  private async idleFor(now: number, skipped: readonly string[]): Promise<number> {
    const next = await this.store.nextDueAt(skipped);
    return next === null ? this.options.pollMs : Math.min(this.options.pollMs, Math.max(5, next - now));
  }

  /**
   * Takes the next due row (or one whose lease expired) of any configuration whose sending is not
   * paused, in one atomic statement.
   */
  async claim(now = this.now(), skipConfigs = this.skippedConfigs(now)): Promise<OutboxRow | null> {
    const { row } = await this.store.claim({ now, owner: this.owner, leaseMs: this.options.leaseMs, skipConfigs });
    return row;
  }

  /**
   * Sends a claimed row with its own configuration's settings and tokens. A configuration that cannot
   * send now (nothing usable saved, a reconnect needed) puts the row back untouched and is left alone
   * for a while; with a send budget, the row's recipients are reserved from its mailbox's budget first,
   * and a spent budget puts it back, queued, until the budget frees up.
   */
  private async process(row: OutboxRow): Promise<void> {
    const { config: source, tokens } = this.configs.get(row.config_id);
    const config = await this.readyConfig(source);
    if (!config) {
      const until = this.now() + this.options.pausedRecheckMs;
      this.paused.set(row.config_id, until);
      await this.store.postpone(row.seq, this.owner, until, this.now());
      return;
    }
    if (this.budget) {
      const mailbox = budgetMailbox(config, row.config_id);
      const now = this.now();
      const reserved = await this.store.reserveBudget({ seq: row.seq, owner: this.owner, configId: row.config_id, mailbox, recipients: recipientCount(row.message_json), budget: this.budget, now });
      if (reserved.reservation === null) {
        if (reserved.day) await this.warnDayBudgetSpent(row.config_id, mailbox, reserved.until);
        await this.emitRow(row.id, row.config_id);
        return;
      }
      this.reservations.set(row.seq, reserved.reservation);
    }
    await this.emitRow(row.id, row.config_id);
    await this.send(row, config, tokens);
  }

  /** Once per stretch of a spent day budget: the log says why messages wait, and until when. */
  private async warnDayBudgetSpent(configId: string, mailbox: string, until: number): Promise<void> {
    // Per configuration: each configuration sending from the mailbox has its own log to say it in.
    const key = configMetaKey(`budget.dayWarned.${mailbox}`, configId);
    const warned = await this.store.meta(key);
    if (warned !== null && Number(warned) > this.now()) return;
    await this.store.setMeta(key, String(until));
    const { recipientsPerDay } = this.budget!;
    await this.warn(
      'SEND_BUDGET_SPENT',
      `The mailbox ${budgetAddress(mailbox) ?? 'of the connected account'} has used its budget of ${recipientsPerDay} recipients for the last 24 hours (Exchange Online's limit): the queued messages wait until ${new Date(until).toISOString()}, then go out.`,
      'Nothing is lost. To send more, spread the mail over several mailboxes, or ask whether fewer recipients would do.',
      configId,
    );
  }

  /**
   * Gives a claim's budget back when its attempt did not ask Graph to send, or Graph refused the send
   * for certain (a `failed` outcome: nothing went out). An ambiguous end keeps it.
   */
  private async settleReservation(row: OutboxRow, started: number, outcome: Outcome): Promise<void> {
    const reservation = this.reservations.get(row.seq);
    if (reservation === undefined) return;
    this.reservations.delete(row.seq);
    const requested = row.send_requested_at !== null && row.send_requested_at >= started;
    if (!requested || outcome.kind === 'failed') await this.store.releaseReservation(reservation);
  }

  /** Writes the row's phase fields; committed when it resolves, so only then may the step it records begin. */
  private async update(row: OutboxRow, patch: Partial<PhasePatch>): Promise<void> {
    Object.assign(row, patch);
    await this.store.savePhase(row.seq, this.owner, { phase: row.phase, path: row.path, draft_id: row.draft_id, draft_user: row.draft_user, send_requested_at: row.send_requested_at }, this.now());
  }

  private async send(row: OutboxRow, config: MailConfig, tokens: TokenSource): Promise<void> {
    const started = this.now();
    const heartbeat = setInterval(() => {
      this.store.heartbeat(row.seq, this.owner, this.now() + this.options.leaseMs).catch(() => {
        // The next beat tries again; a lost lease only means another instance may reconcile the row.
      });
    }, Math.max(1_000, Math.floor(this.options.leaseMs / 3)));
    let outcome: Outcome;
    let session: MailSession | undefined;
    try {
      session = await this.mailer.open(config, this.abort.signal, tokens);
      outcome = await this.deliver(row, session);
    } catch (error) {
      outcome = this.outcomeOf(error, session?.lastInfo);
    } finally {
      clearInterval(heartbeat);
    }
    await this.settleReservation(row, started, outcome);
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

  /**
   * The row's attachment files in this instance's data folder; where the store keeps a shared copy
   * (PostgreSQL) and this instance has not got a file (another instance took the message in), it is
   * written back from the copy first. A file in neither place fails the message (ATTACHMENT_MISSING)
   * before anything reaches the mailbox.
   */
  private async attachmentsOf(row: OutboxRow): Promise<StoredAttachment[]> {
    const records = JSON.parse(row.attachments_json) as AttachmentRecord[];
    const shared = this.store.attachments;
    await this.removing.get(row.id);
    return Promise.all(
      records.map(async (record, part) => {
        const path = join(this.options.dataDir, record.file);
        // Checked before any Graph call, so that a missing file leaves no draft behind in the mailbox.
        // A message whose send was requested may be sent already, its files gone: it is looked up first.
        if (!(await exists(path)) && !(shared && (await shared.restore(row.id, part, path))) && row.phase !== 'send-requested') {
          throw Object.assign(new Error(`Attachment ${part} of message ${row.id} is missing.`), { code: 'ENOENT' });
        }
        return { name: record.name, contentType: record.contentType, size: record.size, path };
      }),
    );
  }

  private async deliver(row: OutboxRow, session: MailSession): Promise<Outcome> {
    const message = JSON.parse(row.message_json) as StoredMessage;
    const attachments = await this.attachmentsOf(row);
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
        await this.update(row, { phase: 'ready' });
      } else {
        await this.update(row, { phase: 'new', draft_id: null, draft_user: null, send_requested_at: null });
      }
    }
    if (row.phase === 'draft' && row.draft_id) {
      // Its attachments may be incomplete; it was never sent, so it can go.
      await session.deleteDraft(row.draft_user ?? session.user, row.draft_id).catch(() => undefined);
      await this.update(row, { phase: 'new', draft_id: null, draft_user: null });
    }
    if (row.phase === 'new' || !row.draft_id) {
      const draftId = await session.createDraft(message);
      Object.assign(row, { draft_id: draftId, draft_user: session.user });
      if (attachments.length > 0) {
        // A draft whose attachments may not all arrive: a restart in this phase deletes it.
        await this.update(row, { phase: 'draft' });
        await session.addAttachments(session.user, draftId, attachments);
      }
    }
    // The draft id is committed before `/send`, in the same write as the request: whatever happens
    // next, the message can be looked up. No other write comes between: each is an fsync, and they
    // were a sixth of a message's time while its mailbox slot waited.
    await this.update(row, { phase: 'send-requested', send_requested_at: this.now() });
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
        await this.update(row, { phase: 'ready' });
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
    await this.update(row, { phase: 'send-requested', send_requested_at: this.now() });
    try {
      const info = await session.sendMail(message, attachments, session.config.saveToSentItems);
      if (info.retryAfterMs !== undefined) {
        const cause = { code: 'ACCEPTED_WITH_RETRY_AFTER', message: 'Graph accepted the send but asked to come back later.', hint: '', requestId: info.requestId };
        return { kind: 'unknown', error: ambiguous(cause, false), info };
      }
      return { kind: 'sent', via: 'sent', info };
    } catch (error) {
      if (!(error instanceof GraphCallError)) {
        await this.update(row, { phase: 'new' });
        throw error;
      }
      if (notProcessed(error) || (error.kind === 'http' && (error.status ?? 0) < 500)) {
        await this.update(row, { phase: 'new' });
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
      await this.store.postpone(row.seq, this.owner, outcome.until, now);
      await this.emitRow(row.id, row.config_id);
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
      await this.store.attachments?.remove(row.id).catch(() => undefined);
    }
    await this.store.finishAttempt(
      row.seq,
      { at: started, outcome: attemptOutcome, httpStatus: info?.status ?? null, requestId: info?.requestId ?? null, clientRequestId: info?.clientRequestId || null, error, ms: now - started },
      { status, attempts, window_start: windowStart, next_attempt_at: nextAt, finished_at: terminal ? now : null, duration_ms: now - row.created_at, error, updated_at: now },
    );
    await this.emitRow(row.id, row.config_id);
  }

  /**
   * Deletes attachment folders whose row never got committed (a crash during enqueue), and, where the
   * store keeps a shared copy, the copies of such rows and the local folders of messages this instance
   * is not sending (they are only a cache then: another instance may have sent them).
   */
  async removeOrphanFiles(olderThanMs = 3_600_000): Promise<number> {
    const shared = this.store.attachments;
    if (shared) await shared.removeOrphans(this.now() - olderThanMs).catch((error: unknown) => this.logger.warn('mail: stale attachment copies could not be removed', { error: String(error) }));
    const root = join(this.options.dataDir, 'attachments');
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      try {
        const info = await stat(join(root, name));
        if (Date.now() - info.mtimeMs < olderThanMs) continue;
      } catch {
        continue;
      }
      if (shared ? await this.onlyCopyOf(name, shared) : await this.store.hasMessage(name)) continue;
      if (this.sending.has(name)) continue;
      // No await between the check above and this mark: a worker that claims the message now waits
      // for the removal and writes the files back from the shared copy.
      const removal = removeAttachments(this.options.dataDir, name).finally(() => this.removing.delete(name));
      this.removing.set(name, removal);
      await removal;
      removed += 1;
    }
    return removed;
  }

  /**
   * Whether a local attachment folder is the only copy of files a message still needs: the database has
   * none (a message queued before copies were kept there, or one whose copy was lost) and the message is
   * not sent. Such a folder is not a cache and stays.
   */
  private async onlyCopyOf(messageId: string, shared: SharedAttachments): Promise<boolean> {
    if (await shared.has(messageId)) return false;
    const row = await this.store.row(messageId);
    return row !== undefined && row.status !== 'sent';
  }

  /** Drops the send budget's day-old reservations and the live feed's hour-old changes. */
  async prune(now = this.now()): Promise<void> {
    if (this.budget) await this.store.pruneBudget(now);
    await this.store.pruneChanges(now - CHANGES_KEPT_MS);
  }

  /** Deletes finished rows older than `days` and their files. */
  async purge(days: number, now = this.now()): Promise<number> {
    const cutoff = now - days * 86_400_000;
    await this.prune(now);
    let removed = 0;
    for (;;) {
      const ids = await this.store.purgeBatch(cutoff);
      for (const id of ids) {
        await removeAttachments(this.options.dataDir, id);
        await this.store.attachments?.remove(id);
      }
      removed += ids.length;
      if (ids.length === 0) break;
      // Let the event loop breathe between batches on a large purge.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return removed;
  }

  /** A log entry's row as sent to listeners, by id. */
  entry(id: string, configId = this.configId): Promise<LogEntry | null> {
    return this.store.entry(configId, id);
  }

  /** For tests and tools: the raw row. */
  row(id: string): Promise<OutboxRow | undefined> {
    return this.store.row(id);
  }

  /** The sending mailbox's budget as the log page shows it; undefined when the budget is off. */
  async budgetView(mailbox: string, now = this.now()): Promise<SendBudgetView | undefined> {
    return this.budget ? budgetView(this.budget, await this.store.recipientsUsed(mailbox, now)) : undefined;
  }
}

/** Answers that mean Graph did not process the request: safe to repeat it, even a send. */
function notProcessed(error: GraphCallError): boolean {
  if (error.kind === 'config') return true;
  if (error.kind === 'network') return !error.written;
  return error.kind === 'http' && (error.status === 429 || error.status === 401);
}

/** A configuration's live feed: where it has read to, and what it has shown. */
interface Feed {
  timer: NodeJS.Timeout;
  mark: { change: number; warning: number } | null;
  polls: number;
  busy: boolean;
  /** What each message last looked like in the feed, and the warnings already sent. */
  shown: Map<string, string>;
  shownWarnings: Set<number>;
}

const exists = (path: string) => stat(path).then(
  () => true,
  () => false,
);

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}

export { toLogEntry };
