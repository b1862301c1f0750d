/**
 * Entra ID access tokens for the admin API (DESIGN.md, "Admin authorisation"; SECURITY.md 16).
 *
 * A host page on another origin cannot send the host's cookies to this server, so the elements present
 * an Entra access token issued for the server's own API. It is admitted when:
 *
 * - it is an RS256 JWS whose key is in the tenant's published JWKS (fetched once, cached, fetched again
 *   when a token names an unknown `kid`: Entra rolls its keys);
 * - `iss` is the tenant's issuer and `tid` that tenant (never `common`: the admin API is one tenant's);
 * - `aud` names this API (its app id URI or its client id), so a Graph token or an ID token is refused;
 * - `exp`/`nbf` hold within a small clock skew;
 * - it is delegated (`scp`), unless app-only tokens are allowed;
 * - its `roles` hold the admin app role (`Mail.Admin`), or its `groups` one of the configured groups.
 *
 * Failures answer 401 with `WWW-Authenticate: Bearer error="invalid_token"`, a token that is valid but
 * not an admin's 403 (`insufficient_scope`), and an unreachable key source 503 (the token may be fine).
 * The token itself is never logged nor echoed.
 */
import { customFetch, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Problem } from '../../services/contract.js';

/** The public cloud's sign-in host; national clouds and the sandbox name their own. */
export const DEFAULT_ENTRA_AUTHORITY = 'https://login.microsoftonline.com';
export const DEFAULT_ADMIN_ROLE = 'Mail.Admin';

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface EntraAuthLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface EntraAuthOptions {
  /**
   * The tenant: its GUID or a verified domain (`contoso.onmicrosoft.com`). Needed unless both `issuer`
   * and `jwksUri` are given. `common`, `organizations` and `consumers` are refused.
   */
  tenantId?: string;
  /** The sign-in host [https://login.microsoftonline.com]; the sandbox's origin in the demo. */
  authority?: string;
  /**
   * The accepted issuer(s). Default: the `issuer` of `${authority}/${tenantId}/v2.0/.well-known/openid-configuration`.
   * Give `https://sts.windows.net/<tenant>/` too to accept v1 tokens (an API whose manifest keeps
   * `requestedAccessTokenVersion` unset).
   */
  issuer?: string | readonly string[];
  /** This API as tokens name it in `aud`: its app id URI (`api://…`) and/or its client id. */
  audience: string | readonly string[];
  /** The JWKS; default: the discovery document's `jwks_uri`. */
  jwksUri?: string;
  /** The app role that makes an admin [Mail.Admin]; null to admit by group alone. */
  requiredRole?: string | null;
  /** Object ids of groups whose members are admins too (the token's `groups` claim). */
  allowedGroups?: readonly string[];
  /** Tolerance on `exp` and `nbf`, in seconds [60]. */
  clockSkewS?: number;
  /** Admit app-only tokens (client credentials, no `scp`) that carry the role [false]. */
  allowAppTokens?: boolean;
  /** Least time between two JWKS fetches caused by unknown `kid`s, in ms [30000]. */
  jwksCooldownMs?: number;
  /** Time allowed for a discovery or JWKS request, in ms [5000]. */
  requestTimeoutMs?: number;
  /** Used for discovery and the JWKS (tests, proxies) [global fetch]. */
  fetch?: FetchLike;
  /** Told why a token was refused (never the token). */
  logger?: EntraAuthLogger;
}

/** The admin a token names. */
export interface EntraAdmin {
  /** The user's (or, for app tokens, the service principal's) object id: stable, for audit and limits. */
  id: string;
  /** For people: the display name, else the sign-in name, else the object id. */
  name: string;
  tenantId: string;
  /** How the admin was admitted. */
  via: 'role' | 'group';
  /** True for an app-only token. */
  app?: boolean;
}

export type EntraAuthResult =
  | { ok: true; admin: EntraAdmin }
  | {
      ok: false;
      /** 401: no valid token; 403: a valid token without the role or group; 503: keys unreachable. */
      status: 401 | 403 | 503;
      /** RFC 9457 body; `code` names the reason (`token_expired`, `wrong_audience`, …). */
      problem: Problem;
      /** The `WWW-Authenticate` value for 401 and 403 (RFC 6750). */
      wwwAuthenticate?: string;
    };

export interface EntraAuthenticator {
  /** Checks an `Authorization` header value (`Bearer <jwt>`). Never throws for a bad token. */
  authenticate(authorizationHeader: string | null | undefined): Promise<EntraAuthResult>;
}

