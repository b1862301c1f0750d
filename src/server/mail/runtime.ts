/**
 * The mail module assembled: mailer, outbox, log, keep-alive and retention, with their timers.
 */
import { join } from 'node:path';
import type { Context } from 'hono';
import type { LogEntryDetail, MailAttachmentJson, MailMessage, SendBudgetView } from '../../services/contract.js';
import { MailMessageSchema, parseWith, toFieldErrors } from '../../services/schemas.js';
import { MailInputError, type AttachmentInput } from './attachments.js';
import { GraphMailer, type GraphMailerOptions } from './graph-mailer.js';
import { computeHealth } from './health.js';
import { TokenKeepAlive } from './keep-alive.js';
import { Outbox, type OutboxOptions } from './outbox.js';
import { SecretReminders } from './secret-reminders.js';
import { budgetMailbox, parseSendBudget } from './send-budget.js';
import { SqliteMailboxSlots, type MailboxSlots, type SharedSlotsOptions } from './shared-slots.js';
import { SqliteMailStore } from './sqlite-store.js';
import type { MailStore } from './store.js';
import { DEFAULT_CONFIG_ID } from '../store/types.js';
import { asMailLogger, singleConfig, type Db, type FetchLike, type MailConfig, type MailConfigs, type MailConfigSource, type MailLogger, type TokenSource } from './types.js';

export interface MailModuleOptions {
  /** The store's folder: attachments go under `<dataDir>/attachments/`, uploads spool in `<dataDir>/incoming/`. */
  dataDir: string;
  /** `GRAPH_MAIL_SERVICE_TOKEN`: without it, `POST /send` answers 401 to everyone. */
  serviceToken?: string;
  /** `GRAPH_MAIL_LOG_RETENTION_DAYS` [90]; 0 keeps everything. */
  retentionDays?: number;
  /** How often old rows are purged. */
  purgeEveryMs?: number;
  /** Delegated keep-alive refresh interval (`GRAPH_MAIL_KEEPALIVE_HOURS` [24]). */
  keepAliveIntervalMs?: number;
  keepAliveCheckMs?: number;
  /** Comment lines that keep an idle event stream open through proxies. */
  sseKeepAliveMs?: number;
  /** Largest JSON body of `POST /send` (base64 attachments included), and of a multipart `message` part. */
  maxJsonBodyBytes?: number;
  maxFilesPerMessage?: number;
  /** Graph request options; `sandboxOrigin` and `extraOrigins` may also come from the core's options. */
  graph?: GraphMailerOptions;
  /** Outbox options (attempts, delays, grace, workers, size limits); `dataDir` is taken from above. */
  outbox?: Omit<OutboxOptions, 'dataDir'>;
  /**
   * `GRAPH_MAIL_INSTANCES`: `one` (the default) when this process is the only one on the data folder;
   * `several` when other processes share it: rows in `sending` are then taken over only once their
   * lease runs out (not at start), and the per-mailbox limit is shared through `mailbox-slots.sqlite`
   * (or the `mailboxSlots` the server gives, on PostgreSQL).
   */
  instances?: 'one' | 'several';
  /** The shared slots' timing with `instances: 'several'` (./shared-slots.ts). */
  sharedSlots?: SharedSlotsOptions;
}

