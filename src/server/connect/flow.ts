/**
 * The authorization-code flow as pure steps: the state and PKCE pair, the scopes, the checks on the
 * configuration, the authorize URL, and the redemption (token endpoint, then `GET /me`). Redirects are
 * never followed on either call (SECURITY.md 7) and every URL is host-checked right before use.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CloudId, UpstreamError } from '../../services/contract.js';
import type { FieldError } from '../../services/errors.js';
import { explainGraphError, explainIdentityError, explainNetworkError, type Diagnosis, type DiagnosisContext } from '../../services/diagnostics.js';
import { ENDPOINT_MESSAGES_EN, checkUrl, formatMessage, resolveEndpoint, type HostOptions } from '../../services/endpoints.js';
import { englishMessage } from '../../services/schemas.js';
import type { ConnectConfig, DelegatedGrant, FetchLike } from './types.js';

/** Random text of `bytes` bytes, base64url: 32 bytes give a 256-bit state (≥128 bits: SECURITY.md 11). */
export const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

/** A PKCE S256 pair (RFC 7636): a 43-character verifier and its SHA-256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomToken(32);
  return { verifier, challenge: createHash('sha256').update(verifier, 'ascii').digest('base64url') };
}

/** Graph permissions the delegated connection asks for (SECURITY.md 10). */
export function delegatedPermissions(config: Pick<ConnectConfig, 'useDrafts' | 'fromAddress'>): string[] {
  const drafts = config.useDrafts !== false;
  // A From address may be a shared mailbox: the .Shared permissions let the server send through that
  // mailbox itself (its own Sent Items) rather than through the signed-in account's.
  const shared = config.fromAddress?.trim() ? ['Mail.Send.Shared', ...(drafts ? ['Mail.ReadWrite.Shared'] : [])] : [];
  return ['User.Read', 'Mail.Send', ...(drafts ? ['Mail.ReadWrite'] : []), ...shared];
}

/**
 * The `scope` parameter. Bare permission names mean the global Graph (and the sandbox's own Graph);
 * a national cloud's Graph is named explicitly by the Default scope's resource, so the token's audience
 * is that cloud's Graph host.
 */
export function scopeParameter(config: Pick<ConnectConfig, 'cloud' | 'endpoints' | 'useDrafts' | 'fromAddress'>): string {
  const permissions = delegatedPermissions(config);
  let prefix = '';
  if (config.cloud !== 'global' && config.cloud !== 'sandbox') {
    const resource = String(config.endpoints.defaultScope ?? '').replace(/\/\.default$/i, '');
    prefix = `${resource.replace(/\/+$/, '')}/`;
  }
  return ['offline_access', ...permissions.map((name) => prefix + name)].join(' ');
}

/** Permission names of a token answer's `scope`, without resource prefixes or the OIDC scopes. */
export function grantedPermissions(scope: unknown): string[] {
  if (typeof scope !== 'string') return [];
  const oidc = new Set(['openid', 'profile', 'email', 'offline_access']);
  return scope
    .split(/\s+/)
    .filter(Boolean)
    .map((item) => item.slice(item.lastIndexOf('/') + 1))
    .filter((item) => !oidc.has(item.toLowerCase()));
}

const field = (path: string, key: string): FieldError => ({ path, key, message: englishMessage({ path, key }) });

/** The URLs a sign-in uses, expanded and host-checked; or the template fields that are wrong. */
export type ResolvedUrls = { ok: true; authorizeUrl: string; tokenUrl: string; graphUrl: string } | { ok: false; errors: FieldError[] };

export function resolveUrls(config: ConnectConfig, hostOptions: HostOptions): ResolvedUrls {
  const errors: FieldError[] = [];
  const urls: Record<string, string> = {};
  const names = ['authorizeEndpoint', 'tokenEndpoint', 'graphEndpoint'] as const;
  for (const name of names) {
    const result = resolveEndpoint(name, config.endpoints, { TenantId: config.tenantId.trim() }, config.cloud, hostOptions);
    if (result.ok) urls[name] = result.url;
    else {
      errors.push({
        path: `endpoints.${name}`,
        key: result.key,
        message: formatMessage(ENDPOINT_MESSAGES_EN[result.key] ?? result.key, result.params),
      });
    }
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, authorizeUrl: urls.authorizeEndpoint, tokenUrl: urls.tokenEndpoint, graphUrl: urls.graphEndpoint };
}