/** Thrown by `createEntraAuthenticator` for settings that could only admit the wrong people, or no one. */
export class EntraConfigError extends Error {
  override name = 'EntraConfigError';
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** Room for a token with a long `groups` claim; more than this is not a token from Entra. */
const MAX_TOKEN_LENGTH = 32 * 1024;
const GRAPH_AUDIENCES = new Set(['00000003-0000-0000-c000-000000000000', 'https://graph.microsoft.com', 'https://graph.microsoft.com/']);
/** The key-source failures of jose: the token was not judged. */
const UNAVAILABLE_CODES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JOSE_GENERIC', 'ERR_JWKS_INVALID']);

const list = (value: string | readonly string[] | undefined | null): string[] =>
  (value === undefined || value === null ? [] : typeof value === 'string' ? [value] : [...value]).map((item) => item.trim()).filter(Boolean);

const isLoopbackHost = (hostname: string) => hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);

/** Keys and discovery over HTTPS; plain HTTP only on loopback (the sandbox, tests). */
function checkedUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new EntraConfigError(`The ${what} "${value}" is not a URL.`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new EntraConfigError(`The ${what} must use https (plain http only on loopback): "${value}".`);
  }
  if (url.username || url.password) throw new EntraConfigError(`The ${what} must not carry credentials.`);
  return url;
}

class KeySourceUnavailable extends Error {
  override name = 'KeySourceUnavailable';
}

