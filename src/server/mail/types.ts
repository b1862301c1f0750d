/**
 * What the mail module needs from the rest of the server, declared here as small interfaces so that the
 * module depends on the server core only through them (and tests can stand in for the core alone).
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { AuthMode, CloudId, ConnectionView, CredentialKind, EndpointTemplates } from '../../services/contract.js';

export type Db = BetterSqlite3.Database;

/** One versioned schema step; the core's `migrate(db, migrations)` runs them in order, once each. */
export interface MailMigration {
  id: string;
  up(db: Db): void;
}

export interface AccessTokenInfo {
  accessToken: string;
  /** `scp` (delegated) or `roles` (application) of the token, e.g. `['Mail.Send', 'Mail.ReadWrite']`. */
  scopes: string[];
}

/** The core's TokenService, as far as sending needs it (single-flight refresh is its job). */
export interface TokenSource {
  getAccessToken(options?: { forceRefresh?: boolean }): Promise<AccessTokenInfo>;
}

/** The configuration in effect, with the cloud's defaults merged into the endpoint templates. */
export interface MailConfig {
  mode: AuthMode;
  cloud: CloudId;
  tenantId: string;
  clientId: string;
  fromName: string;
  fromAddress: string;
  saveToSentItems: boolean;
  endpoints: EndpointTemplates;
  /** The connected account (delegated mode). */
  account?: string | null;
}

export interface MailStatus {
  connection: ConnectionView;
  /** ISO date of the credential's expiry, or empty/null when unknown. */
  secretExpiresAt?: string | null;
  /** Which credential expires (a client secret unless said). */
  credential?: CredentialKind;
}

/** The core's ConfigService, as far as sending needs it. */
export interface MailConfigSource {
  /** Null while nothing usable is saved. */
  getEffectiveConfig(): MailConfig | null | Promise<MailConfig | null>;
  /** Connection and credential state, for `/health` and for pausing the workers. */
  getStatus?(): MailStatus | null | Promise<MailStatus | null>;
}

/** One configuration's settings and tokens, as sending needs them. */
export interface MailConfigHandle {
  config: MailConfigSource;
  tokens: TokenSource;
}

/**
 * Every configuration the server holds (one per customer of a host, `DEFAULT_CONFIG_ID` when there is
 * one): the outbox sends each message with its own configuration's settings and tokens.
 */
export interface MailConfigs {
  /** The configuration's settings and tokens; one never saved has no effective configuration (null). */
  get(configId: string): MailConfigHandle;
  /** Every saved configuration's id: the schedules (keep-alive, secret reminders) walk them. */
  ids(): Promise<string[]>;
}

/** A server of one configuration: `configId` is the only one there is. */
export function singleConfig(configId: string, handle: MailConfigHandle): MailConfigs {
  return {
    get: (id) =>
      id === configId
        ? handle
        : { config: { getEffectiveConfig: () => null }, tokens: { getAccessToken: () => Promise.reject(new Error(`No configuration "${id}" on this server.`)) } },
    ids: async () => [configId],
  };
}

export interface MailLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: MailLogger = { info() {}, warn() {}, error() {} };

/** Adapts a logger of another shape (pino-like, console) to `MailLogger`. */
export function asMailLogger(logger: unknown): MailLogger {
  if (!logger || typeof logger !== 'object') return silentLogger;
  const source = logger as Partial<Record<'info' | 'warn' | 'error', (...args: unknown[]) => void>>;
  const pick = (level: 'info' | 'warn' | 'error') =>
    typeof source[level] === 'function'
      ? (message: string, fields?: Record<string, unknown>) => source[level]!.call(logger, message, fields ?? {})
      : () => {};
  return { info: pick('info'), warn: pick('warn'), error: pick('error') };
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;
