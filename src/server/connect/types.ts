/**
 * What the delegated connect flow needs from the rest of the server, declared here as small interfaces
 * so that the module depends on the server core only through them. The core implements `ConnectDeps`
 * and passes it to `mountConnectRoutes`; it also runs `CONNECT_MIGRATIONS` on its database and leaves
 * `CONNECT_PUBLIC_PATHS` to this module's own checks (see ./index.ts).
 */
import type { Context } from 'hono';
import type BetterSqlite3 from 'better-sqlite3';
import type { AuthMode, CloudId, ConfigView, ConnectStatus, EndpointTemplates, UpstreamError } from '../../services/contract.js';
import type { HostOptions } from '../../services/endpoints.js';
import type { ConnectStates } from './state-store.js';

export type Db = BetterSqlite3.Database;

/** One versioned schema step; the core's `migrate(db, migrations)` runs them in order, once each. */
export interface ConnectMigration {
  id: string;
  up(db: Db): void;
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * Form parameters that authenticate the app at the token endpoint: `{ client_secret }` for a secret, or
 * `{ client_assertion_type, client_assertion }` for a certificate (the assertion's audience is the
 * token endpoint URL passed in). Called once per redemption, right before the request.
 */
export type ClientAuthParams = (tokenEndpoint: string) => Record<string, string> | Promise<Record<string, string>>;

/** The configuration in effect, as the connect flow needs it. */
export interface ConnectConfig {
  mode: AuthMode;
  cloud: CloudId;
  tenantId: string;
  clientId: string;
  /** Complete templates: the cloud's defaults merged with the saved ones. */
  endpoints: EndpointTemplates;
  /**
   * The decrypted credential as a producer of client authentication parameters, or null when no
   * credential is stored (the connect is then refused, naming `clientSecret`).
   */
  clientAuth: ClientAuthParams | null;
  /**
   * Whether sending goes through drafts (large attachments, exactly-once: SECURITY.md 22), which needs
   * `Mail.ReadWrite` besides `Mail.Send`. Default true, as DESIGN.md recommends.
   */
  useDrafts?: boolean;
  /**
   * The From address, when one is set: a shared mailbox may be meant, so the sign-in also asks for
   * Mail.Send.Shared (and Mail.ReadWrite.Shared with drafts).
   */
  fromAddress?: string;
}

/** What a successful sign-in hands to the core. */
export interface DelegatedGrant {
  /** "Connected to": the mailbox's `mail`, else its `userPrincipalName` (from `GET /me`). */
  account: string;
  /** Object id of the signed-in user (`/me` `id`), when Graph gave one. */
  userId?: string;
  displayName?: string;
  refreshToken: string;
  accessToken: string;
  /** Epoch milliseconds at which the access token expires (from `expires_in`). */
  expiresAt: number;
  /** The delegated permissions granted (the answer's `scope`, resource prefixes removed), e.g. `Mail.Send`. */
  scopes: string[];
  /** The `scope` parameter exactly as requested, for refreshes that ask for the same. */
  requestedScope: string;
  /** The cloud, tenant and app the grant belongs to (pinned when the sign-in started). */
  cloud: CloudId;
  tenantId: string;
  clientId: string;
}

/** Seals short-lived secrets at rest (the PKCE verifier), with the core's AES-256-GCM sealing. */
export interface ConnectSealer {
  /** Encrypts `plain`; `context` is bound as associated data (a swapped row must not open). */
  seal(plain: string, context: string): string;
  /** Decrypts what `seal` produced for the same context; throws when it does not open. */
  open(sealed: string, context: string): string;
}

export interface ConnectLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentConnectLogger: ConnectLogger = { info() {}, warn() {}, error() {} };

/** The server core, as far as the connect flow needs it. */
export interface ConnectDeps {
  /**
   * Where pending sign-ins live: `states`, or else the server's SQLite database `db` with
   * `CONNECT_MIGRATIONS` applied (`connect_states`). One of the two is needed.
   */
  db?: Db;
  states?: ConnectStates;
  /** The configuration a request acts on (the server's `configIdOf` hook); without it, `configId`. */
  configOf?(c: Context): string;
  /** The configuration these routes connect when there is no `configOf` [`default`]. */
  configId?: string;
  /**
   * The configuration in effect with its decrypted credential, or null while nothing is saved. Read
   * when a sign-in starts and again when it is redeemed.
   */
  getConnectConfig(configId: string): ConnectConfig | null | Promise<ConnectConfig | null>;
  /**
   * The one registered redirect URI: `PUBLIC_URL` + base path + `/connect/callback`. Its origin is the
   * server's own origin (for `returnTo` and the callback page's `postMessage` target).
   */
  redirectUri(): string;
  /** The base path the routes are mounted under, e.g. `/api/mail` (the binding cookie's path). */
  basePath: string;
  /**
   * Origins other than the server's own whose pages may start a sign-in (`GRAPH_MAIL_ALLOWED_ORIGINS`);
   * the callback page posts to the starting page's origin only when it is the server's own or listed here.
   */
  allowedOrigins?: readonly string[];
  /** The start-up host options (the sandbox's exact origin, extra origins) for the endpoint host check. */
  hostOptions?: HostOptions;
  /**
   * Seals and stores the grant (refresh token sealed at rest), records the account and the time, and
   * marks the connection connected, which locks the settings. Throws when it cannot (the sign-in then
   * reports failed).
   */
  saveDelegatedGrant(configId: string, grant: DelegatedGrant): void | Promise<void>;
  /** Forgets every token of the configuration's connection and unlocks its settings (the configuration stays). */
  disconnect(configId: string): void | Promise<void>;
  /** The configuration's `ConfigView` of `GET /config`, answered after a disconnect. */
  getConfigView(configId: string): ConfigView | Promise<ConfigView>;
  /**
   * A stable name of the admin when the request was authenticated by a bearer token (the admin token,
   * or an Entra token's `oid`), else null. A sign-in started with a bearer is bound to that admin
   * instead of to a browser cookie, which a cross-origin caller cannot keep.
   */
  adminIdentity?(request: Request): string | null | undefined | Promise<string | null | undefined>;
  /** Seals the PKCE verifier at rest; without one it is stored plain for its ≤10 minutes and erased on use. */
  sealer?: ConnectSealer;
  /** Outbound HTTP (token endpoint, Graph `/me`); default the global fetch. Redirects are never followed. */
  fetch?: FetchLike;
  logger?: ConnectLogger;
  /** The clock, in epoch milliseconds (default `Date.now`). */
  now?: () => number;
  /** How long a sign-in may take, at most 10 minutes (the default). */
  stateTtlMs?: number;
  /** Time-out of each outbound request (default 30 s). */
  requestTimeoutMs?: number;
}

/** `GET /connect/status`: the contract's shape plus the mapped error's parts when it failed. */
export interface ConnectStatusView extends ConnectStatus {
  /** The mapped error (code, message, hint, ids), never the upstream body. */
  failure?: UpstreamError;
}
