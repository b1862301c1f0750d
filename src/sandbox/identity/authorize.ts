/**
 * `/{tenant}/oauth2/v2.0/authorize`: checks the request the way the service does (errors it cannot
 * send back safely as a page, the rest as redirect parameters), then signs in (the control API's
 * session at once, or the sign-in and consent pages) and redirects with a single-use code.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import { isMultiTenantAlias, type Directory } from '../directory.js';
import { isOwnOrigin, type SandboxContext, type SandboxDeps, type SandboxEnv } from '../context.js';
import type { AuthorizeRequest } from '../state.js';
import { AadError, aad } from './errors.js';
import { clientInfo } from './issue.js';
import { PAGE_HEADERS, consentPage, signInPage } from './pages.js';
import { matchesRegisteredUri } from './redirect-uri.js';
import { aadPage, errorToRedirectUri, toRedirectUri, type ResponseMode } from './respond.js';
import { parseScopes } from './scopes.js';

const RESPONSE_MODES: readonly string[] = ['query', 'fragment', 'form_post'];

/** How long the sign-in and consent pages stay usable (apart from the code lifetime, a test knob). */
const SIGN_IN_LIFETIME_MS = 30 * 60 * 1000;

/** Raised after the redirect URI is trusted: the error goes back to the client. */
class RedirectableError extends Error {
  constructor(
    readonly error: AadError,
    readonly redirectUri: string,
    readonly state: string | undefined,
    readonly mode: ResponseMode,
  ) {
    super(error.message);
  }
}

function parseRequest(c: SandboxContext, deps: SandboxDeps, tenantSegment: string, params: URLSearchParams): AuthorizeRequest {
  const directory: Directory = deps.state.directory;
  const alias = isMultiTenantAlias(tenantSegment);
  const tenant = alias ? undefined : directory.tenant(tenantSegment);
  if (!alias && !tenant) throw aad.unknownTenant(tenantSegment);
  const clientId = params.get('client_id');
  if (!clientId) throw aad.missingParameter('client_id');
  const app = directory.app(clientId, tenant?.id);
  if (!app) throw aad.unknownApp(clientId, tenant?.domain ?? tenantSegment);
  if (app.kind === 'api') throw aad.notAClient(clientId);
  const redirectUri = params.get('redirect_uri');
  if (!redirectUri) throw aad.missingParameter('redirect_uri');
  if (!matchesRegisteredUri(app.redirectUris, redirectUri)) throw aad.redirectMismatch(redirectUri, clientId);

  const state = params.get('state') ?? undefined;
  const modeParam = params.get('response_mode') ?? 'query';
  const mode: ResponseMode = RESPONSE_MODES.includes(modeParam) ? (modeParam as ResponseMode) : 'query';
  const fail = (error: AadError): never => {
    throw new RedirectableError(error, redirectUri, state, mode);
  };
  if (!RESPONSE_MODES.includes(modeParam)) fail(aad.malformed(`The response_mode '${modeParam}' is not supported.`));
  const responseType = params.get('response_type');
  if (!responseType) fail(aad.missingParameter('response_type'));
  if (responseType !== 'code') fail(aad.unsupportedResponseType(responseType!));
  const scope = params.get('scope');
  if (!scope) fail(aad.missingParameter('scope'));
  const challenge = params.get('code_challenge') ?? undefined;
  const method = params.get('code_challenge_method') ?? (challenge ? 'plain' : undefined);
  if (method && method !== 'S256' && method !== 'plain') fail(aad.malformed(`The code_challenge_method '${method}' is not supported.`));
  if (method && !challenge) fail(aad.missingParameter('code_challenge'));
  let parsed: ReturnType<typeof parseScopes>;
  try {
    parsed = parseScopes(scope!, {
      directory,
      tenantName: tenant?.domain ?? tenantSegment,
      isGraph: (resource) => isOwnOrigin(deps, c, resource),
      requestOrigin: c.get('origin'),
    });
  } catch (error) {
    if (error instanceof AadError) fail(error);
    throw error;
  }
  return {
    tenantSegment,
    tenantId: app.tenantId,
    clientId: app.clientId,
    redirectUri,
    scopes: parsed!.scopes,
    resource: parsed!.resource,
    permissions: parsed!.permissions,
    state,
    nonce: params.get('nonce') ?? undefined,
    codeChallenge: challenge,
    codeChallengeMethod: method,
    responseMode: mode,
    clientInfo: params.get('client_info') === '1',
  };
}

