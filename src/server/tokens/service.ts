/**
 * Access tokens for Graph, per configuration: client credentials (application mode) or the refresh
 * token of the connected mailbox (delegated mode), with the configured token endpoint and scope.
 *
 * - Cached until five minutes before expiry, in memory and, sealed, in the store for every instance,
 *   keyed by a stamp of everything a token depends on (cloud, tenant, app, token endpoint, scope, the
 *   sealed credential): a changed credential or setting never gets an old token.
 * - Single-flight per configuration: concurrent callers at expiry share one request (SECURITY.md 15),
 *   across instances too: the store lends the right to ask to one instance at a time (a lease that
 *   runs out if that instance dies), and the others wait for the token it stores. So several instances
 *   make one request per token lifetime, and never present one refresh token twice.
 * - A refresh saves the rotated refresh token sealed, with a compare-and-swap on the connection's
 *   version, so a disconnect or a new sign-in in between is never overwritten.
 * - `invalid_grant` on refresh moves the connection to `needs-reconnect` after that one attempt; later
 *   calls fail at once, without a request, until the mailbox is connected again (SECURITY.md 14).
 * - The token URL is expanded and host-checked on every use (SECURITY.md 6).
 */
import { randomUUID } from 'node:crypto';
import type { UpstreamError } from '../../services/contract.js';
import type { AccessTokenInfo } from '../mail/types.js';
import type { FetchLike } from '../mail/types.js';
import { resolveEndpoint, type HostOptions } from '../../services/endpoints.js';
import { formatMessage, ENDPOINT_MESSAGES_EN } from '../../services/endpoints.js';
import { CredentialUnavailableError, type ConfigService, type TokenContext } from '../config/service.js';
import { SealError, type Sealer } from '../crypto/sealer.js';
import { sealedAt, type GraphMailStore } from '../store/types.js';
import { clientAuthParams } from './client-auth.js';
import { TokenRequestError, TokenServiceError, needsReconnect, notConfigured, notConnected } from './errors.js';
import { permissionsOfScope, permissionsOfToken, postTokenRequest, type TokenAnswer } from './token-request.js';

/** What a finished delegated sign-in hands over (the connect flow's `DelegatedGrant`). */
export interface DelegatedGrantInput {
  account: string;
  refreshToken: string;
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  scopes: string[];
  requestedScope: string;
  cloud: string;
  tenantId: string;
  clientId: string;
}

export interface TokenServiceOptions {
  config: ConfigService;
  store: GraphMailStore;
  sealer: Sealer;
  hostOptions?: HostOptions;
  fetch?: FetchLike;
  /** Time-out of one token request [30 s]. */
  timeoutMs?: number;
  /** Tokens are renewed this long before they expire [5 min]. */
  refreshMarginMs?: number;
  /** The delegated scope asked for when a connection has none stored. */
  defaultDelegatedScope?: string;
  now?: () => number;
  /** How often an instance waiting for another's token looks for it [100 ms]. */
  leaseWaitMs?: number;
  logger?: { info(message: string, fields?: Record<string, unknown>): void; warn(message: string, fields?: Record<string, unknown>): void };
}

interface CachedToken {
  stamp: string;
  info: AccessTokenInfo;
  expiresAt: number;
}

export interface TokenSourceFor {
  getAccessToken(options?: { forceRefresh?: boolean }): Promise<AccessTokenInfo>;
}

export class TokenService {
  private readonly cache = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<AccessTokenInfo>>();
  /** Token requests sent, per configuration (for tests and metrics). */
  readonly requestCount = new Map<string, number>();
  private readonly fetch: FetchLike;
  private readonly now: () => number;
  /** This instance, as the holder of the store's token lease. */
  private readonly holder = randomUUID();

  constructor(readonly options: TokenServiceOptions) {
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.now = options.now ?? Date.now;
  }

