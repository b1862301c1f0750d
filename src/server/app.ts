/**
 * The reference server as a library: `createGraphMailServer(options)` assembles the store, the
 * configuration and token services, the security middleware and every route of the REST contract
 * (configuration here; connect, test, and the mail module's log, send and health) into one Hono app
 * whose routes live under the base path (default `/api/mail`).
 *
 * A host mounts it in its own Hono app (`host.route('/', server.app)`), hands `server.app.fetch` to any
 * Fetch-API server, or uses `startServer` (./start.ts) for a server of its own.
 */
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CloudId, ConfigView, SendAsCheck, TestReport } from '../services/contract.js';
import { NATIONAL_CLOUD_IDS, normalizeOrigin, normalizeSandboxOrigin, type HostOptions } from '../services/endpoints.js';
import { ConfigService } from './config/service.js';
import { CONNECT_MIGRATIONS, CONNECT_PUBLIC_PATHS, mountConnectRoutes, type ConnectConfig, type ConnectStates } from './connect/index.js';
import type { Sealer } from './crypto/sealer.js';
import { migrate, type Db, type Migration } from './db.js';
import { problem } from './http/problem.js';
import {
  defaultAuthorize,
  loopbackAliases,
  securityMiddleware,
  type AdminEnv,
  type AdminIdentity,
  type AntiForgeryOptions,
  type AuthorizeHook,
} from './http/security.js';
import { mailModule, type MailModule } from './mail/index.js';
import { tokenMatches } from './mail/routes.js';
import { checkSendAs } from './mail/send-as.js';
import type { MailApi, MailDeps, MailModuleOptions } from './mail/runtime.js';
import type { MailboxSlots } from './mail/shared-slots.js';
import type { MailStore } from './mail/store.js';
import { asMailLogger, type FetchLike, type MailConfigs, type MailLogger } from './mail/types.js';
import { cloudList, mountConfigRoutes } from './routes/config.js';
import { SqliteStore } from './store/sqlite-store.js';
import { CORE_MIGRATIONS } from './store/migrations.js';
import { DEFAULT_CONFIG_ID, type GraphMailStore } from './store/types.js';
import { mountTestRoute, type TestSettings } from './test-settings/index.js';
import { AlertWatcher, mountAssistantRoutes } from './assistant/index.js';
import { createEntraAuthenticator, entraAuthorizeHook, EntraUnavailableError, type EntraAuthOptions } from './auth/index.js';
import { TokenService } from './tokens/service.js';

export const DEFAULT_BASE_PATH = '/api/mail';