function redirectWithCode(deps: SandboxDeps, request: AuthorizeRequest, userId: string): Response {
  const { state } = deps;
  const code = `1.Sandbox.${randomBytes(48).toString('base64url')}`;
  state.codes.set(code, { request, userId, expiresAt: Date.now() + state.settings.codeLifetimeS * 1000, used: false });
  const user = state.directory.user(userId)!;
  return toRedirectUri(
    request.redirectUri,
    {
      code,
      ...(request.clientInfo ? { client_info: clientInfo(user) } : {}),
      ...(request.state !== undefined ? { state: request.state } : {}),
      session_state: randomUUID(),
    },
    request.responseMode,
  );
}

export function authorizeRoutes(app: Hono<SandboxEnv>, deps: SandboxDeps): void {
  const { state } = deps;
  const action = (segment: string) => `/${encodeURIComponent(segment)}/oauth2/v2.0/authorize`;
  const page = (html: string) => new Response(html, { status: 200, headers: PAGE_HEADERS });

  const signIn = (request: AuthorizeRequest, context: string) => {
    const registration = state.directory.app(request.clientId)!;
    const users = state.directory.usersOf(request.tenantId).map((user) => ({ upn: user.userPrincipalName, name: user.displayName }));
    return page(signInPage(action(request.tenantSegment), context, registration.displayName, users));
  };

  app.get('/:tenant/oauth2/v2.0/authorize', (c) => {
    let request: AuthorizeRequest;
    try {
      request = parseRequest(c, deps, c.req.param('tenant'), new URL(c.req.url).searchParams);
    } catch (error) {
      if (error instanceof RedirectableError) return errorToRedirectUri(c, error.redirectUri, error.error, error.state, error.mode);
      if (error instanceof AadError) return aadPage(c, error);
      throw error;
    }
    const sessionUser = state.sessionUserId ? state.directory.user(state.sessionUserId, request.tenantId) : undefined;
    if (sessionUser) return redirectWithCode(deps, request, sessionUser.id);
    if (c.req.query('prompt') === 'none') return errorToRedirectUri(c, request.redirectUri, aad.loginRequired(), request.state, request.responseMode);
    const context = randomBytes(24).toString('base64url');
    state.pendingAuthorize.set(context, { request, expiresAt: Date.now() + SIGN_IN_LIFETIME_MS });
    return signIn(request, context);
  });

  // The sign-in page posts the chosen user, the consent page the decision; both carry the context.
  app.post('/:tenant/oauth2/v2.0/authorize', async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const context = form.get('ctx') ?? '';
    const pending = state.pendingAuthorize.get(context);
    if (!pending || pending.expiresAt < Date.now()) {
      state.pendingAuthorize.delete(context);
      return aadPage(c, aad.sessionExpired());
    }
    const { request } = pending;
    const username = form.get('username');
    if (username !== null) {
      const user = state.directory.user(username, request.tenantId);
      if (!user) return aadPage(c, aad.unknownUser(username, state.directory.tenantById(request.tenantId)?.domain ?? request.tenantId));
      // Shared mailboxes have sign-in blocked.
      if (user.kind === 'shared') return aadPage(c, aad.accountDisabled());
      pending.userId = user.id;
      const registration = state.directory.app(request.clientId)!;
      return page(consentPage(action(request.tenantSegment), context, registration.displayName, user.userPrincipalName, request.scopes));
    }
    if (!pending.userId) return signIn(request, context);
    state.pendingAuthorize.delete(context);
    if (form.get('consent') !== 'accept') return errorToRedirectUri(c, request.redirectUri, aad.declined(), request.state, request.responseMode);
    return redirectWithCode(deps, request, pending.userId);
  });
}
