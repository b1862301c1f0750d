/**
 * `/{tenant}/oauth2/v2.0/token`: authorization_code (PKCE, single-use codes), refresh_token (a new
 * refresh token every time; optionally, reuse of a redeemed one revokes the grant) and
 * client_credentials (`/.default`, a named tenant). CORS is open, as the service's is, for SPAs.
 */
import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import { isMultiTenantAlias } from '../directory.js';
import { isOwnOrigin, type SandboxContext, type SandboxDeps, type SandboxEnv } from '../context.js';
import type { SeedApp } from '../seed.js';
import type { Resource } from '../state.js';
import { authenticateClient } from './client-auth.js';
import { AadError, aad } from './errors.js';
import { clientInfo, type TokenResponse } from './issue.js';
import { CORS_HEADERS, aadJson } from './respond.js';
import { OIDC_SCOPES, grantedDelegated, parseScopes, type ParsedScopes } from './scopes.js';

interface TokenRequest {
  c: SandboxContext;
  form: URLSearchParams;
  tenantId: string | undefined;
  tenantName: string;
  app: SeedApp;
  confidential: boolean;
}

export function tokenRoutes(app: Hono<SandboxEnv>, deps: SandboxDeps): void {
  const { state, issuer } = deps;
  const path = '/:tenant/oauth2/v2.0/token';

  app.options(path, (c) =>
    c.body(null, 204, {
      ...CORS_HEADERS,
      'Access-Control-Allow-Methods': 'POST, OPTIONS',
      'Access-Control-Allow-Headers': c.req.header('access-control-request-headers') ?? 'content-type',
      'Access-Control-Max-Age': '86400',
    }),
  );

  app.get(path, (c) => aadJson(c, aad.postOnly()));

  app.post(path, async (c) => {
    try {
      return c.json(await token(c), 200, { ...CORS_HEADERS, 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    } catch (error) {
      if (error instanceof AadError) return aadJson(c, error);
      throw error;
    }
  });

  const scopeContext = (c: SandboxContext, tenantName: string) => ({
    directory: state.directory,
    tenantName,
    isGraph: (resource: string) => isOwnOrigin(deps, c, resource),
    requestOrigin: c.get('origin'),
  });

  async function token(c: SandboxContext): Promise<TokenResponse> {
    if (!/^application\/x-www-form-urlencoded\b/i.test(c.req.header('content-type') ?? '')) {
      throw aad.malformed('The request body must be application/x-www-form-urlencoded.');
    }
    const form = new URLSearchParams(await c.req.text());
    const segment = c.req.param('tenant')!;
    const alias = isMultiTenantAlias(segment);
    const tenant = alias ? undefined : state.directory.tenant(segment);
    if (!alias && !tenant) throw aad.unknownTenant(segment);
    const grantType = form.get('grant_type');
    if (!grantType) throw aad.missingParameter('grant_type');
    if (!['authorization_code', 'refresh_token', 'client_credentials'].includes(grantType)) throw aad.unsupportedGrant(grantType);
    const tenantName = tenant?.domain ?? segment;
    const client = await authenticateClient(
      {
        form,
        authorization: c.req.header('authorization'),
        origin: c.req.header('origin'),
        tenantId: tenant?.id,
        tenantName,
        isOwnAudience: (aud, tenantId) => isOwnAudience(c, aud, tenantId),
      },
      state.directory,
    );
    const request: TokenRequest = { c, form, tenantId: tenant?.id, tenantName, ...client };
    if (grantType === 'authorization_code') return authorizationCode(request);
    if (grantType === 'refresh_token') return refreshToken(request);
    return clientCredentials(request);
  }

  /** A client assertion's audience: this token endpoint (by tenant GUID or domain) or the issuer. */
  function isOwnAudience(c: SandboxContext, aud: string, tenantId: string): boolean {
    let url: URL;
    try {
      url = new URL(aud);
    } catch {
      return false;
    }
    const match = /^\/([^/]+)\/(?:oauth2\/v2\.0\/token|oauth2\/token|v2\.0)\/?$/.exec(url.pathname);
    return !!match && isOwnOrigin(deps, c, url.origin) && state.directory.tenant(decodeURIComponent(match[1]))?.id === tenantId;
  }

  /** The delegated permissions to put in `scp`; 65001 when the app was not granted one of them. */
  function consentedScopes(app: SeedApp, resource: Resource, permissions: string[], isDefault: boolean): string[] {
    const api = resource.kind === 'api' ? state.directory.app(resource.clientId) : undefined;
    const granted = grantedDelegated(app.delegatedPermissions, resource, api ? [api.identifierUri ?? '', api.clientId] : []);
    const lower = granted.map((permission) => permission.toLowerCase());
    if (isDefault) {
      if (granted.length === 0) throw aad.noConsent(app.clientId, app.displayName);
      return granted;
    }
    for (const permission of permissions) {
      if (!lower.includes(permission.toLowerCase())) throw aad.noConsent(app.clientId, app.displayName);
    }
    return permissions.map((permission) => granted[lower.indexOf(permission.toLowerCase())]);
  }

  /** The `scope` of the answer: short names for Graph, full ones for an API, then the OIDC scopes. */
  function responseScope(resource: Resource, scp: string[], oidc: string[]): string {
    const api = resource.kind === 'api' ? state.directory.app(resource.clientId) : undefined;
    const prefix = api ? `${api.identifierUri ?? api.clientId}/` : '';
    return [...scp.map((name) => prefix + name), ...oidc].join(' ');
  }

  async function userTokens(request: TokenRequest, userId: string, grantId: string, parsed: Pick<ParsedScopes, 'scopes' | 'oidc' | 'resource' | 'permissions' | 'isDefault'>, extras: { nonce?: string; clientInfo: boolean; refresh: boolean }): Promise<TokenResponse> {
    const { c, app } = request;
    const user = state.directory.user(userId);
    if (!user) throw aad.badGrant();
    const scp = consentedScopes(app, parsed.resource, parsed.permissions, parsed.isDefault);
    const origin = c.get('origin');
    const lifetime = state.settings.tokenLifetimeS;
    return {
      token_type: 'Bearer',
      scope: responseScope(parsed.resource, scp, parsed.oidc),
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: await issuer.delegated(origin, app, user, parsed.resource, scp),
      ...(extras.refresh ? { refresh_token: issuer.refreshToken(grantId, app.clientId, parsed.scopes, parsed.resource, parsed.permissions) } : {}),
      ...(parsed.oidc.includes('openid') ? { id_token: await issuer.idToken(origin, app, user, extras.nonce) } : {}),
      ...(extras.clientInfo ? { client_info: clientInfo(user) } : {}),
    };
  }

  async function authorizationCode(request: TokenRequest): Promise<TokenResponse> {
    const { form, app } = request;
    const code = form.get('code');
    if (!code) throw aad.missingParameter('code');
    const grant = state.codes.get(code);
    if (!grant) throw aad.badGrant();
    if (grant.used || grant.expiresAt <= Date.now()) throw aad.codeExpired();
    const authorize = grant.request;
    if (authorize.clientId.toLowerCase() !== app.clientId.toLowerCase()) throw aad.clientMismatch();
    if (request.tenantId && request.tenantId !== authorize.tenantId) throw aad.badGrant();
    // Single use from the first redemption on, whether or not the rest of the request is right.
    grant.used = true;
    const redirectUri = form.get('redirect_uri');
    if (!redirectUri) throw aad.missingParameter('redirect_uri');
    if (redirectUri !== authorize.redirectUri) throw aad.replyMismatch(redirectUri, authorize.redirectUri);
    const verifier = form.get('code_verifier');
    if (authorize.codeChallenge) {
      const derived = authorize.codeChallengeMethod === 'S256' && verifier ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (!verifier || derived !== authorize.codeChallenge) throw aad.pkceMismatch();
    } else if (!request.confidential) {
      throw aad.pkceRequired();
    }
    const parsed = { scopes: authorize.scopes, oidc: oidcOf(authorize.scopes), resource: authorize.resource, permissions: authorize.permissions, isDefault: authorize.permissions.includes('.default') };
    const grantId = issuer.grantFor(grant.userId, app.clientId, authorize.tenantId);
    return userTokens(request, grant.userId, grantId, parsed, {
      nonce: authorize.nonce,
      clientInfo: authorize.clientInfo || form.get('client_info') === '1',
      refresh: parsed.oidc.includes('offline_access'),
    });
  }

  async function refreshToken(request: TokenRequest): Promise<TokenResponse> {
    const { form, app, c } = request;
    const token = form.get('refresh_token');
    if (!token) throw aad.missingParameter('refresh_token');
    const stored = state.refreshTokens.get(token);
    if (!stored) throw aad.badGrant();
    if (stored.clientId.toLowerCase() !== app.clientId.toLowerCase()) throw aad.clientMismatch();
    const grant = state.grants.get(stored.grantId);
    if (!grant || grant.revoked || stored.expiresAt <= Date.now()) throw aad.refreshExpired(stored.issuedAt);
    if (request.tenantId && request.tenantId !== grant.tenantId) throw aad.badGrant();
    if (stored.redeemed && state.settings.refreshReuseRevokes) {
      grant.revoked = true;
      throw aad.refreshExpired(stored.issuedAt);
    }
    stored.redeemed = true;
    const scopeParam = form.get('scope');
    const parsed = scopeParam
      ? parseScopes(scopeParam, scopeContext(c, request.tenantName))
      : { scopes: stored.scopes, oidc: oidcOf(stored.scopes), resource: stored.resource, permissions: stored.permissions, isDefault: stored.permissions.includes('.default') };
    return userTokens(request, grant.userId, grant.id, parsed, { clientInfo: form.get('client_info') === '1', refresh: true });
  }

  async function clientCredentials(request: TokenRequest): Promise<TokenResponse> {
    const { form, app, c } = request;
    if (!request.tenantId) throw aad.noTenantInfo();
    if (!request.confidential) throw aad.noCredential();
    const scope = form.get('scope');
    if (!scope) throw aad.missingParameter('scope');
    const parsed = parseScopes(scope, scopeContext(c, request.tenantName));
    if (!parsed.isDefault || parsed.oidc.length) throw aad.defaultScopeRequired(scope);
    const roles = applicationRoles(app, parsed.resource);
    if (roles.length === 0) throw aad.noConsent(app.clientId, app.displayName);
    const lifetime = state.settings.tokenLifetimeS;
    return {
      token_type: 'Bearer',
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: await issuer.application(c.get('origin'), app, parsed.resource, roles),
    };
  }

  /** Graph application permissions, or the API's app roles assigned to this app. */
  function applicationRoles(app: SeedApp, resource: Resource): string[] {
    if (resource.kind === 'graph') return [...app.applicationPermissions];
    const api = state.directory.app(resource.clientId);
    return (api?.appRoles ?? []).filter((role) => role.assignedTo.some((id) => id.toLowerCase() === app.clientId.toLowerCase())).map((role) => role.value);
  }
}

const oidcOf = (scopes: string[]): string[] => scopes.map((scope) => scope.toLowerCase()).filter((scope) => OIDC_SCOPES.includes(scope));