/** This package's version, for the support bundle. */
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface GraphMailServerOptions {
  /**
   * The SQLite database (see `openDatabase`); the core's, the connect flow's and the mail module's
   * migrations are run on it. Not needed when every store below is given (PostgreSQL, ./pg-engines.ts).
   */
  db?: Db;
  /** Another store engine; default the SQLite store on `db`. */
  store?: GraphMailStore;
  /** Another engine of the pending sign-ins; default the SQLite one on `db`. */
  connectStates?: ConnectStates;
  /** Another engine of the mail store; default the SQLite one on `db`. */
  mailStore?: MailStore;
  /** The per-mailbox slots shared by several instances; default `mailbox-slots.sqlite` in the data folder. */
  mailboxSlots?: MailboxSlots;
  /** Seals secrets and refresh tokens at rest (see `loadKeyring`). */
  sealer: Sealer;
  /** Where attachments and uploads are kept (beside the database). */
  dataDir: string;
  /** Default `/api/mail`. */
  basePath?: string;
  /**
   * `PUBLIC_URL`: how browsers reach this server (scheme, host, port; no path). The redirect URI is
   * this + base path + `/connect/callback`, and its host is the `Host` the server answers to. A
   * function when it is known only once the server listens (port 0).
   */
  publicUrl: string | (() => string);
  /**
   * The sandbox cloud's exact origins (`GRAPH_MAIL_SANDBOX_ORIGINS`): the first is the `sandbox`
   * cloud's origin. Only these exact origins are ever allowed beside Microsoft's hosts. Refused in
   * production mode.
   */
  sandboxOrigins?: readonly string[];
  /** `GRAPH_MAIL_ALLOWED_ORIGINS`: origins of other sites that may call the API (with CORS). */
  allowedOrigins?: readonly string[];
  /** More `Host` values this server answers to (behind a proxy that keeps the original Host). */
  allowedHosts?: readonly string[];
  /** `GRAPH_MAIL_ADMIN_TOKEN`, for the default authorisation hook. */
  adminToken?: string;
  /** The host's authorisation hook; replaces the default (loopback, or the admin token). */
  authorize?: AuthorizeHook;
  /** The host's anti-forgery header, accepted besides `X-Requested-With: graph-mail`. */
  antiForgery?: AntiForgeryOptions;
  /** `NODE_ENV=production`: no loopback admission, no sandbox. */
  production?: boolean;
  /** Options of the mail module (service token, retries, …), or `false` to leave it out. */
  mail?: Partial<Omit<MailModuleOptions, 'dataDir'>> | false;
  /** Options of `POST /test` (rate limit, time-outs). */
  test?: Omit<TestSettings, 'sandboxOrigin' | 'extraOrigins' | 'redirectUri'>;
  /** Send through drafts (exactly once, large attachments), which asks for Mail.ReadWrite [true]. */
  useDrafts?: boolean;
  /** Outbound HTTP to the identity platform and Graph; default the global fetch. */
  fetch?: FetchLike;
  logger?: unknown;
  /** More routes on the API router (after the built-in ones), with the server's dependencies. */
  mounts?: Array<(router: Hono<ServerEnv>, deps: ServerDeps) => void>;
  /** More paths (relative to the base path) that skip admin authorisation and the anti-forgery rule. */
  publicPaths?: readonly string[];
  /**
   * Entra ID access tokens for the admin API (cross-origin hosts, GRAPH_MAIL_ENTRA_*): a JWT bearer is
   * judged by Entra alone; requests without one fall back to the default rule (loopback or admin token).
   */
  entra?: EntraAuthOptions;
  /** Per-cloud time limit of the assistant's tenant lookup [5 s]. */
  tenantLookupTimeoutMs?: number;
  /**
   * Login origins the tenant lookup asks instead of a cloud's own (a forward proxy in front of the
   * login hosts, or a second sandbox standing in for a national cloud in tests). Used for nothing else.
   */
  tenantLookupOrigins?: Partial<Record<CloudId, string>>;
  /** `GRAPH_MAIL_ALERT_WEBHOOK`: called when sending stops and when it recovers. */
  alerts?: { webhookUrl: string; intervalMs?: number; failureRun?: number; retryDelaysMs?: number[] };
  /** Largest admin request body [1 MiB] (`/send` has its own limit). */
  maxBodyBytes?: number;
  /**
   * Names the configuration a request belongs to, for a host that serves many customers from one
   * server (each customer's admin sees and changes only their own). Called for every request under the
   * base path but the connect callback (its sign-in names it): after authorisation with the admin, or
   * with `null` on `/send` and `/health`. Return a configuration id (1 to 100 of `A-Z a-z 0-9 . _ : @ -`;
   * a new one starts empty), or null when the request has none: admin routes then answer 403,
   * `/send` 403 (after its token check) and `/health` 404. Default: every request is `'default'`.
   */
  configIdOf?: ConfigIdHook;
}

/** The host's hook from a request to its configuration (see `GraphMailServerOptions.configIdOf`). */
export type ConfigIdHook = (request: Request, admin: AdminIdentity | null) => string | null | undefined | Promise<string | null | undefined>;

/** What a configuration id may look like: it names rows and keys, and appears in logs. */
export const CONFIG_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,100}$/;

export type ServerEnv = AdminEnv;

/** What routes mounted on the server get: the mail module's `MailDeps` and more. */
export interface ServerDeps extends MailDeps {
  store: GraphMailStore;
  configService: ConfigService;
  tokenService: TokenService;
  sealer: Sealer;
  basePath: string;
  redirectUri(): string;
  hostOptions: HostOptions;
}

export interface GraphMailServer {
  /** The Hono app, routes under the base path. */
  app: Hono<ServerEnv>;
  basePath: string;
  store: GraphMailStore;
  config: ConfigService;
  tokens: TokenService;
  deps: ServerDeps;
  /** The mail module, unless left out. */
  mail: MailModule | null;
  /** `mail.send(message)` for Node hosts (the durable outbox). */
  readonly mailApi: MailApi | null;
  /** Starts the outbox workers, keep-alive and retention. */
  start(): void;
  /** Stops them (before the database closes). */
  stop(graceMs?: number): Promise<void>;
}

/** Every migration the assembled server needs, in order. */
export function serverMigrations(mail: Pick<MailModule, 'migrations'> | null): Migration[] {
  return [...CORE_MIGRATIONS, ...CONNECT_MIGRATIONS, ...(mail?.migrations ?? [])];
}

const trimSlash = (text: string) => text.replace(/\/+$/, '');

