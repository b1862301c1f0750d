/**
 * An in-memory backend with the semantics of the reference server, for Storybook and element tests:
 * the same schemas and error classes, the write-only secret, etags, the lock while connected, a
 * simulated sign-in, test reports, and a seeded notification log with the server's filters and keyset.
 * Runs in browsers and in Node. Not part of the one-tag bundle.
 */
import type {
  AppRestriction,
  AuthMode,
  CertificateInput,
  CloudId,
  CloudInfo,
  ConfigInput,
  ConfigView,
  ConnectionView,
  ConnectRequest,
  ConnectStart,
  ConnectStatus,
  EmailBackendAdapter,
  EndpointDefaults,
  EndpointTemplates,
  LogChange,
  LogEntry,
  LogEntryDetail,
  LogPage,
  SendBudgetView,
  LogQuery,
  LogStatus,
  Problem,
  TenantLookup,
  TestReport,
  TestRequest,
  TestStep,
  TestStepId,
  UpstreamError,
} from './contract.js';
import { ENDPOINT_NAMES, LOCKED_FIELDS, TEST_STEP_IDS } from './contract.js';
import { explainGraphError, explainIdentityError, type Diagnosis } from './diagnostics.js';
import { NATIONAL_CLOUD_IDS, defaultEndpoints, presetFor } from './endpoints.js';
import {
  AbortedError,
  BackendError,
  ConflictError,
  NetworkError,
  RateLimitedError,
  StaleError,
  UnauthorizedError,
  UpstreamFailure,
  ValidationProblem,
  type FieldError,
} from './errors.js';
import {
  baseFilter,
  compareRecords,
  countStatuses,
  decodeCursor,
  encodeCursor,
  failureError,
  generateLog,
  historyOf,
  indexAfter,
  random,
  uuid,
  type LogRecord,
} from './memory-log.js';
import { CSV_HEAD, csvEntry } from './log-csv.js';
import { RestrictAppInputError, restrictAppScript } from './restrict-app.js';
import { supportBundle } from './support-bundle.js';
import { ConnectRequestSchema, DOMAIN_PATTERN, GUID_PATTERN, LogQuerySchema, TestRequestSchema, parseWith, toFieldErrors, validateConfigInput, type Issue } from './schemas.js';

/** Which step of a connection test fails, and how (the codes the server's diagnostics explain). */
export type MemoryTestFailure =
  /** token: AADSTS7000215, the secret is wrong (often the Secret ID pasted for the value). */
  | 'wrong-secret'
  /** token: AADSTS7000222, the secret has expired. */
  | 'expired-secret'
  /** tenant: AADSTS90002, no such tenant. */
  | 'unknown-tenant'
  /** permissions: the token lacks Mail.Send. */
  | 'missing-permission'
  /** mailbox: MailboxNotEnabledForRESTAPI, the sender has no Exchange Online mailbox. */
  | 'mailbox-not-found'
  /** send: ErrorSendAsDenied, the account may not send as the sender address. */
  | 'send-failure';

export interface MemoryConnectScenario {
  /** How the sign-in ends. `popup-blocked`: a popup sign-in never finishes, a redirect one does. Default `success`. */
  outcome?: 'success' | 'error' | 'popup-blocked';
  /** The account a successful sign-in connects. Default the sender address, else `admin@contoso.com`. */
  account?: string;
  /** The error a failed sign-in reports. Default AADSTS65004 (consent declined). */
  error?: string;
  /** How long the sign-in takes, from `beginConnect`. Default 1200 ms. */
  delayMs?: number;
}

export interface MemoryScenario {
  connect?: MemoryConnectScenario;
  /** A failing step of the connection test; none by default. */
  test?: MemoryTestFailure;
  /**
   * When set, a stored secret other than this one fails the token step with AADSTS7000215; a second
   * secret (`nextClientSecret`) other than this one is refused (the view says so) and one equal to it
   * replaces the secret at the next connection test.
   */
  acceptedSecret?: string;
  /**
   * How the Send As check ends after a sign-in whose account is not the From address: `ok` (default)
   * or `denied` (ErrorSendAsDenied, explained).
   */
  sendAs?: 'ok' | 'denied';
  /** Permissions in issued tokens. Default everything the mode can use. */
  granted?: string[];
  /** How long a message stays queued, then sending, when the log simulates a send. Default 400 ms. */
  sendDelayMs?: number;
  /** How a retried (or live) message ends. Default `sent`. */
  sendOutcome?: 'sent' | 'failed' | 'unknown';
  /**
   * Where `lookupTenant` finds a tenant (GUID or domain, any case): a cloud, or null for one no cloud
   * knows. A tenant not listed lives in the saved settings' cloud (unknown with `test: 'unknown-tenant'`).
   */
  tenants?: Record<string, CloudId | null>;
}

/** Shorthands for `failNext`. */
export type MemoryFailure = 'network' | 'unauthorized' | 'forbidden' | 'rate-limited' | 'server' | 'stale' | 'conflict' | 'upstream';