  /** A `TokenSource` bound to one configuration (what the mail module and the test route take). */
  forConfig(configId: string): TokenSourceFor {
    return { getAccessToken: (options) => this.getAccessToken(configId, options) };
  }

  /** Drops the cached token (a credential or setting changed, a disconnect). */
  invalidate(configId: string): void {
    this.cache.delete(configId);
    // The stored one could not be used anyway (its stamp no longer matches); this only tidies up.
    this.options.store.dropCachedToken(configId).catch(() => undefined);
  }

  async getAccessToken(configId: string, options: { forceRefresh?: boolean } = {}): Promise<AccessTokenInfo> {
    const context = await this.options.config.tokenContext(configId);
    if (!context) throw notConfigured();
    const cached = this.cache.get(configId);
    if (cached && cached.stamp !== context.stamp) this.cache.delete(configId);
    const margin = this.options.refreshMarginMs ?? 5 * 60_000;
    if (!options.forceRefresh && cached && cached.stamp === context.stamp && cached.expiresAt - margin > this.now()) return cached.info;
    if (context.config.mode === 'delegated') this.checkConnected(context);
    if (!options.forceRefresh) {
      const shared = await this.sharedToken(configId, context.stamp);
      if (shared) return shared;
    }

    // A request already under way for the same settings answers everyone, forced or not: it is fresh.
    const key = `${configId}\u0000${context.stamp}`;
    const running = this.inflight.get(key);
    if (running) return running;
    const request = this.fetchShared(configId, context, options.forceRefresh === true).finally(() => this.inflight.delete(key));
    this.inflight.set(key, request);
    return request;
  }

  /** The token another instance (or this one) stored for `stamp`, still good; `newerThan` for a forced renewal. */
  private async sharedToken(configId: string, stamp: string, newerThan = 0): Promise<AccessTokenInfo | null> {
    const stored = await this.options.store.getCachedToken(configId);
    const margin = this.options.refreshMarginMs ?? 5 * 60_000;
    if (!stored || stored.stamp !== stamp || stored.expiresAt - margin <= this.now() || stored.storedAt < newerThan) return null;
    let accessToken: string;
    try {
      accessToken = this.options.sealer.open(stored.accessToken, sealedAt.accessToken(configId));
    } catch {
      return null;
    }
    const info = { accessToken, scopes: stored.scopes };
    this.cache.set(configId, { stamp, info, expiresAt: stored.expiresAt });
    return info;
  }

  /** One instance asks the identity platform (the lease holder); the others wait for what it stores. */
  private async fetchShared(configId: string, context: TokenContext, force: boolean): Promise<AccessTokenInfo> {
    const started = this.now();
    const leaseMs = (this.options.timeoutMs ?? 30_000) + 15_000;
    for (;;) {
      if (await this.options.store.leaseTokenRequest(configId, this.holder, this.now() + leaseMs, this.now())) {
        try {
          // Another instance may have stored one between our look and our lease.
          return (await this.sharedToken(configId, context.stamp, force ? started : 0)) ?? (await this.fetchToken(configId, context));
        } finally {
          await this.options.store.releaseTokenLease(configId, this.holder).catch(() => undefined);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.leaseWaitMs ?? 100));
      const shared = await this.sharedToken(configId, context.stamp, force ? started : 0);
      if (shared) return shared;
      // A save or a disconnect while waiting: what to ask for has changed.
      const current = await this.options.config.tokenContext(configId);
      if (current?.stamp !== context.stamp) return this.getAccessToken(configId, { forceRefresh: force });
      if (this.now() - started > 2 * leaseMs) {
        throw new TokenServiceError(
          'TOKEN_WAIT',
          'Another server instance is asking the identity platform for a token and has not stored one.',
          'Check that every instance reaches the identity platform and uses the same GRAPH_MAIL_KEY.',
        );
      }
    }
  }

  private checkConnected(context: TokenContext): void {
    const connection = context.connection;
    if (!connection || connection.state === 'disconnected' || !connection.refreshToken) throw notConnected();
    if (connection.state === 'needs-reconnect') throw needsReconnect(connection.reason);
  }