function normalizeBasePath(path: string | undefined): string {
  const value = trimSlash(path ?? DEFAULT_BASE_PATH);
  if (value === '') return '';
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(value) || value.includes('//')) throw new Error(`The base path "${path}" is not valid: use something like /api/mail.`);
  return value;
}

export function createGraphMailServer(options: GraphMailServerOptions): GraphMailServer {
  const production = options.production ?? false;
  const basePath = normalizeBasePath(options.basePath);
  const publicUrl = () => {
    const value = typeof options.publicUrl === 'function' ? options.publicUrl() : options.publicUrl;
    const origin = normalizeOrigin(trimSlash(value));
    if (!origin) throw new Error(`PUBLIC_URL "${value}" is not valid: give scheme, host and port only, such as https://mail.example.com.`);
    return origin;
  };
  const sandboxOrigins = (options.sandboxOrigins ?? []).map((origin) => {
    const exact = normalizeSandboxOrigin(origin);
    if (!exact) throw new Error(`The sandbox origin "${origin}" is not valid: use http(s)://127.0.0.1:PORT or http(s)://localhost:PORT.`);
    return exact;
  });
  if (production && sandboxOrigins.length) throw new Error('The sandbox cloud is not offered in production mode (NODE_ENV=production).');
  const allowedOrigins = (options.allowedOrigins ?? []).map((origin) => {
    const exact = normalizeOrigin(origin);
    if (!exact) throw new Error(`The allowed origin "${origin}" is not valid: give scheme, host and port only.`);
    return exact;
  });
  const sandboxOrigin = sandboxOrigins[0];
  const clouds: CloudId[] = [...NATIONAL_CLOUD_IDS, ...(sandboxOrigin ? (['sandbox'] as CloudId[]) : [])];
  const hostOptions: HostOptions = sandboxOrigin ? { sandboxOrigin } : {};
  const logger: MailLogger = asMailLogger(options.logger);
  const redirectUri = () => `${publicUrl()}${basePath}/connect/callback`;

  const mail = options.mail === false ? null : mailModule({ dataDir: options.dataDir, ...(options.mail ?? {}) });
  if (!options.db && !(options.store && options.connectStates && (options.mailStore || !mail))) {
    throw new Error('The server needs the SQLite database `db`, or every store engine: `store`, `connectStates` and `mailStore`.');
  }
  if (options.db) migrate(options.db, serverMigrations(mail));
  const store = options.store ?? new SqliteStore(options.db!);

  const config: ConfigService = new ConfigService({
    store,
    sealer: options.sealer,
    clouds,
    sandboxOrigin,
    get redirectUri() {
      return redirectUri();
    },
    // Called only after a save, by which time `tokens` exists.
    onCredentialChange: (id) => tokens.invalidate(id),
  });
  const tokens: TokenService = new TokenService({ config, store, sealer: options.sealer, hostOptions, fetch: options.fetch, logger });
  const configs: MailConfigs = {
    get: (id) => ({ config: { getEffectiveConfig: () => config.effective(id), getStatus: () => config.status(id) }, tokens: tokens.forConfig(id) }),
    ids: () => store.listConfigIds(),
  };

  const deps: ServerDeps = {
    db: options.db,
    mailStore: options.mailStore,
    mailboxSlots: options.mailboxSlots,
    configs,
    configId: DEFAULT_CONFIG_ID,
    configOf: (c) => (c.get('configId') as string | undefined) ?? null,
    fetch: options.fetch,
    logger: options.logger,
    options: { sandboxOrigin },
    store,
    configService: config,
    tokenService: tokens,
    sealer: options.sealer,
    basePath,
    redirectUri,
    hostOptions,
  };

  const ownOrigins = () => loopbackAliases(publicUrl());
  const allowedHosts = () => {
    const hosts = ownOrigins().map((origin) => new URL(origin).host.toLowerCase());
    for (const host of options.allowedHosts ?? []) hosts.push(host.toLowerCase());
    return hosts;
  };

  // The admin each request was authorised as, for modules that see only the Request (or nothing).
  const identities = new WeakMap<Request, AdminIdentity>();
  const currentAdmin = new AsyncLocalStorage<AdminIdentity>();
  const api = new Hono<ServerEnv>();
  mountConfigRoutes(api, { config, sandboxOrigin, onSaved: (configId) => void mail?.runtime?.outbox.resume(configId) });
  /**
   * Right after a delegated sign-in whose account is not the From address: may it send as that mailbox?
   * The answer is kept on the connection (the form shows it) and a refusal is also a warning in the log.
   */
  const recordSendAs = async (configId: string, account: string): Promise<void> => {
    const runtime = mail?.runtime;
    const effective = await config.effective(configId);
    if (!runtime || !effective) return;
    let check: SendAsCheck | null;
    try {
      check = await checkSendAs(runtime.mailer, effective, account, tokens.forConfig(configId));
    } catch (error) {
      logger.warn('graph-mail: the Send As check could not run', { error: error instanceof Error ? error.name : 'Error' });
      return;
    }
    if (!check) return;
    const connection = await store.getConnection(configId);
    if (!connection || connection.account !== account) return;
    await store.updateConnection(configId, { expectVersion: connection.tokenVersion, sendAs: check });
    if (!check.ok && check.error) await runtime.outbox.warn(check.error.code, check.error.message, check.error.hint, configId);
  };
  mountConnectRoutes(api, {
    db: options.db,
    states: options.connectStates,
    basePath,
    redirectUri,
    allowedOrigins,
    hostOptions,
    sealer: options.sealer,
    fetch: options.fetch,
    logger,
    configOf: (c) => c.get('configId') as string,
    getConnectConfig: async (configId): Promise<ConnectConfig | null> => {
      const context = await config.tokenContext(configId);
      if (!context) return null;
      const hasCredential = (await store.secretFields(configId)).length > 0;
      return {
        mode: context.config.mode,
        cloud: context.config.cloud,
        tenantId: context.config.tenantId,
        clientId: context.config.clientId,
        endpoints: context.config.endpoints,
        clientAuth: hasCredential ? tokens.clientAuth(configId) : null,
        useDrafts: options.useDrafts ?? true,
        fromAddress: context.config.fromAddress,
      };
    },
    saveDelegatedGrant: async (configId, grant) => {
      await tokens.saveDelegatedGrant(configId, grant);
      await mail?.runtime?.outbox.resume(configId);
      await recordSendAs(configId, grant.account);
    },
    disconnect: async (configId) => {
      await config.disconnect(configId, currentAdmin.getStore()?.id ?? 'unknown');
    },
    getConfigView: (configId): Promise<ConfigView> => config.view(configId),
    adminIdentity: (request) => {
      const identity = identities.get(request);
      return identity?.bearer ? identity.id : null;
    },
  });
  if (mail) mail.mount(api, deps);
  // Each configuration's last test report, for the support bundle (kept in memory: it is a diagnosis,
  // not a record; the oldest goes first when there are many).
  const lastTests = new Map<string, { at: string; report: TestReport }>();
  mountAssistantRoutes(api, {
    configOf: (c) => c.get('configId') as string,
    effectiveConfig: (configId) => config.effective(configId),
    configView: (configId) => config.view(configId),
    lastTest: (configId) => lastTests.get(configId) ?? null,
    recentFailures: async (configId, limit) => {
      const log = mail?.runtime?.outbox.log;
      if (!log) return [];
      const entries = (await Promise.all((['failed', 'unknown'] as const).map(async (status) => (await log.query(configId, { status, limit })).items))).flat();
      const newest = entries.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, limit);
      return (await Promise.all(newest.map((entry) => log.detail(configId, entry.id)))).flatMap((detail) => detail ?? []);
    },
    versions: { 'graph-mail-elements': PACKAGE_VERSION, node: process.version, platform: `${process.platform}-${process.arch}` },
    useDrafts: options.useDrafts ?? true,
    clouds: () =>
      cloudList(sandboxOrigin).map((cloud) => ({
        cloud: cloud.id,
        loginOrigin: options.tenantLookupOrigins?.[cloud.id] ?? (cloud.id === 'sandbox' && sandboxOrigin ? sandboxOrigin : `https://${cloud.loginHost}`),
      })),
    fetch: options.fetch,
    lookupTimeoutMs: options.tenantLookupTimeoutMs,
  });
  mountTestRoute(api, {
    onReport: (report, configId) => {
      lastTests.delete(configId);
      lastTests.set(configId, { at: new Date().toISOString(), report });
      if (lastTests.size > 1_000) lastTests.delete(lastTests.keys().next().value!);
    },
    configOf: (c) => c.get('configId') as string,
    forConfig: (configId) => ({
      tokens: { getAccessToken: (request) => tokens.getAccessToken(configId, request) },
      getConfigState: async () => {
        const [view, effective] = await Promise.all([config.view(configId), config.effective(configId)]);
        const missing: string[] = [];
        if (!view.tenantId) missing.push('tenantId');
        if (!view.clientId) missing.push('clientId');
        if (!view.secret.set) missing.push(view.credential === 'certificate' ? 'certificate' : 'clientSecret');
        if (view.mode === 'application' && !view.fromAddress) missing.push('fromAddress');
        return {
          config: effective,
          missing,
          credential: { set: view.secret.set, kind: view.credential, expiresAt: view.secret.expiresAt || null },
          connection: view.connection,
        };
      },
      sendAndWait: (message, sendOptions) => {
        if (!mail) return Promise.reject(new Error('The mail module is not part of this server.'));
        return mail.start(deps).sendAndWait(message, { ...sendOptions, configId });
      },
    }),
    adminIdentity: (c) => (c.get('admin') as AdminIdentity | undefined)?.id ?? 'unknown',
    fetch: options.fetch,
    settings: {
      ...(options.test ?? {}),
      sandboxOrigin,
      requireExactlyOnce: options.useDrafts ?? true,
      // Read when a test runs: PUBLIC_URL may be known only once the server listens.
      get redirectUri() {
        return redirectUri();
      },
    },
    logger,
  });
  for (const mount of options.mounts ?? []) mount(api, deps);

  const fallbackAuthorize = defaultAuthorize({ adminToken: options.adminToken, production, tokenMatches });
  const authorizeHook =
    options.authorize ?? (options.entra ? entraAuthorizeHook(createEntraAuthenticator({ ...options.entra, logger }), { fallback: fallbackAuthorize }) : fallbackAuthorize);

  const app = new Hono<ServerEnv>();
  app.use(
    `${basePath}/*`,
    securityMiddleware({
      basePath,
      ownOrigins,
      allowedHosts,
      allowedOrigins,
      authorize: authorizeHook,
      publicPaths: [...(mail?.publicPaths ?? []), ...CONNECT_PUBLIC_PATHS, ...(options.publicPaths ?? [])],
      antiForgery: options.antiForgery,
      maxBodyBytes: options.maxBodyBytes,
      onAuthorized: (request, identity) => identities.set(request, identity),
    }),
  );
  const configIdOf: ConfigIdHook = options.configIdOf ?? (() => DEFAULT_CONFIG_ID);
  const callbackPath = `${basePath}/connect/callback`;
  app.use(`${basePath}/*`, async (c, next) => {
    const admin = c.get('admin');
    if (c.req.path !== callbackPath) {
      const configId = await configIdOf(c.req.raw, admin ?? null);
      if (configId !== null && configId !== undefined) {
        // A host's bug, not the caller's: a 500 whose log line names the hook.
        if (typeof configId !== 'string' || !CONFIG_ID_PATTERN.test(configId)) throw new Error('The configIdOf hook returned a value that is not a configuration id (1 to 100 of A-Z a-z 0-9 . _ : @ -).');
        c.set('configId', configId);
      } else if (admin) {
        return problem(403, 'Forbidden', 'No e-mail configuration belongs to this account.', { hint: 'Ask the administrator of this application to give your account a mail configuration.' });
      }
    }
    return admin ? currentAdmin.run(admin, next) : next();
  });
  app.route(basePath || '/', api);
  app.notFound((c) => (c.req.path.startsWith(`${basePath}/`) ? problem(404, 'Not found', 'No such route.') : c.text('Not found', 404)));
  app.onError((error, c) => {
    // The token could not be judged (Entra's signing keys unreachable): neither 401 nor 403.
    if (error instanceof EntraUnavailableError) return problem(503, 'Service unavailable', 'The identity platform\'s signing keys could not be fetched; try again shortly.');
    logger.error('graph-mail: a request failed', { method: c.req.method, path: c.req.path, error: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown' });
    return problem(500, 'Internal server error', 'The server could not complete the request; its log says why.');
  });

  const alerts =
    options.alerts && mail
      ? new AlertWatcher({
          ...options.alerts,
          configs: () => store.listConfigIds(),
          health: (configId) => mail.start(deps).health(configId),
          // The mail store every instance shares: the webhook hears each change once, whichever instance sees it.
          shared: { meta: (key) => mail.start(deps).store.meta(key), swapMeta: (key, expected, value) => mail.start(deps).store.swapMeta(key, expected, value) },
          fetch: options.fetch,
          logger,
        })
      : null;

  return {
    app,
    basePath,
    store,
    config,
    tokens,
    deps,
    mail,
    get mailApi() {
      return mail?.runtime?.api ?? null;
    },
    start() {
      mail?.start(deps);
      alerts?.start();
    },
    async stop(graceMs) {
      alerts?.stop();
      await mail?.stop(graceMs);
    },
  };
}

export { cloudList };