/** Why a sign-in cannot start with this configuration, as field errors (empty when it can). */
export function configProblems(config: ConnectConfig | null): FieldError[] {
  if (!config) return [field('tenantId', 'tenantId.required'), field('clientId', 'clientId.required'), field('clientSecret', 'clientSecret.required')];
  const errors: FieldError[] = [];
  if (config.mode !== 'delegated') {
    errors.push({
      path: 'mode',
      key: 'connect.delegatedOnly',
      message: 'Connect signs in a mailbox for the Azure Service (delegated) method. Exchange Online (application) needs no sign-in: save and test the settings instead.',
    });
  }
  if (!config.tenantId.trim()) errors.push(field('tenantId', 'tenantId.required'));
  if (!config.clientId.trim()) errors.push(field('clientId', 'clientId.required'));
  if (!config.clientAuth) errors.push(field('clientSecret', 'clientSecret.required'));
  return errors;
}

/** The authorize request (response_mode query, PKCE S256, account picker). */
export function authorizeUrl(base: string, params: { clientId: string; redirectUri: string; scope: string; state: string; challenge: string }): string {
  const url = new URL(base);
  const set = (name: string, value: string) => url.searchParams.set(name, value);
  set('client_id', params.clientId);
  set('response_type', 'code');
  set('redirect_uri', params.redirectUri);
  set('response_mode', 'query');
  set('scope', params.scope);
  set('state', params.state);
  set('code_challenge', params.challenge);
  set('code_challenge_method', 'S256');
  set('prompt', 'select_account');
  return url.toString();
}

/** A failed step of the sign-in, already mapped for the admin. */
export class ConnectFailure extends Error {
  override name = 'ConnectFailure';
  constructor(readonly error: UpstreamError) {
    super(error.message);
  }
}

/** The admin-facing part of a diagnosis (no category or retry flags, nothing from the upstream body). */
export function upstreamError(diagnosis: Diagnosis | UpstreamError): UpstreamError {
  const result: UpstreamError = { code: diagnosis.code, message: diagnosis.message, hint: diagnosis.hint };
  if (diagnosis.requestId) result.requestId = diagnosis.requestId;
  if (diagnosis.correlationId) result.correlationId = diagnosis.correlationId;
  if (diagnosis.timestamp) result.timestamp = diagnosis.timestamp;
  return result;
}

export const FAILURES = {
  expired: (): UpstreamError => ({
    code: 'connect_expired',
    message: 'The sign-in took longer than 10 minutes, so it was not accepted.',
    hint: 'Choose "Connect" again and finish the sign-in within 10 minutes.',
  }),
  configChanged: (): UpstreamError => ({
    code: 'connect_config_changed',
    message: 'The settings (Domain, Tenant ID, Application ID or endpoints) changed while the sign-in was in progress.',
    hint: 'Save the settings you want, then choose "Connect" again.',
  }),
  cancelled: (): UpstreamError => ({
    code: 'connect_cancelled',
    message: 'The sign-in was cancelled because the connection was removed meanwhile.',
    hint: 'Choose "Connect" again.',
  }),
  noRefreshToken: (): UpstreamError => ({
    code: 'no_refresh_token',
    message: 'The identity platform did not return a refresh token, so the server could not keep sending mail.',
    hint: 'In the app registration, API permissions, add the delegated permission offline_access, grant consent, and connect again.',
  }),
  noAccount: (): UpstreamError => ({
    code: 'no_account',
    message: 'Microsoft Graph did not name the signed-in account.',
    hint: 'Connect again with a mailbox account of the tenant (an account with an Exchange Online mailbox).',
  }),
  badAnswer: (service: string): UpstreamError => ({
    code: 'bad_answer',
    message: `${service} gave an answer the server could not read.`,
    hint: 'Reset the endpoint templates to the defaults of the chosen Domain and connect again.',
  }),
  saveFailed: (): UpstreamError => ({
    code: 'save_failed',
    message: 'The sign-in succeeded, but the server could not save the connection.',
    hint: 'Check the server log, then choose "Connect" again.',
  }),
};

const REDIRECT_REFUSED = (service: string): UpstreamError => ({
  code: 'REDIRECT',
  message: `${service} answered with a redirect, which is never followed: it could send the sign-in code or the credential to another address.`,
  hint: 'Reset the endpoint templates to the defaults of the chosen Domain; a proxy that redirects requests must let them through unchanged.',
});

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isRedirect = (response: Response) => response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400);