  private tokenUrl(context: TokenContext): string {
    const { config } = context;
    const resolved = resolveEndpoint('tokenEndpoint', config.endpoints, { TenantId: config.tenantId }, config.cloud, this.options.hostOptions);
    if (!resolved.ok) {
      const detail = formatMessage(ENDPOINT_MESSAGES_EN[resolved.key] ?? resolved.key, resolved.params);
      throw new TokenServiceError('ENDPOINT_NOT_ALLOWED', `The Token endpoint cannot be used: ${detail}`, 'Reset the endpoint templates to the defaults of the chosen Domain.');
    }
    return resolved.url;
  }

  private async credentialParams(configId: string, context: TokenContext, url: string): Promise<Record<string, string>> {
    try {
      const credential = await this.options.config.credential(configId);
      return await clientAuthParams(credential, context.config.clientId, url);
    } catch (error) {
      if (error instanceof CredentialUnavailableError) throw new TokenServiceError(error.code, error.message, error.hint);
      throw error;
    }
  }

  private count(configId: string): void {
    this.requestCount.set(configId, (this.requestCount.get(configId) ?? 0) + 1);
  }

  private async fetchToken(configId: string, context: TokenContext): Promise<AccessTokenInfo> {
    return context.config.mode === 'application' ? this.clientCredentials(configId, context) : this.refresh(configId, context, true);
  }

  /**
   * A token request with the stored credential, or first with the pending second secret of a rotation.
   * When the second secret works, it becomes the secret and the old one is forgotten (`context` is then
   * the one after the promotion); when the identity platform refuses it, the refusal is recorded on the
   * configuration and the request goes again with the current secret, so sending never stops.
   */
  private async withRotation(
    configId: string,
    context: TokenContext,
    url: string,
    request: (auth: Record<string, string>) => Promise<TokenAnswer>,
  ): Promise<{ answer: TokenAnswer; context: TokenContext }> {
    const next = await this.options.config.nextCredential(configId);
    if (next) {
      this.count(configId);
      try {
        const answer = await request(await clientAuthParams(next, context.config.clientId, url));
        if (await this.options.config.promoteNextSecret(configId)) {
          this.options.logger?.info('graph-mail: the new client secret works; it replaced the old one');
          return { answer, context: (await this.options.config.tokenContext(configId)) ?? context };
        }
        return { answer, context };
      } catch (error) {
        if (!(error instanceof TokenRequestError) || !refusesSecret(error)) throw error;
        await this.options.config.rejectNextSecret(configId, upstreamErrorOf(error));
        this.options.logger?.warn('graph-mail: the new client secret was refused; sending goes on with the current one', { code: error.code });
      }
    }
    const auth = await this.credentialParams(configId, context, url);
    this.count(configId);
    return { answer: await request(auth), context };
  }

  private async clientCredentials(configId: string, start: TokenContext): Promise<AccessTokenInfo> {
    let context = start;
    const { config } = context;
    const url = this.tokenUrl(context);
    let answer: TokenAnswer;
    try {
      ({ answer, context } = await this.withRotation(configId, context, url, (auth) =>
        postTokenRequest(
          url,
          { grant_type: 'client_credentials', client_id: config.clientId, scope: config.endpoints.defaultScope, ...auth },
          { fetch: this.fetch, timeoutMs: this.options.timeoutMs ?? 30_000, diagnosis: { mode: 'application' } },
        ),
      ));
    } catch (error) {
      // A refusal of the credential or the tenant is shown as the connection's state (and /health).
      if (error instanceof TokenRequestError && (await this.stillCurrent(configId, context))) {
        await this.recordApplicationState(configId, 'error', config.fromAddress, [], error.message);
      }
      throw error;
    }
    const info = this.infoOf(answer);
    if (!(await this.stillCurrent(configId, context))) return info;
    await this.recordApplicationState(configId, 'connected', config.fromAddress, info.scopes);
    await this.remember(configId, context.stamp, info, this.expiresAt(answer));
    return info;
  }