export interface MemoryAdapterOptions {
  /**
   * Settings saved before the first call (validated like a save; a mistake throws). Without
   * `clientSecret`, a placeholder secret counts as saved. Omit for a never-configured backend.
   */
  config?: Partial<ConfigInput>;
  /** Starts connected (delegated mode), as this account when a string. Needs `config`; uses `SAMPLE_CONFIG` when absent. */
  connected?: boolean | string;
  /** Seeded log rows: a count (generated, e.g. 100000) or the entries themselves. Default 0. */
  logRows?: number | LogEntry[];
  /** Delay of every call, in ms. Default 0. */
  latencyMs?: number;
  /** Scripted outcomes of sign-in, tests and sends; changeable later through `scenario`. */
  scenario?: MemoryScenario;
  /** Seed of the generator (rows, ids, timings). Default 1. */
  seed?: number;
  /** Offers the `sandbox` cloud on this origin (e.g. `http://127.0.0.1:8788`). */
  sandboxOrigin?: string;
  /** Default `http://127.0.0.1:8787/api/mail/connect/callback`. */
  redirectUri?: string;
  /** Default the origin of `redirectUri`. */
  callbackOrigin?: string;
  /** The sign-in page to open. Default `about:blank` for a popup, the `returnTo` path for a redirect. */
  authorizeUrl?: (start: { state: string; mode: ConnectRequest['mode']; returnTo?: string }) => string;
  /** Test sends allowed per minute, then 429. Default unlimited. */
  testPerMinute?: number;
  /** While someone subscribes to the log, a new message arrives this often (ms). Default never. */
  liveEveryMs?: number;
  /**
   * A text search counts at most this many matches, newest first, and then says its counts are lower
   * bounds (`countsCapped`), as the reference server does at 1,000. Default: counts are exact.
   */
  textCountCap?: number;
  /**
   * The sending mailbox's budget the log page shows, as the reference server paces it: default
   * Exchange Online's 30 messages a minute and 10,000 recipients a day, `'off'` for none. The
   * recipients left count the sent and sending rows of the last 24 hours, plus `recipientsUsed`.
   */
  sendBudget?: { messagesPerMinute: number; recipientsPerDay: number; recipientsUsed?: number } | 'off';
}

/** A complete delegated configuration (made-up ids), for stories that start configured. */
export const SAMPLE_CONFIG: ConfigInput = {
  mode: 'delegated',
  cloud: 'global',
  tenantId: 'b7f0c5d2-3e4a-4c61-9f0e-2a8d6e1c4b93',
  clientId: 'c2a9e4f1-7b3d-4e8a-8f26-5d1b0c9e7a14',
  clientSecret: 'Qx8~memoryAdapterSampleSecret.v1',
  fromName: 'Contoso Notifications',
  fromAddress: 'notifications@contoso.com',
  saveToSentItems: true,
};

const PLACEHOLDER_SECRET = 'Mem~placeholderSecretValue0000';

const REQUIRED: Readonly<Record<AuthMode, string[]>> = {
  delegated: ['offline_access', 'User.Read', 'Mail.Send'],
  application: ['Mail.Send', 'Mail.ReadWrite', 'User.Read.All'],
};
const GRANTED: Readonly<Record<AuthMode, string[]>> = {
  delegated: ['offline_access', 'User.Read', 'Mail.Send', 'Mail.ReadWrite'],
  application: ['Mail.Send', 'Mail.ReadWrite', 'User.Read.All'],
};

const STEP_LABELS: Readonly<Record<TestStepId, string>> = {
  config: 'Check the settings',
  tenant: 'Find the tenant',
  token: 'Get a token',
  permissions: 'Check the permissions',
  mailbox: 'Find the mailbox',
  send: 'Send the test message',
};

/** The saved settings as the view shows them, plus the write-only credential. */
type Stored = Pick<
  ConfigView,
  'mode' | 'cloud' | 'tenantId' | 'clientId' | 'credential' | 'secretExpiresAt' | 'fromName' | 'fromAddress' | 'saveToSentItems' | 'endpoints'
> & { secret?: string; certificate?: CertificateInput; next?: { secret: string; expiresAt: string; error?: UpstreamError } };

interface PendingConnect {
  mode: ConnectRequest['mode'];
  startedAt: number;
  expiresAt: number;
  result?: ConnectStatus;
}

const problem = (status: number, title: string, detail: string, extra: Partial<Problem> = {}): Problem => ({ type: 'about:blank', title, status, detail, ...extra });

/** The server's 400: field errors with dotted paths and English messages. */
function validationError(issues: Issue[] | FieldError[]): ValidationProblem {
  const errors = issues.length && 'key' in issues[0] && !('message' in issues[0]) ? toFieldErrors(issues as Issue[]) : (issues as FieldError[]);
  return new ValidationProblem(errors, problem(400, 'Invalid request', errors[0]?.message ?? 'Some fields need attention.', { errors }));
}

const upstream = (d: Diagnosis): UpstreamError => {
  const error: UpstreamError = { code: d.code, message: d.message, hint: d.hint };
  if (d.requestId) error.requestId = d.requestId;
  if (d.correlationId) error.correlationId = d.correlationId;
  if (d.timestamp) error.timestamp = d.timestamp;
  return error;
};

function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function failureFor(kind: MemoryFailure): BackendError {
  switch (kind) {
    case 'network':
      return new NetworkError('The mail server could not be reached.');
    case 'unauthorized':
      return new UnauthorizedError('Sign in again to change these settings.', 401, problem(401, 'Unauthorized', 'Sign in again to change these settings.'));
    case 'forbidden':
      return new UnauthorizedError('Only administrators may change these settings.', 403, problem(403, 'Forbidden', 'Only administrators may change these settings.'));
    case 'rate-limited':
      return new RateLimitedError('Too many test messages; wait a minute.', 60, problem(429, 'Too many requests', 'Too many test messages; wait a minute.'));
    case 'stale':
      return new StaleError('Someone else saved the settings in the meantime. Reload them.', problem(412, 'Precondition failed', 'Someone else saved the settings in the meantime. Reload them.'));
    case 'conflict':
      return new ConflictError('Disconnect before changing these settings.', problem(409, 'Conflict', 'Disconnect before changing these settings.'));
    case 'upstream': {
      const d = explainIdentityError({ error: 'invalid_client', error_codes: [7000215], trace_id: 'a1b2c3d4-0000-4000-8000-000000000001' }, 401);
      return new UpstreamFailure(d.message, d.code, d.hint, d.requestId, d.correlationId, 502, problem(502, 'Upstream failure', d.message, upstream(d)));
    }
    default:
      return new BackendError('The server answered 500.', 500, problem(500, 'Internal Server Error', 'The server answered 500.'));
  }
}