export interface RedeemInput {
  fetch: FetchLike;
  timeoutMs: number;
  tokenUrl: string;
  graphUrl: string;
  cloud: CloudId;
  hostOptions: HostOptions;
  clientId: string;
  tenantId: string;
  redirectUri: string;
  scope: string;
  code: string;
  verifier: string;
  clientAuth: (tokenUrl: string) => Record<string, string> | Promise<Record<string, string>>;
  diagnosisContext: DiagnosisContext;
  now: () => number;
}

/** Redeems the code at the token endpoint the sign-in was pinned to, then asks Graph who signed in. */
export async function redeem(input: RedeemInput): Promise<DelegatedGrant> {
  // Checked again at use: the pinned URL was checked at the start, but the start-up options may differ now.
  if (!checkUrl(input.tokenUrl, input.cloud, 'login', input.hostOptions).ok || !checkUrl(input.graphUrl, input.cloud, 'graph', input.hostOptions).ok) {
    throw new ConnectFailure(FAILURES.configChanged());
  }
  const auth = await input.clientAuth(input.tokenUrl);
  const form = new URLSearchParams({
    client_id: input.clientId,
    grant_type: 'authorization_code',
    code: input.code,
    redirect_uri: input.redirectUri,
    code_verifier: input.verifier,
    scope: input.scope,
  });
  for (const [name, value] of Object.entries(auth)) form.set(name, value);

  let response: Response;
  try {
    response = await input.fetch(input.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(input.timeoutMs),
    });
  } catch (error) {
    throw new ConnectFailure(upstreamError(explainNetworkError(error)));
  }
  if (isRedirect(response)) throw new ConnectFailure(REDIRECT_REFUSED('The token endpoint'));
  const body = await readJson(response);
  if (!response.ok) throw new ConnectFailure(upstreamError(explainIdentityError(body, response.status, input.diagnosisContext)));
  const tokens = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  if (typeof tokens.access_token !== 'string' || !tokens.access_token) throw new ConnectFailure(FAILURES.badAnswer('The token endpoint'));
  if (typeof tokens.refresh_token !== 'string' || !tokens.refresh_token) throw new ConnectFailure(FAILURES.noRefreshToken());
  const expiresIn = Number(tokens.expires_in);
  const expiresAt = input.now() + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600) * 1000;

  const me = await whoAmI(input, tokens.access_token);
  return {
    account: me.account,
    ...(me.userId ? { userId: me.userId } : {}),
    ...(me.displayName ? { displayName: me.displayName } : {}),
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresAt,
    scopes: grantedPermissions(tokens.scope),
    requestedScope: input.scope,
    cloud: input.cloud,
    tenantId: input.tenantId,
    clientId: input.clientId,
  };
}

async function whoAmI(input: RedeemInput, accessToken: string): Promise<{ account: string; userId?: string; displayName?: string }> {
  const url = `${input.graphUrl.replace(/\/+$/, '')}/me?$select=id,displayName,mail,userPrincipalName`;
  let response: Response;
  try {
    response = await input.fetch(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(input.timeoutMs),
    });
  } catch (error) {
    throw new ConnectFailure(upstreamError(explainNetworkError(error)));
  }
  if (isRedirect(response)) throw new ConnectFailure(REDIRECT_REFUSED('Microsoft Graph'));
  const body = await readJson(response);
  if (!response.ok) throw new ConnectFailure(upstreamError(explainGraphError(body, response.status, response.headers, input.diagnosisContext)));
  const me = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');
  const account = text(me.mail) || text(me.userPrincipalName);
  if (!account) throw new ConnectFailure(FAILURES.noAccount());
  return { account, userId: text(me.id) || undefined, displayName: text(me.displayName) || undefined };
}

/** Whether the configuration now in effect is still the one a sign-in was pinned to. */
export function samePinnedConfig(
  row: { cloud: CloudId; tenantId: string; clientId: string; tokenUrl: string },
  config: ConnectConfig | null,
  tokenUrl: string | undefined,
): boolean {
  return (
    !!config &&
    config.mode === 'delegated' &&
    config.cloud === row.cloud &&
    config.tenantId.trim().toLowerCase() === row.tenantId.toLowerCase() &&
    config.clientId.trim().toLowerCase() === row.clientId.toLowerCase() &&
    tokenUrl === row.tokenUrl
  );
}