interface KeySource {
  issuers: string[];
  /** The tenant's GUID, when the issuer names it (then `tid` must match). */
  tenantGuid?: string;
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

/**
 * Makes the admin API's Entra ID token check. Settings are checked at once (throws `EntraConfigError`);
 * the discovery document and the keys are fetched on first use.
 */
export function createEntraAuthenticator(options: EntraAuthOptions): EntraAuthenticator {
  const audiences = list(options.audience);
  if (!audiences.length) throw new EntraConfigError('The API\'s audience (its app id URI or client id) is required.');
  const configuredIssuers = list(options.issuer);
  const tenant = options.tenantId?.trim() ?? '';
  if (tenant && MULTI_TENANT.has(tenant.toLowerCase())) {
    throw new EntraConfigError(`The tenant "${tenant}" would admit tokens of every tenant: name your tenant's id or domain.`);
  }
  if (tenant && !GUID.test(tenant) && !DOMAIN.test(tenant)) throw new EntraConfigError(`The tenant "${tenant}" is neither a GUID nor a domain name.`);
  if (!tenant && !(configuredIssuers.length && options.jwksUri)) {
    throw new EntraConfigError('Name the tenant (its id or domain), or give both the issuer and the JWKS URI.');
  }
  for (const issuer of configuredIssuers) {
    if (/\{tenantid\}/i.test(issuer)) throw new EntraConfigError('A templated issuer ({tenantid}) would admit every tenant: name one.');
  }
  const authority = checkedUrl((options.authority?.trim() || DEFAULT_ENTRA_AUTHORITY).replace(/\/+$/, ''), 'authority');
  const jwksUri = options.jwksUri ? checkedUrl(options.jwksUri, 'JWKS URI') : undefined;
  const requiredRole = options.requiredRole === undefined ? DEFAULT_ADMIN_ROLE : options.requiredRole?.trim() || null;
  const allowedGroups = new Set(list(options.allowedGroups).map((group) => group.toLowerCase()));
  if (!requiredRole && !allowedGroups.size) throw new EntraConfigError('Name the admin app role or at least one admin group: otherwise every user of the tenant would be an admin.');
  const clockSkewS = options.clockSkewS ?? 60;
  if (!Number.isFinite(clockSkewS) || clockSkewS < 0 || clockSkewS > 600) throw new EntraConfigError('The clock skew must be between 0 and 600 seconds.');
  const timeoutMs = options.requestTimeoutMs ?? 5000;
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const logger = options.logger;

  const discoveryUrl = `${authority.href.replace(/\/+$/, '')}/${encodeURIComponent(tenant)}/v2.0/.well-known/openid-configuration`;

  async function discover(): Promise<{ issuer: string; jwksUri: URL }> {
    let response: Response;
    try {
      response = await doFetch(discoveryUrl, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    } catch (error) {
      throw new KeySourceUnavailable(`The OpenID configuration could not be fetched (${error instanceof Error ? error.name : 'error'}).`);
    }
    if (response.status !== 200) {
      // A 400 here is the platform saying the tenant does not exist: a setting, not an outage.
      throw new KeySourceUnavailable(`The OpenID configuration answered ${response.status}${response.status === 400 ? ' (is the tenant right?)' : ''}.`);
    }
    let document: { issuer?: unknown; jwks_uri?: unknown };
    try {
      document = (await response.json()) as typeof document;
    } catch {
      throw new KeySourceUnavailable('The OpenID configuration is not JSON.');
    }
    if (typeof document.issuer !== 'string' || typeof document.jwks_uri !== 'string' || /\{tenantid\}/i.test(document.issuer)) {
      throw new KeySourceUnavailable('The OpenID configuration names no usable issuer and JWKS.');
    }
    if (GUID.test(tenant) && !document.issuer.toLowerCase().includes(`/${tenant.toLowerCase()}/`)) {
      throw new KeySourceUnavailable('The OpenID configuration names another tenant\'s issuer.');
    }
    let keys: URL;
    try {
      keys = jwksUri ?? checkedUrl(document.jwks_uri, 'JWKS URI');
    } catch (error) {
      throw new KeySourceUnavailable(error instanceof Error ? error.message : 'The JWKS URI is not usable.');
    }
    return { issuer: document.issuer, jwksUri: keys };
  }

  let source: Promise<KeySource> | undefined;
  const keySource = (): Promise<KeySource> => {
    source ??= (async () => {
      const found = configuredIssuers.length && jwksUri ? { issuer: configuredIssuers[0], jwksUri } : await discover();
      const issuers = configuredIssuers.length ? configuredIssuers : [found.issuer];
      const guids = new Set(issuers.map((issuer) => /\/([0-9a-f-]{36})(?:\/|$)/i.exec(issuer)?.[1]?.toLowerCase()).filter((id): id is string => !!id && GUID.test(id)));
      if (GUID.test(tenant)) guids.add(tenant.toLowerCase());
      const jwks = createRemoteJWKSet(found.jwksUri, {
        cooldownDuration: options.jwksCooldownMs ?? 30_000,
        timeoutDuration: timeoutMs,
        [customFetch]: (url: string, init: RequestInit) => doFetch(url, init),
      });
      return { issuers, tenantGuid: guids.size === 1 ? [...guids][0] : undefined, jwks };
    })();
    // A failed discovery is tried again by the next request, not remembered.
    source.catch(() => {
      source = undefined;
    });
    return source;
  };

  const refuse = (status: 401 | 403 | 503, code: string, detail: string, hint?: string, fields: Record<string, unknown> = {}): EntraAuthResult => {
    logger?.warn('entra: bearer token refused', { status, code, ...fields });
    const title = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Service unavailable';
    const problem: Problem = { type: 'about:blank', title, status, detail, code, ...(hint ? { hint } : {}) };
    const description = detail.replace(/["\\]/g, '');
    const wwwAuthenticate =
      status === 401
        ? code === 'missing_token'
          ? 'Bearer'
          : `Bearer error="invalid_token", error_description="${description}"`
        : status === 403
          ? `Bearer error="insufficient_scope", error_description="${description}"`
          : undefined;
    return { ok: false, status, problem, ...(wwwAuthenticate ? { wwwAuthenticate } : {}) };
  };

  /** Unverified claims, only to word a refusal better (never to admit). */
  const peek = (token: string): JWTPayload => {
    try {
      return decodeJwt(token);
    } catch {
      return {};
    }
  };

  function explain(error: unknown, token: string, issuers: string[]): EntraAuthResult {
    const code = (error as { code?: string } | null)?.code;
    if (error instanceof joseErrors.JWTExpired) {
      return refuse(401, 'token_expired', 'The access token has expired.', 'Get a new token (MSAL does this silently) and try again.');
    }
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      const claims = peek(token);
      if (error.claim === 'aud') {
        const aud = list(claims.aud as string | string[] | undefined);
        const graph = aud.some((value) => GRAPH_AUDIENCES.has(value.toLowerCase()));
        return refuse(
          401,
          'wrong_audience',
          'The access token was issued for another API.',
          graph ? 'This is a Microsoft Graph token: ask for this API\'s scope (api://…/access_as_admin) instead.' : 'Ask for a token with this API\'s scope (its app id URI).',
        );
      }
      if (error.claim === 'iss') {
        const iss = typeof claims.iss === 'string' ? claims.iss : '';
        const v1 = /^https:\/\/sts\.[^/]+\/[^/]+\/$/.test(iss) && !issuers.includes(iss);
        return refuse(
          401,
          'wrong_issuer',
          'The access token was issued by another tenant or issuer.',
          v1 ? 'This is a v1 token: set "requestedAccessTokenVersion": 2 in the API app\'s manifest (or accept the v1 issuer).' : 'Sign in to the tenant this server is set up for.',
        );
      }
      if (error.claim === 'nbf') return refuse(401, 'token_not_yet_valid', 'The access token is not valid yet (check the clocks).');
      return refuse(401, 'invalid_token', `The access token lacks a required claim (${error.claim}).`);
    }
    if (error instanceof joseErrors.JOSEAlgNotAllowed) return refuse(401, 'invalid_token', 'The access token is not signed with RS256.');
    if (error instanceof joseErrors.JWKSNoMatchingKey) {
      return refuse(401, 'unknown_key', 'The access token is signed with a key the tenant does not publish.');
    }
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) return refuse(401, 'bad_signature', 'The access token\'s signature does not verify.');
    if (error instanceof joseErrors.JOSEError && !UNAVAILABLE_CODES.has(code ?? '')) {
      return refuse(401, 'invalid_token', 'The access token is not a valid signed token.');
    }
    return unavailable(error);
  }

  const unavailable = (error: unknown): EntraAuthResult =>
    refuse(
      503,
      'keys_unavailable',
      'The identity platform\'s signing keys could not be fetched, so the token could not be checked.',
      'Try again shortly; if it persists, check the server\'s access to the sign-in host.',
      { error: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown' },
    );

  return {
    async authenticate(header) {
      const value = (header ?? '').trim();
      if (!value) return refuse(401, 'missing_token', 'Sign in: send an Entra ID access token as Authorization: Bearer <token>.');
      const match = /^Bearer[ ]+(\S+)$/i.exec(value);
      const token = match?.[1] ?? '';
      if (!token || token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) {
        return refuse(401, 'invalid_token', 'The Authorization header does not carry a bearer JWT.');
      }
      let alg: string | undefined;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        return refuse(401, 'invalid_token', 'The access token is not a valid signed token.');
      }
      // Checked before any key is fetched: `none` and HMAC tokens cost nothing to refuse.
      if (alg !== 'RS256') return refuse(401, 'invalid_token', 'The access token is not signed with RS256.', undefined, { alg: typeof alg === 'string' ? alg.slice(0, 16) : 'none' });

      let keys: KeySource;
      try {
        keys = await keySource();
      } catch (error) {
        return unavailable(error);
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys.jwks, {
          algorithms: ['RS256'],
          issuer: keys.issuers,
          audience: audiences,
          clockTolerance: clockSkewS,
          requiredClaims: ['exp', 'tid', 'oid'],
        }));
      } catch (error) {
        return explain(error, token, keys.issuers);
      }

      const tid = typeof payload.tid === 'string' ? payload.tid : '';
      const oid = typeof payload.oid === 'string' ? payload.oid : '';
      if (!GUID.test(oid) || !GUID.test(tid)) return refuse(401, 'invalid_token', 'The access token names no user (oid) or tenant (tid).');
      if (keys.tenantGuid && tid.toLowerCase() !== keys.tenantGuid) {
        return refuse(401, 'wrong_issuer', 'The access token was issued by another tenant or issuer.', 'Sign in to the tenant this server is set up for.');
      }
      const delegated = typeof payload.scp === 'string' && payload.scp.trim() !== '';
      if (!delegated && !options.allowAppTokens) {
        return refuse(403, 'app_token', 'App-only tokens are not admitted to the admin API: sign in as a person.', undefined, { oid });
      }

      const roles = Array.isArray(payload.roles) ? payload.roles.filter((role): role is string => typeof role === 'string') : [];
      const groups = Array.isArray(payload.groups) ? payload.groups.filter((group): group is string => typeof group === 'string') : [];
      let via: EntraAdmin['via'] | undefined;
      if (requiredRole && roles.includes(requiredRole)) via = 'role';
      else if (allowedGroups.size && groups.some((group) => allowedGroups.has(group.toLowerCase()))) via = 'group';
      if (!via) {
        const names = payload._claim_names as Record<string, unknown> | undefined;
        const overage = allowedGroups.size > 0 && !!names && typeof names === 'object' && 'groups' in names;
        const wanted = [requiredRole ? `the app role ${requiredRole}` : '', allowedGroups.size ? 'membership of an admin group' : ''].filter(Boolean).join(' or ');
        return refuse(
          403,
          overage ? 'group_overage' : 'not_admin',
          `This account is signed in but not a mail administrator: the token lacks ${wanted}.`,
          overage
            ? 'The account is in too many groups for the token to list them: assign the app role instead, or emit only assigned groups.'
            : `Assign ${requiredRole ? `the "${requiredRole}" app role of the API` : 'an admin group'} to this account (Enterprise applications → Users and groups), then sign in again.`,
          { oid },
        );
      }
      const name = [payload.name, payload.preferred_username].find((item): item is string => typeof item === 'string' && item.trim() !== '') ?? oid;
      return { ok: true, admin: { id: oid, name, tenantId: tid, via, ...(delegated ? {} : { app: true }) } };
    },
  };
}