/** What the module needs from the server core (the core's `ServerDeps` fits). */
export interface MailDeps {
  /** The SQLite database of the default engines; not needed when `mailStore` is given. */
  db?: Db;
  /** Another engine of the mail store; default the SQLite store on `db`. */
  mailStore?: MailStore;
  /** The per-mailbox slots shared with other processes (`instances: 'several'`); default `mailbox-slots.sqlite` in the data folder. */
  mailboxSlots?: MailboxSlots;
  /** Every configuration's settings and tokens (the server's; one per customer of a host). */
  configs?: MailConfigs;
  /** Without `configs`: the tokens and settings of the one configuration there is. */
  tokens?: TokenSource;
  config?: MailConfigSource;
  /**
   * The configuration a request to the module's routes acts on (the server's `configIdOf` hook), null
   * when the hook named none; without it, every request is `configId`'s.
   */
  configOf?(c: Context): string | null;
  /** The configuration of messages, warnings and feeds whose caller names none; without `configs`, the one of `tokens` and `config`. Default `DEFAULT_CONFIG_ID`. */
  configId?: string;
  fetch?: FetchLike;
  logger?: unknown;
  options?: { sandboxOrigin?: string; sandboxUrl?: string; extraOrigins?: readonly string[] } & Record<string, unknown>;
}

export type ResolvedMailOptions = Required<Omit<MailModuleOptions, 'serviceToken' | 'graph' | 'outbox' | 'sharedSlots'>> & Pick<MailModuleOptions, 'serviceToken' | 'graph' | 'outbox' | 'sharedSlots'>;

export function resolveMailOptions(options: MailModuleOptions): ResolvedMailOptions {
  return {
    retentionDays: 90,
    purgeEveryMs: 6 * 3_600_000,
    keepAliveIntervalMs: 24 * 3_600_000,
    keepAliveCheckMs: 3_600_000,
    sseKeepAliveMs: 15_000,
    maxJsonBodyBytes: 16 * 1024 * 1024,
    maxFilesPerMessage: 50,
    instances: 'one',
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
  } as ResolvedMailOptions;
}

