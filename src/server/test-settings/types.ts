/**
 * What the "Test settings" route needs from the rest of the server, declared here as small interfaces
 * so that it depends on the server core and the mail module only through them (and tests can assemble
 * it from real pieces without the core).
 */
import type { Context } from 'hono';
import type { ConnectionView, CredentialKind, LogEntryDetail, TestReport } from '../../services/contract.js';
import type { MailApiMessage } from '../mail/runtime.js';
import type { AccessTokenInfo, FetchLike, MailConfig } from '../mail/types.js';

export type { AccessTokenInfo, FetchLike, MailConfig };

/** The saved credential, as far as the test may know it: never its value. */
export interface TestCredentialInfo {
  set: boolean;
  kind: CredentialKind;
  /** ISO date of the secret's (or certificate's) expiry; empty or null when unknown. */
  expiresAt?: string | null;
}

/** The configuration in effect and what keeps it from being usable. */
export interface TestConfigState {
  /** The effective configuration (cloud defaults merged into the templates), or null when none is saved. */
  config: MailConfig | null;
  /**
   * Required settings that are missing, by field name (`tenantId`, `clientId`, `fromAddress`, …); the
   * report shows their labels. Empty when everything required is there.
   */
  missing: string[];
  credential: TestCredentialInfo;
  /** The delegated connection; a disconnected account cannot get a token. */
  connection?: ConnectionView;
}

/**
 * What the core's token service throws when the identity platform refuses a token request: the HTTP
 * status and the parsed JSON body, so that the test can explain the AADSTS code. The body is only read
 * for codes and ids; it never reaches the report.
 */
export interface UpstreamTokenErrorShape {
  status: number;
  body: unknown;
}

/** A ready-made error for token sources (the core may throw its own class of the same shape). */
export class UpstreamTokenError extends Error implements UpstreamTokenErrorShape {
  override name = 'UpstreamTokenError';
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`The identity platform refused the token request (HTTP ${status}).`);
  }
}

export function isUpstreamTokenError(error: unknown): error is UpstreamTokenErrorShape {
  if (!error || typeof error !== 'object') return false;
  const candidate = error as Partial<UpstreamTokenErrorShape>;
  return typeof candidate.status === 'number' && 'body' in candidate;
}

/**
 * An error the core already explained (for example "not connected"): carried over as it is, since
 * its `message` and `hint` are the server's own words, not upstream text.
 */
export interface ExplainedError {
  code: string;
  message: string;
  hint: string;
}

export function isExplainedError(error: unknown): error is ExplainedError {
  if (!error || typeof error !== 'object') return false;
  const candidate = error as Partial<ExplainedError>;
  return typeof candidate.code === 'string' && typeof candidate.hint === 'string' && typeof candidate.message === 'string';
}

/** The core's token service, as far as the test needs it: always a fresh token. */
export interface TestTokenSource {
  /**
   * A token from the identity platform, not from the cache. Throws an `UpstreamTokenErrorShape` when
   * the identity platform refuses, an `ExplainedError` for states the core explains itself, or the
   * network's error.
   */
  getAccessToken(options: { forceRefresh: true }): Promise<AccessTokenInfo>;
}

export interface TestSettings {
  /** `GRAPH_MAIL_TEST_PER_MINUTE` [5]: test runs per admin per minute. */
  testPerMinute?: number;
  /** The sandbox's exact origin (cloud `sandbox`), from the server's start-up option. */
  sandboxOrigin?: string;
  /** Exact extra origins from the server's start-up option. */
  extraOrigins?: readonly string[];
  /** The redirect URI this server uses, for precise hints. */
  redirectUri?: string;
  /** Every send must be exactly once (drafts), so delegated and application mode need Mail.ReadWrite. */
  requireExactlyOnce?: boolean;
  /** Largest generated test attachment [25 MB]; at most the schema's 150 MB. */
  maxAttachmentBytes?: number;
  /** Time-out of each discovery and Graph request of the test [30 s]. */
  requestTimeoutMs?: number;
  /** How long the send step waits for the outbox [60 s]. */
  sendTimeoutMs?: number;
  /** Days before expiry from which the secret is reported as expiring [30]. */
  expiryWarningDays?: number;
}

export interface TestDeps {
  getConfigState(): TestConfigState | Promise<TestConfigState>;
  tokens: TestTokenSource;
  /** The mail runtime's `sendAndWait`: the message goes through the outbox and into the log. */
  sendAndWait(message: MailApiMessage, options: { source: 'test'; timeoutMs?: number }): Promise<LogEntryDetail>;
  /** Who is asking, for the per-admin rate limit (the core's authorisation already admitted them). */
  adminIdentity(c: Context): string | Promise<string>;
  fetch?: FetchLike;
  settings?: TestSettings;
  /** Where unexpected failures of the test itself are logged (never a secret or token). */
  logger?: { error(message: string, fields?: Record<string, unknown>): void };
  /** The clock, for the rate limit and expiry checks. */
  now?: () => number;
  /** Hears every finished report (the assistant keeps the last one for the support bundle). */
  onReport?(report: TestReport, configId: string): void;
}

/** What a test of one configuration needs from the server. */
export type ConfigTestDeps = Pick<TestDeps, 'getConfigState' | 'tokens' | 'sendAndWait'>;

/**
 * `POST /test`'s needs: those of one configuration, or, on a server of several, the configuration of
 * each request (the server's hook) and its needs.
 */
export type TestRouteDeps = Omit<TestDeps, keyof ConfigTestDeps> & (ConfigTestDeps | { configOf(c: Context): string; forConfig(configId: string): ConfigTestDeps });