  private async recordApplicationState(configId: string, state: 'connected' | 'error', account: string, granted: string[], reason?: string): Promise<void> {
    const current = await this.options.store.getConnection(configId);
    if (current && current.state === state && current.account === account && (reason ?? '') === (current.reason ?? '') && sameList(current.grantedPermissions, granted.length ? granted : current.grantedPermissions)) return;
    await this.options.store.setConnection(configId, {
      state,
      account,
      connectedAt: state === 'connected' ? (current?.state === 'connected' ? current.connectedAt : new Date(this.now()).toISOString()) : (current?.connectedAt ?? ''),
      ...(reason ? { reason } : {}),
      grantedPermissions: granted.length ? granted : (current?.grantedPermissions ?? []),
      scope: '',
      refreshToken: null,
    });
  }

  private async refresh(configId: string, start: TokenContext, retryOnRace: boolean): Promise<AccessTokenInfo> {
    let context = start;
    const { config } = context;
    const connection = context.connection!;
    let refreshToken: string;
    try {
      refreshToken = this.options.sealer.open(connection.refreshToken!, sealedAt.refreshToken(configId));
    } catch (error) {
      if (error instanceof SealError) {
        throw new TokenServiceError(
          'TOKEN_UNREADABLE',
          'The stored sign-in of the connected mailbox cannot be opened with the configured GRAPH_MAIL_KEY.',
          'Set the key it was saved with, or connect the mailbox again.',
        );
      }
      throw error;
    }
    const url = this.tokenUrl(context);
    const scope = connection.scope || this.options.defaultDelegatedScope || 'offline_access User.Read Mail.Send';
    let answer: TokenAnswer;
    try {
      ({ answer, context } = await this.withRotation(configId, context, url, (auth) =>
        postTokenRequest(
          url,
          { grant_type: 'refresh_token', client_id: config.clientId, refresh_token: refreshToken, scope, ...auth },
          { fetch: this.fetch, timeoutMs: this.options.timeoutMs ?? 30_000, diagnosis: { mode: 'delegated' } },
        ),
      ));
    } catch (error) {
      if (error instanceof TokenRequestError && error.oauthError === 'invalid_grant') {
        // One attempt, then the admin has to reconnect: no loop against a revoked grant.
        await this.options.store.updateConnection(configId, { expectVersion: connection.tokenVersion, state: 'needs-reconnect', reason: error.message });
        this.invalidate(configId);
        this.options.logger?.warn('graph-mail: the refresh token was refused; the mailbox must be connected again', { code: error.code });
      }
      throw error;
    }
    const info = this.infoOf(answer);
    const saved = await this.options.store.updateConnection(configId, {
      expectVersion: connection.tokenVersion,
      // Rotation: the new refresh token replaces the old one in the same write.
      ...(answer.refresh_token ? { refreshToken: this.options.sealer.seal(answer.refresh_token, sealedAt.refreshToken(configId)) } : {}),
      ...(info.scopes.length ? { grantedPermissions: info.scopes } : {}),
    });
    if (!saved) {
      // A disconnect, a new sign-in or another instance came first: start again from what is stored now.
      const fresh = await this.options.config.tokenContext(configId);
      if (!fresh || !retryOnRace) throw notConnected();
      if (fresh.config.mode !== 'delegated') return this.getAccessToken(configId);
      this.checkConnected(fresh);
      return this.refresh(configId, fresh, false);
    }
    await this.remember(configId, context.stamp, info, this.expiresAt(answer));
    return info;
  }

  private infoOf(answer: TokenAnswer): AccessTokenInfo {
    const fromToken = permissionsOfToken(answer.access_token);
    return { accessToken: answer.access_token, scopes: fromToken.length ? fromToken : permissionsOfScope(answer.scope) };
  }