const num = (value: string | undefined): number | undefined => {
  if (value === undefined || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
};

/**
 * Options from the environment (DESIGN.md's settings): `GRAPH_MAIL_SERVICE_TOKEN`,
 * `GRAPH_MAIL_MAX_ATTEMPTS` [8], `GRAPH_MAIL_RETRY_MAX_DELAY_S` [900], `GRAPH_MAIL_LOG_RETENTION_DAYS`
 * [90], and beyond the design: `GRAPH_MAIL_SEND_DEADLINE_S` [86400], `GRAPH_MAIL_RECONCILE_GRACE_S`
 * [60], `GRAPH_MAIL_MAX_MESSAGE_MB` [150], `GRAPH_MAIL_WORKERS` [16], `GRAPH_MAIL_KEEPALIVE_HOURS` [24],
 * `GRAPH_MAIL_SEND_BUDGET` [30/10000: messages a minute / recipients a day per mailbox; `off`],
 * `GRAPH_MAIL_INSTANCES` [one; `several` when other server processes share the data folder].
 */
export function mailOptionsFromEnv(env: Record<string, string | undefined> = process.env): Partial<MailModuleOptions> {
  const seconds = (name: string) => {
    const value = num(env[name]);
    return value === undefined ? undefined : value * 1000;
  };
  const maxMessageMb = num(env.GRAPH_MAIL_MAX_MESSAGE_MB);
  const keepAliveHours = num(env.GRAPH_MAIL_KEEPALIVE_HOURS);
  const outbox: Omit<OutboxOptions, 'dataDir'> = {
    maxAttempts: num(env.GRAPH_MAIL_MAX_ATTEMPTS),
    retryMaxDelayMs: seconds('GRAPH_MAIL_RETRY_MAX_DELAY_S'),
    deadlineMs: seconds('GRAPH_MAIL_SEND_DEADLINE_S'),
    reconcileGraceMs: seconds('GRAPH_MAIL_RECONCILE_GRACE_S'),
    maxMessageBytes: maxMessageMb === undefined ? undefined : Math.floor(maxMessageMb * 1024 * 1024),
    workers: num(env.GRAPH_MAIL_WORKERS),
    sendBudget: parseSendBudget(env.GRAPH_MAIL_SEND_BUDGET),
  };
  const instances = env.GRAPH_MAIL_INSTANCES?.trim();
  if (instances && instances !== 'one' && instances !== 'several') {
    throw new Error(`GRAPH_MAIL_INSTANCES must be "one" or "several" (it is "${instances}"): "several" when other server processes share the data folder.`);
  }
  return {
    instances: instances === 'several' ? 'several' : instances === 'one' ? 'one' : undefined,
    serviceToken: env.GRAPH_MAIL_SERVICE_TOKEN || undefined,
    retentionDays: num(env.GRAPH_MAIL_LOG_RETENTION_DAYS),
    keepAliveIntervalMs: keepAliveHours === undefined ? undefined : keepAliveHours * 3_600_000,
    outbox,
  };
}

/** A message for Node hosts: attachments by path, stream, or base64. */
export type MailApiMessage = Omit<MailMessage, 'attachments'> & { attachments?: Array<AttachmentInput | MailAttachmentJson> };

export interface MailApi {
  /**
   * Queues the message in the durable outbox of the configuration (default the server's default one);
   * resolves with its log id once it is committed.
   */
  send(message: MailApiMessage, options?: { source?: 'app' | 'test'; configId?: string }): Promise<{ id: string }>;
}

export class MailRuntime {
  readonly mailer: GraphMailer;
  readonly outbox: Outbox;
  readonly keepAlive: TokenKeepAlive;
  readonly secretReminders: SecretReminders;
  readonly logger: MailLogger;
  readonly api: MailApi;
  readonly store: MailStore;
  readonly configs: MailConfigs;
  /** The per-mailbox slots shared with other processes (`instances: 'several'`). */
  private readonly sharedSlots: MailboxSlots | null;
  private purgeTimer: ReturnType<typeof setInterval> | undefined;
  private started = false;

  constructor(
    readonly options: ResolvedMailOptions,
    readonly deps: MailDeps,
  ) {
    this.logger = asMailLogger(deps.logger);
    const configId = deps.configId ?? DEFAULT_CONFIG_ID;
    if (!deps.configs && !(deps.tokens && deps.config)) throw new Error('The mail module needs `configs`, or the `tokens` and `config` of its one configuration.');
    this.configs = deps.configs ?? singleConfig(configId, { config: deps.config!, tokens: deps.tokens! });
    const core = deps.options ?? {};
    const several = options.instances === 'several';
    this.sharedSlots = several ? (deps.mailboxSlots ?? new SqliteMailboxSlots(join(options.dataDir, 'mailbox-slots.sqlite'), options.sharedSlots)) : null;
    const graph: GraphMailerOptions = {
      sandboxOrigin: core.sandboxOrigin ?? core.sandboxUrl,
      extraOrigins: core.extraOrigins,
      fetch: deps.fetch,
      ...(this.sharedSlots ? { sharedSlots: this.sharedSlots } : {}),
      ...stripUndefined(options.graph ?? {}),
    };
    this.mailer = new GraphMailer(this.configs.get(configId).tokens, graph);
    if (!deps.mailStore && !deps.db) throw new Error('The mail module needs the SQLite database `db` or a `mailStore`.');
    this.store = deps.mailStore ?? new SqliteMailStore(deps.db!);
    this.outbox = new Outbox(this.store, this.mailer, this.configs, { ...options.outbox, ...(several ? { singleInstance: false } : {}), configId, dataDir: options.dataDir }, this.logger);
    this.keepAlive = new TokenKeepAlive(this.store, this.configs, this.outbox, { intervalMs: options.keepAliveIntervalMs, checkMs: options.keepAliveCheckMs }, this.logger);
    this.secretReminders = new SecretReminders(this.store, this.configs, this.outbox, options.keepAliveCheckMs, this.logger);
    this.api = createMailApi(this);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.outbox.start();
    this.keepAlive.start();
    this.secretReminders.start();
    // Old log rows when a retention is set; the send budget's day-old reservations and the live
    // feed's hour-old changes always.
    const purge = () => {
      if (this.options.retentionDays > 0) {
        void this.outbox.purge(this.options.retentionDays).catch((error) => this.logger.warn('mail: purge failed', { error: String(error) }));
      } else {
        void this.outbox.prune().catch((error) => this.logger.warn('mail: pruning the send budget or the change feed failed', { error: String(error) }));
      }
    };
    const tidy = () => {
      purge();
      // Copies in the database outlive a crashed enqueue, and local caches the message sent elsewhere.
      if (this.store.attachments) void this.outbox.removeOrphanFiles().catch((error) => this.logger.warn('mail: removing stale attachments failed', { error: String(error) }));
    };
    purge();
    this.purgeTimer = setInterval(tidy, this.options.purgeEveryMs);
    this.purgeTimer.unref?.();
  }

  async stop(graceMs?: number): Promise<void> {
    this.started = false;
    this.keepAlive.stop();
    this.secretReminders.stop();
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.purgeTimer = undefined;
    await this.outbox.stop(graceMs);
    this.sharedSlots?.close();
  }

  /** The configuration's sending mailbox's budget for the log page, when the outbox paces itself. */
  async budgetView(configId = this.outbox.configId): Promise<SendBudgetView | undefined> {
    if (!this.outbox.budget) return undefined;
    let config: MailConfig | null = null;
    try {
      config = await this.configs.get(configId).config.getEffectiveConfig();
    } catch {
      return undefined;
    }
    return config ? this.outbox.budgetView(budgetMailbox(config, configId)) : undefined;
  }

  /** `/health` of the configuration. */
  health(configId = this.outbox.configId) {
    return computeHealth(this.configs.get(configId).config, this.outbox.log, configId);
  }

  /**
   * Queues a message and waits until it is sent, failed or unknown (or the time runs out): for the
   * configuration test, whose report needs the outcome.
   */
  async sendAndWait(message: MailApiMessage, options: { source?: 'app' | 'test'; timeoutMs?: number; configId?: string } = {}): Promise<LogEntryDetail> {
    const configId = options.configId ?? this.outbox.configId;
    const { id } = await this.api.send(message, { source: options.source ?? 'test', configId });
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    return new Promise<LogEntryDetail>((resolve, reject) => {
      let done = false;
      const check = async () => {
        const detail = await this.outbox.log.detail(configId, id);
        if (detail && (detail.status === 'sent' || detail.status === 'failed' || detail.status === 'unknown')) return finish(detail);
        if (Date.now() >= deadline && detail) return finish(detail);
      };
      const finish = (detail: LogEntryDetail | Error) => {
        if (done) return;
        done = true;
        unsubscribe();
        clearInterval(timer);
        if (detail instanceof Error) reject(detail);
        else resolve(detail);
      };
      const checkNow = () => void check().catch((error: unknown) => finish(error instanceof Error ? error : new Error(String(error))));
      const unsubscribe = this.outbox.onChange((event) => {
        if (event.type === 'log' && event.entry.id === id) checkNow();
      }, configId);
      const timer = setInterval(checkNow, 250);
      checkNow();
    });
  }
}

/** The in-process API for Node hosts (`mail.send(message)`). */
export function createMailApi(runtime: { outbox: Outbox }): MailApi {
  return {
    async send(message, options = {}) {
      const attachments = message.attachments ?? [];
      const base64 = attachments.filter((item): item is MailAttachmentJson => 'contentBase64' in item);
      const parsed = parseWith(MailMessageSchema, { ...message, attachments: base64.length ? base64 : undefined });
      if (!parsed.ok) throw new MailInputError(toFieldErrors(parsed.issues));
      const id = await runtime.outbox.enqueue({ ...message, attachments: undefined } as MailMessage, attachments as AttachmentInput[], options.source ?? 'app', options.configId);
      return { id };
    },
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}

export const attachmentsDir = (dataDir: string) => join(dataDir, 'attachments');