/**
 * A faithful in-memory backend (see the module comment). Options are documented on
 * `MemoryAdapterOptions`; `scenario` can be changed at any time.
 *
 * @example
 * new MemoryAdapter({ config: SAMPLE_CONFIG, connected: 'admin@contoso.com', logRows: 100_000, latencyMs: 300 });
 * adapter.failNext('saveConfig', 'network');
 */
export class MemoryAdapter implements EmailBackendAdapter {
  readonly callbackOrigin: string;
  /** Scripted outcomes; change them between calls. */
  scenario: MemoryScenario;
  /** Delay of every call, in ms. */
  latencyMs: number;

  private readonly options: MemoryAdapterOptions;
  private readonly rand: () => number;
  private readonly redirectUri: string;
  private readonly failures = new Map<string, unknown[]>();
  private readonly pending = new Map<string, PendingConnect>();
  private readonly listeners = new Set<(change: LogChange) => void>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly testTimes: number[] = [];
  private liveTimer?: ReturnType<typeof setInterval>;
  private stored!: Stored;
  private version = 1;
  private connection: ConnectionView = { state: 'disconnected', account: '', connectedAt: '' };
  private granted?: string[];
  private lastTest: { at: string; report: TestReport } | null = null;
  private records: LogRecord[];

  constructor(options: MemoryAdapterOptions = {}) {
    this.options = options;
    this.scenario = { ...options.scenario };
    this.latencyMs = options.latencyMs ?? 0;
    this.rand = random(options.seed ?? 1);
    this.redirectUri = options.redirectUri ?? 'http://127.0.0.1:8787/api/mail/connect/callback';
    this.callbackOrigin = options.callbackOrigin ?? new URL(this.redirectUri).origin;
    this.reset();
    const config = options.config ?? (options.connected ? SAMPLE_CONFIG : undefined);
    if (config) this.seedConfig(config);
    if (options.connected) {
      if (this.stored.mode !== 'delegated') throw new Error('MemoryAdapter: `connected` needs delegated mode.');
      this.connect(typeof options.connected === 'string' ? options.connected : this.defaultAccount());
    }
    const rows = options.logRows ?? 0;
    this.records =
      typeof rows === 'number'
        ? generateLog(rows, { seed: options.seed })
        : rows.map((entry) => ({ at: Date.parse(entry.createdAt), entry: structuredClone(entry) })).sort(compareRecords);
  }

  /** Makes the next call of `method` reject with `error` (an Error, or a shorthand). Calls queue up. */
  failNext(method: keyof EmailBackendAdapter, error: MemoryFailure | Error): void {
    const queue = this.failures.get(method) ?? [];
    queue.push(typeof error === 'string' ? failureFor(error) : error);
    this.failures.set(method, queue);
  }

  /** Adds a message to the log now (what an application's send would do) and tells subscribers. */
  pushLog(partial: Partial<LogEntry> = {}): LogEntry {
    const record = this.pushRecord({ to: ['someone@contoso.com'], subject: 'A message', ...partial });
    this.emit(record);
    return structuredClone(record.entry);
  }

  /** Moves a connected account to "needs reconnect", as a revoked refresh token does. */
  loseConnection(reason = 'The sign-in expired or was revoked (invalid_grant). Connect again.'): void {
    if (this.connection.state === 'disconnected') return;
    this.connection = { ...this.connection, state: 'needs-reconnect', reason };
  }