  /** Caches a token here and, sealed, in the store for the other instances (which also ends this one's lease). */
  private async remember(configId: string, stamp: string, info: AccessTokenInfo, expiresAt: number): Promise<void> {
    this.cache.set(configId, { stamp, info, expiresAt });
    const token = { stamp, accessToken: this.options.sealer.seal(info.accessToken, sealedAt.accessToken(configId)), scopes: info.scopes, expiresAt, storedAt: this.now() };
    await this.options.store.putCachedToken(configId, token, this.holder).catch((error: unknown) => {
      // The others then ask for their own: more requests, never a failure.
      this.options.logger?.warn('graph-mail: the token could not be shared with other instances', { error: error instanceof Error ? error.name : 'Error' });
    });
  }

  private expiresAt(answer: Pick<TokenAnswer, 'expires_in'>): number {
    const seconds = Number(answer.expires_in);
    return this.now() + (Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 3_600_000);
  }

  private async stillCurrent(configId: string, context: TokenContext): Promise<boolean> {
    const now = await this.options.config.tokenContext(configId);
    return now?.stamp === context.stamp;
  }

  /**
   * Stores a finished delegated sign-in: the refresh token sealed, the account, the granted scopes;
   * the connection becomes `connected` (which locks the settings) and the access token is cached.
   * Refused when the settings changed while the admin was signing in.
   */
  async saveDelegatedGrant(configId: string, grant: DelegatedGrantInput): Promise<void> {
    const context = await this.options.config.tokenContext(configId);
    if (!context) throw notConfigured();
    const { config } = context;
    if (config.mode !== 'delegated' || config.cloud !== grant.cloud || config.tenantId.toLowerCase() !== grant.tenantId.toLowerCase() || config.clientId.toLowerCase() !== grant.clientId.toLowerCase()) {
      throw new TokenServiceError(
        'CONFIG_CHANGED',
        'The settings changed while the mailbox was signing in.',
        'Save the settings, then choose "Connect" again.',
      );
    }
    await this.options.store.setConnection(
      configId,
      {
        state: 'connected',
        account: grant.account,
        connectedAt: new Date(this.now()).toISOString(),
        grantedPermissions: grant.scopes,
        scope: grant.requestedScope,
        refreshToken: this.options.sealer.seal(grant.refreshToken, sealedAt.refreshToken(configId)),
      },
      { actor: `sign-in:${grant.account}`, action: 'connect', fields: ['connection'] },
    );
    const after = await this.options.config.tokenContext(configId);
    this.cache.delete(configId);
    if (after && grant.expiresAt > this.now()) await this.remember(configId, after.stamp, { accessToken: grant.accessToken, scopes: grant.scopes }, grant.expiresAt);
  }

  /** Client authentication parameters for the connect flow's code redemption. */
  clientAuth(configId: string): (tokenEndpoint: string) => Promise<Record<string, string>> {
    return async (tokenEndpoint) => {
      const context = await this.options.config.tokenContext(configId);
      if (!context) throw notConfigured();
      return this.credentialParams(configId, context, tokenEndpoint);
    };
  }
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item, index) => item === b[index]);

/** The identity platform refused the client secret itself (AADSTS7000215 invalid, 7000222 expired, invalid_client). */
function refusesSecret(error: TokenRequestError): boolean {
  return error.oauthError === 'invalid_client' || /^(AADSTS)?(7000215|7000222)$/.test(error.code);
}

function upstreamErrorOf(error: TokenRequestError): UpstreamError {
  const { diagnosis } = error;
  return {
    code: diagnosis.code,
    message: diagnosis.message,
    hint: diagnosis.hint,
    ...(diagnosis.requestId ? { requestId: diagnosis.requestId } : {}),
    ...(diagnosis.correlationId ? { correlationId: diagnosis.correlationId } : {}),
    ...(diagnosis.timestamp ? { timestamp: diagnosis.timestamp } : {}),
  };
}