  /** Stops the timers of simulated sends and the live feed. */
  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.listeners.clear();
    this.updateLive();
  }

  // Configuration.

  getConfig(signal?: AbortSignal): Promise<ConfigView> {
    return this.call('getConfig', signal, () => this.view());
  }

  saveConfig(input: ConfigInput, options: { etag?: string; signal?: AbortSignal } = {}): Promise<ConfigView> {
    return this.call('saveConfig', options.signal, () => {
      if (options.etag !== undefined && options.etag !== this.etag()) {
        throw new StaleError(
          'Someone else saved the settings in the meantime. Reload them.',
          problem(412, 'Precondition failed', 'Someone else saved the settings in the meantime. Reload them.'),
        );
      }
      const value = this.validate(input);
      const next = this.apply(value);
      if (this.connection.state === 'connected') {
        const changed = LOCKED_FIELDS.filter((field) => !this.same(field, this.stored, next));
        if (changed.length) {
          const detail = 'Disconnect before changing the mode, cloud, tenant, client ID or endpoints: the connection was made with them.';
          throw new ConflictError(detail, problem(409, 'Conflict', detail, { errors: changed.map((path) => ({ path, message: 'Locked while connected.' })) }));
        }
      }
      this.stored = next;
      this.version += 1;
      return this.view();
    });
  }

  clearConfig(signal?: AbortSignal): Promise<void> {
    return this.call('clearConfig', signal, () => {
      this.reset();
      this.version += 1;
    });
  }

  getClouds(signal?: AbortSignal): Promise<CloudInfo[]> {
    return this.call('getClouds', signal, () =>
      this.clouds().map((id) => {
        const preset = presetFor(id, this.options.sandboxOrigin);
        return { id, label: preset.label, loginHost: preset.loginHost, graphHost: preset.graphHost };
      }),
    );
  }

  getEndpointDefaults(cloud: CloudId, signal?: AbortSignal): Promise<EndpointDefaults> {
    return this.call('getEndpointDefaults', signal, () => {
      if (!this.clouds().includes(cloud)) throw validationError([{ path: 'cloud', key: 'cloud.invalid' }]);
      return { cloud, endpoints: defaultEndpoints(cloud, this.options.sandboxOrigin) };
    });
  }

  // Connection.

  beginConnect(request: ConnectRequest, signal?: AbortSignal): Promise<ConnectStart> {
    return this.call('beginConnect', signal, () => {
      const parsed = parseWith(ConnectRequestSchema, request);
      if (!parsed.ok) throw validationError(parsed.issues);
      if (this.stored.mode !== 'delegated') {
        const detail = 'Application mode needs no sign-in: the app uses its own credential.';
        throw new ConflictError(detail, problem(409, 'Conflict', detail));
      }
      if (!this.stored.tenantId || !this.stored.clientId || !this.credentialSet()) {
        const detail = 'Save the tenant, the client ID and the secret before connecting.';
        throw new ConflictError(detail, problem(409, 'Conflict', detail));
      }
      const state = this.token(32);
      const now = Date.now();
      const expiresAt = now + 10 * 60_000;
      this.pending.set(state, { mode: request.mode, startedAt: now, expiresAt });
      const returnTo = request.mode === 'redirect' ? request.returnTo : undefined;
      const authorizeUrl = this.options.authorizeUrl?.({ state, mode: request.mode, returnTo }) ?? (request.mode === 'popup' ? 'about:blank' : (returnTo ?? '/'));
      return { authorizeUrl, state, expiresAt: new Date(expiresAt).toISOString() };
    });
  }

  connectStatus(state: string, signal?: AbortSignal): Promise<ConnectStatus> {
    return this.call('connectStatus', signal, () => {
      const pending = this.pending.get(state);
      if (!pending) return { state: 'failed', error: 'This sign-in is unknown or has expired. Connect again.' };
      if (pending.result) return pending.result;
      const now = Date.now();
      const script = this.scenario.connect ?? {};
      const outcome = script.outcome ?? 'success';
      const blocked = outcome === 'popup-blocked' && pending.mode === 'popup';
      if (now >= pending.expiresAt) pending.result = { state: 'failed', error: 'The sign-in took too long and expired. Connect again.' };
      else if (blocked || now - pending.startedAt < (script.delayMs ?? 1200)) return { state: 'pending' };
      else if (outcome === 'error') pending.result = { state: 'failed', error: script.error ?? 'AADSTS65004: User declined to consent to access the app.' };
      else {
        const account = script.account ?? this.defaultAccount();
        this.connect(account);
        pending.result = { state: 'connected', account };
      }
      return pending.result;
    });
  }

  disconnect(signal?: AbortSignal): Promise<ConfigView> {
    return this.call('disconnect', signal, () => {
      this.connection = { state: 'disconnected', account: '', connectedAt: '' };
      this.granted = undefined;
      return this.view();
    });
  }

  // Test.

  test(request: TestRequest, signal?: AbortSignal): Promise<TestReport> {
    return this.call('test', signal, () => {
      const parsed = parseWith(TestRequestSchema, request);
      if (!parsed.ok) throw validationError(parsed.issues);
      this.rateLimit();
      const report = this.runTest(parsed.value as TestRequest);
      this.lastTest = { at: new Date().toISOString(), report };
      return report;
    });
  }

  // Log.

  queryLog(query: LogQuery, signal?: AbortSignal): Promise<LogPage> {
    return this.call('queryLog', signal, () => {
      const q = this.parseQuery(query);
      const matches = baseFilter(q);
      const limit = q.limit ?? 50;
      let start = 0;
      if (q.cursor) {
        const cursor = decodeCursor(q.cursor);
        if (!cursor) throw validationError([{ path: 'cursor', message: 'The cursor is not one this server issued.' }]);
        start = indexAfter(this.records, cursor);
      }
      const items: LogEntry[] = [];
      let last: LogRecord | undefined;
      let more = false;
      for (let i = start; i < this.records.length; i += 1) {
        const record = this.records[i];
        if ((q.status && record.entry.status !== q.status) || !matches(record)) continue;
        if (items.length === limit) {
          more = true;
          break;
        }
        items.push(record.entry);
        last = record;
      }
      const cap = q.q?.trim() ? this.options.textCountCap : undefined;
      const { counts, capped } = countStatuses(this.records, matches, cap);
      const page: LogPage = { items, nextCursor: more && last ? encodeCursor(last.at, last.entry.id) : null, counts };
      if (capped) page.countsCapped = true;
      const budget = this.budgetView();
      if (budget) page.budget = budget;
      return page;
    });
  }

  private budgetView(now = Date.now()): SendBudgetView | null {
    const budget = this.options.sendBudget ?? { messagesPerMinute: 30, recipientsPerDay: 10_000 };
    if (budget === 'off') return null;
    let used = budget.recipientsUsed ?? 0;
    for (const record of this.records) {
      const { status, to } = record.entry;
      if (record.at > now - 86_400_000 && (status === 'sent' || status === 'sending')) used += to.length;
    }
    return { messagesPerMinute: budget.messagesPerMinute, recipientsPerDay: budget.recipientsPerDay, recipientsLeftToday: Math.max(budget.recipientsPerDay - used, 0) };
  }

  getLogEntry(id: string, signal?: AbortSignal): Promise<LogEntryDetail> {
    return this.call('getLogEntry', signal, () => {
      const record = this.find(id);
      return { ...record.entry, history: historyOf(record) };
    });
  }

  retryLogEntry(id: string, signal?: AbortSignal): Promise<void> {
    return this.call('retryLogEntry', signal, () => {
      const record = this.find(id);
      const status = record.entry.status;
      if (status !== 'failed' && status !== 'unknown') {
        const detail = `Only failed or unknown messages can be retried; this one is ${status}.`;
        throw new ConflictError(detail, problem(409, 'Conflict', detail));
      }
      historyOf(record); // the attempts so far, made before the status changes
      record.entry = { ...record.entry, status: 'queued' };
      delete record.entry.error;
      this.emit(record);
      this.simulateSend(record);
    });
  }

  /** No URL: the CSV is made in memory (use `downloadLogCsv`). */
  logCsvUrl(_query: LogQuery): string | null {
    return null;
  }

  downloadLogCsv(query: LogQuery, signal?: AbortSignal): Promise<Blob> {
    return this.call('downloadLogCsv', signal, () => {
      const q = this.parseQuery({ ...query, cursor: undefined, limit: undefined });
      const matches = baseFilter(q);
      const parts = [CSV_HEAD];
      for (const record of this.records) {
        if ((!q.status || record.entry.status === q.status) && matches(record)) parts.push(csvEntry(record.entry));
      }
      return new Blob(parts, { type: 'text/csv;charset=utf-8' });
    });
  }

  // The administrator's assistant.

  /** Answers from `scenario.tenants`, as each offered cloud's discovery would; 400 for what is no tenant. */
  lookupTenant(tenant: string, signal?: AbortSignal): Promise<TenantLookup> {
    return this.call('lookupTenant', signal, () => {
      const value = String(tenant ?? '').trim();
      if (!GUID_PATTERN.test(value) && !DOMAIN_PATTERN.test(value)) {
        throw validationError([{ path: 'tenantId', message: 'Tenant ID must be a GUID or a domain name such as contoso.onmicrosoft.com.' }]);
      }
      const listed = Object.entries(this.scenario.tenants ?? {}).find(([key]) => key.toLowerCase() === value.toLowerCase());
      const home = listed ? listed[1] : this.scenario.test === 'unknown-tenant' ? null : this.stored.cloud;
      // Global's discovery names the cloud of a tenant that lives in another one; the others know only their own.
      const outcome = (cloud: CloudId) => (cloud === home ? 'found' : home && cloud === 'global' ? 'elsewhere' : 'not-found') as 'found' | 'elsewhere' | 'not-found';
      return {
        tenant: value,
        found: Boolean(home),
        ...(home ? { cloud: home } : {}),
        ...(home && GUID_PATTERN.test(value) ? { tenantId: value.toLowerCase() } : {}),
        checked: this.clouds().map((cloud) => ({ cloud, outcome: outcome(cloud) })),
      };
    });
  }

  /** The server's script from the saved settings; 409 outside application mode or with what it cannot name. */
  getAppRestriction(signal?: AbortSignal): Promise<AppRestriction> {
    return this.call('getAppRestriction', signal, () => {
      const s = this.stored;
      if (s.mode !== 'application') {
        const detail = 'Restricting the app applies to Exchange Online (application): a signed-in mailbox already sends only as itself.';
        throw new ConflictError(detail, problem(409, 'Application mode only', detail));
      }
      try {
        const useDrafts = (this.scenario.granted ?? GRANTED.application).includes('Mail.ReadWrite');
        return { ...restrictAppScript({ clientId: s.clientId, mailbox: s.fromAddress, appName: s.fromName || undefined, useDrafts }), mailbox: s.fromAddress, clientId: s.clientId };
      } catch (error) {
        if (!(error instanceof RestrictAppInputError)) throw error;
        throw new ConflictError(error.message, problem(409, 'Settings incomplete', error.message, { errors: [{ path: error.path, message: error.message }] }));
      }
    });
  }

  /** The server's redacted bundle: the settings without secrets, the last test, recent failures. */
  downloadSupportBundle(signal?: AbortSignal): Promise<Blob> {
    return this.call('downloadSupportBundle', signal, () => {
      const failures = this.records
        .filter((record) => record.entry.status === 'failed' || record.entry.status === 'unknown')
        .slice(0, 20)
        .map((record) => ({ ...structuredClone(record.entry), history: historyOf(record) }));
      const bundle = supportBundle({ config: this.view(), lastTest: this.lastTest, failures, versions: { backend: 'MemoryAdapter' }, now: new Date() });
      return new Blob([JSON.stringify(bundle, null, 2)], { type: 'application/json' });
    });
  }

  subscribeLog(listener: (change: LogChange) => void, signal?: AbortSignal): () => void {
    const stop = () => {
      this.listeners.delete(listener);
      this.updateLive();
    };
    if (signal?.aborted) return stop;
    this.listeners.add(listener);
    signal?.addEventListener('abort', stop, { once: true });
    this.updateLive();
    return stop;
  }

  // Internals.

  private async call<T>(method: keyof EmailBackendAdapter, signal: AbortSignal | undefined, work: () => T): Promise<T> {
    await sleep(this.latencyMs, signal);
    const failure = this.failures.get(method)?.shift();
    if (failure) throw failure;
    const result = work();
    // Copies, so that a caller changing a result cannot change the backend (a server's answers are copies too).
    return result instanceof Blob || result === undefined ? result : structuredClone(result);
  }

  private reset(): void {
    this.stored = {
      mode: 'delegated',
      cloud: 'global',
      tenantId: '',
      clientId: '',
      credential: 'secret',
      secretExpiresAt: '',
      fromName: '',
      fromAddress: '',
      saveToSentItems: true,
      endpoints: defaultEndpoints('global'),
    };
    this.connection = { state: 'disconnected', account: '', connectedAt: '' };
    this.granted = undefined;
    this.lastTest = null;
    this.pending.clear();
  }

  private seedConfig(config: Partial<ConfigInput>): void {
    const input = { ...config };
    if (!input.clientSecret && !input.certificate && (input.credential ?? 'secret') === 'secret') input.clientSecret = PLACEHOLDER_SECRET;
    const base: Partial<ConfigInput> = { mode: 'delegated', cloud: 'global', saveToSentItems: true };
    try {
      this.stored = this.apply(this.validate({ ...base, ...input } as ConfigInput));
    } catch (error) {
      const fields = error instanceof ValidationProblem ? error.errors.map((e) => `${e.path}: ${e.message}`).join('; ') : String(error);
      throw new Error(`MemoryAdapter: the seeded config does not validate (${fields}).`, { cause: error });
    }
  }

  private clouds(): CloudId[] {
    return this.options.sandboxOrigin ? [...NATIONAL_CLOUD_IDS, 'sandbox'] : [...NATIONAL_CLOUD_IDS];
  }

  private resolve(cloud: CloudId, partial: Partial<EndpointTemplates> | undefined): EndpointTemplates {
    const endpoints = defaultEndpoints(cloud, this.options.sandboxOrigin);
    for (const name of ENDPOINT_NAMES) if (partial?.[name] !== undefined) endpoints[name] = partial[name] as string;
    return endpoints;
  }

  private credentialSet(stored = this.stored): boolean {
    return stored.credential === 'certificate' ? !!stored.certificate : !!stored.secret;
  }

  private validate(input: ConfigInput): ConfigInput {
    const offered = this.clouds();
    const cloudOffered = offered.includes((input as Partial<ConfigInput>)?.cloud as CloudId);
    const result = validateConfigInput(input, {
      secretSet: !!this.stored.secret,
      certificateSet: !!this.stored.certificate,
      clouds: offered,
      sandboxOrigin: this.options.sandboxOrigin,
      // Endpoint rules only for a cloud this backend offers (the sandbox preset needs its origin).
      ...(cloudOffered ? { resolveEndpoints: (cloud: CloudId, partial: Partial<EndpointTemplates> | undefined) => this.resolve(cloud, partial) } : {}),
    });
    if (!result.value) throw validationError(result.issues);
    return result.value;
  }

  private apply(value: ConfigInput): Stored {
    const next: Stored = {
      ...this.stored,
      mode: value.mode,
      cloud: value.cloud,
      tenantId: value.tenantId,
      clientId: value.clientId,
      credential: value.credential ?? 'secret',
      secretExpiresAt: value.secretExpiresAt ?? '',
      fromName: value.fromName ?? '',
      fromAddress: value.fromAddress ?? '',
      saveToSentItems: value.saveToSentItems ?? true,
      endpoints: this.resolve(value.cloud, value.endpoints),
    };
    if (value.removeSecret) delete next.secret;
    if (value.clientSecret) next.secret = value.clientSecret;
    // The second secret of a rotation: refused at once when the scenario accepts another one.
    if (value.removeNextSecret || next.credential !== 'secret') delete next.next;
    if (value.nextClientSecret && next.credential === 'secret') {
      const accepted = this.scenario.acceptedSecret;
      const refused = accepted !== undefined && value.nextClientSecret !== accepted;
      next.next = { secret: value.nextClientSecret, expiresAt: value.nextSecretExpiresAt ?? '', ...(refused ? { error: this.identityError(7000215) } : {}) };
    } else if (next.next && value.nextSecretExpiresAt !== undefined) {
      next.next = { ...next.next, expiresAt: value.nextSecretExpiresAt };
    }
    if (value.certificate) next.certificate = { ...value.certificate };
    return next;
  }

  private same(field: (typeof LOCKED_FIELDS)[number], a: Stored, b: Stored): boolean {
    if (field === 'endpoints') return ENDPOINT_NAMES.every((name) => a.endpoints[name] === b.endpoints[name]);
    if (field === 'tenantId' || field === 'clientId') return a[field].toLowerCase() === b[field].toLowerCase();
    return a[field] === b[field];
  }

  private etag(): string {
    return `"${this.version}"`;
  }

  private view(): ConfigView {
    const s = this.stored;
    const set = this.credentialSet();
    const hint = !set ? '' : s.credential === 'certificate' ? `#${fingerprint(s.certificate?.certificatePem ?? '')}` : `${s.secret?.slice(0, 3)}…`;
    const view: ConfigView = {
      mode: s.mode,
      cloud: s.cloud,
      tenantId: s.tenantId,
      clientId: s.clientId,
      credential: s.credential,
      secretExpiresAt: s.secretExpiresAt,
      fromName: s.fromName,
      fromAddress: s.fromAddress,
      saveToSentItems: s.saveToSentItems,
      endpoints: { ...s.endpoints },
      secret: { set, hint, expiresAt: s.secretExpiresAt, kind: s.credential },
      connection: { ...this.connection },
      locked: this.connection.state === 'connected',
      redirectUri: this.redirectUri,
      etag: this.etag(),
    };
    if (this.granted) view.grantedPermissions = [...this.granted];
    if (s.next) {
      view.nextSecret = { set: true, hint: `${s.next.secret.slice(0, 3)}…`, expiresAt: s.next.expiresAt, kind: 'secret', state: s.next.error ? 'rejected' : 'pending' };
      if (s.next.error) view.nextSecret.error = { ...s.next.error };
    }
    const sendAs = this.connection.sendAs;
    if (sendAs && sendAs.mailbox.toLowerCase() !== s.fromAddress.toLowerCase()) delete view.connection.sendAs;
    return view;
  }

  private defaultAccount(): string {
    return this.stored.fromAddress || 'admin@contoso.com';
  }

  private connect(account: string): void {
    this.connection = { state: 'connected', account, connectedAt: new Date().toISOString() };
    this.granted = [...(this.scenario.granted ?? GRANTED.delegated)];
    // As the server does right after the sign-in: may the account send as another From address?
    const mailbox = this.stored.fromAddress;
    if (mailbox && mailbox.toLowerCase() !== account.toLowerCase()) {
      const checkedAt = new Date().toISOString();
      if (this.scenario.sendAs === 'denied') {
        const body = { error: { code: 'ErrorSendAsDenied', message: 'x', innerError: { 'request-id': uuid(this.rand), date: checkedAt.replace(/\.\d+Z$/, '') } } };
        this.connection.sendAs = { mailbox, ok: false, checkedAt, error: upstream(explainGraphError(body, 403, undefined, { mode: 'delegated', account, fromAddress: mailbox })) };
      } else {
        this.connection.sendAs = { mailbox, ok: true, checkedAt };
      }
    }
  }

  private identityError(code: number): UpstreamError {
    const id = uuid(this.rand);
    return upstream(explainIdentityError({ error: 'invalid_client', error_codes: [code], trace_id: id, correlation_id: id }, 401, { mode: this.stored.mode, redirectUri: this.redirectUri }));
  }

  private token(bytes: number): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const values = new Uint8Array(bytes);
    crypto.getRandomValues(values);
    return Array.from(values, (v) => alphabet[v & 63]).join('');
  }

  private rateLimit(): void {
    const limit = this.options.testPerMinute;
    if (!limit) return;
    const now = Date.now();
    while (this.testTimes.length && this.testTimes[0] <= now - 60_000) this.testTimes.shift();
    if (this.testTimes.length >= limit) {
      const seconds = Math.max(1, Math.ceil((this.testTimes[0] + 60_000 - now) / 1000));
      const detail = `At most ${limit} test messages a minute; try again in ${seconds} seconds.`;
      throw new RateLimitedError(detail, seconds, problem(429, 'Too many requests', detail));
    }
    this.testTimes.push(now);
  }

  private runTest(request: TestRequest): TestReport {
    const s = this.stored;
    const failure = this.scenario.test;
    const requestId = () => uuid(this.rand);
    const identity = (code: number, status: number) =>
      upstream(explainIdentityError({ error: 'invalid_client', error_codes: [code], trace_id: requestId(), correlation_id: requestId(), timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }, status, { mode: s.mode, redirectUri: this.redirectUri }));
    const graph = (code: string, status: number, permissions?: string[]) =>
      upstream(explainGraphError({ error: { code, message: 'x', innerError: { 'request-id': requestId(), 'client-request-id': requestId(), date: new Date().toISOString().replace(/\.\d+Z$/, '') } } }, status, undefined, { mode: s.mode, permissions }));
    const required = REQUIRED[s.mode];
    let granted = [...(this.scenario.granted ?? GRANTED[s.mode])];
    if (failure === 'missing-permission') granted = granted.filter((p) => p !== 'Mail.Send');
    const missing = required.filter((p) => !granted.some((g) => g.toLowerCase() === p.toLowerCase()));
    const sender = s.mode === 'application' ? s.fromAddress : s.fromAddress || this.connection.account;

    const checks: Record<TestStepId, () => { detail?: string; error?: UpstreamError }> = {
      config: () => {
        const complete = s.tenantId && s.clientId && this.credentialSet() && (s.mode === 'delegated' || s.fromAddress);
        return complete
          ? { detail: `${s.mode === 'delegated' ? 'Delegated' : 'Application'} mode, ${presetFor(s.cloud, this.options.sandboxOrigin).label} cloud.` }
          : { error: { code: 'config_incomplete', message: 'The settings are incomplete.', hint: 'Fill in the tenant, the client ID, the secret (and in application mode the sender address), then save.' } };
      },
      tenant: () => (failure === 'unknown-tenant' ? { error: identity(90002, 400) } : { detail: `Tenant ${s.tenantId} found.` }),
      token: () => {
        if (s.mode === 'delegated' && this.connection.state !== 'connected') {
          return { error: { code: 'not_connected', message: 'No account is connected.', hint: 'Select Connect and sign in with the account that sends the mail.' } };
        }
        const expired = s.secretExpiresAt && Date.parse(s.secretExpiresAt) < Date.now();
        if (failure === 'expired-secret' || (s.credential === 'secret' && expired)) return { error: identity(7000222, 401) };
        const wrong = s.credential === 'secret' && this.scenario.acceptedSecret !== undefined && s.secret !== this.scenario.acceptedSecret;
        if (failure === 'wrong-secret' || wrong) return { error: identity(7000215, 401) };
        if (s.credential === 'secret' && s.next && !s.next.error) {
          // The second secret worked: it becomes the secret, the old one is forgotten.
          this.stored = { ...s, secret: s.next.secret, secretExpiresAt: s.next.expiresAt };
          delete this.stored.next;
          this.version += 1;
        }
        return { detail: 'A fresh token was issued.' };
      },
      permissions: () => {
        this.granted = granted;
        return missing.length ? { error: graph('ErrorAccessDenied', 403, missing), detail: `Missing: ${missing.join(', ')}.` } : { detail: granted.join(' ') };
      },
      mailbox: () => (failure === 'mailbox-not-found' ? { error: graph('MailboxNotEnabledForRESTAPI', 404) } : { detail: `Mailbox ${sender} found.` }),
      send: () => (failure === 'send-failure' ? { error: graph('ErrorSendAsDenied', 403) } : { detail: `Sent to ${request.to}.` }),
    };

    const steps: TestStep[] = [];
    let failed = false;
    for (const id of TEST_STEP_IDS) {
      if (failed) {
        steps.push({ id, label: STEP_LABELS[id], status: 'skipped', ms: 0 });
        continue;
      }
      const { detail, error } = checks[id]();
      const step: TestStep = { id, label: STEP_LABELS[id], status: error ? 'failed' : 'ok', ms: 20 + Math.floor(this.rand() * 400) };
      if (detail) step.detail = detail;
      if (error) step.error = error;
      steps.push(step);
      failed = !!error;
    }
    const sendStep = steps[steps.length - 1];
    if (sendStep.status !== 'skipped') {
      const record = this.pushRecord({
        to: [request.to],
        subject: request.subject ?? 'Test message',
        status: sendStep.status === 'ok' ? 'sent' : 'failed',
        attempts: 1,
        durationMs: sendStep.ms,
        source: 'test',
        ...(sendStep.error ? { error: { code: sendStep.error.code, message: sendStep.error.message, hint: sendStep.error.hint, requestId: sendStep.error.requestId } } : {}),
      });
      this.emit(record);
    }
    return { ok: !failed, steps, permissions: { granted, required, missing } };
  }

  private parseQuery(query: LogQuery): LogQuery {
    const input = Object.fromEntries(Object.entries(query ?? {}).filter(([, value]) => value !== '' && value !== undefined));
    const parsed = parseWith(LogQuerySchema, input);
    if (!parsed.ok) throw validationError(parsed.issues);
    return parsed.value as LogQuery;
  }

  private find(id: string): LogRecord {
    const record = this.records.find((r) => r.entry.id === id);
    if (!record) throw new BackendError('No log entry has this id.', 404, problem(404, 'Not found', 'No log entry has this id.'));
    return record;
  }

  private insert(record: LogRecord): void {
    let low = 0;
    let high = this.records.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareRecords(this.records[mid], record) < 0) low = mid + 1;
      else high = mid;
    }
    this.records.splice(low, 0, record);
  }

  private pushRecord(partial: Partial<LogEntry>): LogRecord {
    const at = partial.createdAt ? Date.parse(partial.createdAt) : Date.now();
    const entry: LogEntry = { id: uuid(this.rand), createdAt: new Date(at).toISOString(), to: [], subject: '', status: 'queued', attempts: 0, durationMs: 0, source: 'app', ...partial };
    const record: LogRecord = { at, entry };
    this.insert(record);
    return record;
  }

  private emit(record: LogRecord): void {
    for (const listener of [...this.listeners]) {
      const change: LogChange = { entry: structuredClone(record.entry) };
      queueMicrotask(() => {
        if (this.listeners.has(listener)) listener(change);
      });
    }
  }

  private later(ms: number, work: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, ms);
    this.timers.add(timer);
  }

  /** queued → sending → the scenario's outcome, each step told to subscribers, as the outbox does. */
  private simulateSend(record: LogRecord): void {
    const delay = this.scenario.sendDelayMs ?? 400;
    const set = (status: LogStatus, extra: Partial<LogEntry> = {}) => {
      record.entry = { ...record.entry, status, ...extra };
      this.emit(record);
    };
    this.later(delay, () => {
      set('sending');
      this.later(delay, () => {
        const outcome = this.scenario.sendOutcome ?? 'sent';
        const ms = 150 + Math.floor(this.rand() * 1500);
        const attempt = { at: new Date().toISOString(), requestId: uuid(this.rand), clientRequestId: uuid(this.rand), ms };
        if (outcome === 'sent') {
          historyOf(record).push({ ...attempt, outcome: 'sent', httpStatus: 202 });
          set('sent', { attempts: record.entry.attempts + 1, durationMs: ms });
        } else {
          const error = outcome === 'failed' ? failureError(this.rand, 'send-as').error : { code: 'TIMEOUT', message: 'The send timed out; it may or may not have gone out.', hint: 'Check the Sent Items of the mailbox before retrying.' };
          historyOf(record).push({ ...attempt, outcome, ...(outcome === 'failed' ? { httpStatus: 403 } : {}), error });
          set(outcome, { attempts: record.entry.attempts + 1, durationMs: ms, error });
        }
      });
    });
  }

  private updateLive(): void {
    const every = this.options.liveEveryMs;
    if (this.listeners.size && every && !this.liveTimer) {
      this.liveTimer = setInterval(() => {
        const sample = generateLog(1, { seed: Math.floor(this.rand() * 2 ** 31) })[0].entry;
        const record = this.pushRecord({ to: sample.to, subject: sample.subject, status: 'queued', source: 'app' });
        this.emit(record);
        this.simulateSend(record);
      }, every);
    } else if ((!this.listeners.size || !every) && this.liveTimer) {
      clearInterval(this.liveTimer);
      this.liveTimer = undefined;
    }
  }
}
