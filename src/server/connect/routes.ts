/**
 * `POST /connect`, `GET /connect/callback`, `GET /connect/status` and `POST /disconnect` of the REST
 * contract (DESIGN.md), relative to the mail API's base path. Admin authorisation, the anti-forgery
 * header and the Host check come from the core's middleware; the callback is a top-level navigation
 * from the identity platform and is authorised by its state and the binding cookie instead.
 */
import { createHash } from 'node:crypto';
import type { Context, Env, Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { ConnectMessage, ConnectStart, UpstreamError } from '../../services/contract.js';
import { explainIdentityError, type DiagnosisContext } from '../../services/diagnostics.js';
import { normalizeOrigin } from '../../services/endpoints.js';
import { ConnectRequestSchema, parseWith, toFieldErrors } from '../../services/schemas.js';
import { problem, validationProblem } from '../http/problem.js';
import { CALLBACK_HEADERS, callbackPage } from './callback-page.js';
import {
  ConnectFailure,
  FAILURES,
  authorizeUrl,
  configProblems,
  delegatedPermissions,
  pkcePair,
  randomToken,
  redeem,
  resolveUrls,
  samePinnedConfig,
  scopeParameter,
  upstreamError,
} from './flow.js';
import { REDEEM_GRACE_MS, SqliteConnectStates, bindingHash, sameHash, stateId, type BindingKind, type ConnectStateRow } from './state-store.js';
import { silentConnectLogger, type ConnectDeps, type ConnectStatusView } from './types.js';

/** Routes the core's admin authorisation must leave to this module (the identity platform's redirect). */
export const CONNECT_PUBLIC_PATHS: readonly string[] = ['/connect/callback'];

const MAX_TTL_MS = 10 * 60 * 1000;
/** How many unfinished sign-ins one browser or admin may have at once. */
const MAX_PENDING = 20;
const STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const BINDING_PATTERN = /^[A-Za-z0-9_-]{43}$/;


/** One line for the admin: the mapped message, its fix, and the code the element recognises. */
const errorText = (error: UpstreamError) => `${error.message} ${error.hint} (${error.code})`.trim();

/**
 * Registers `POST /connect`, `GET /connect/callback`, `GET /connect/status` and `POST /disconnect` on the
 * mail API's router (paths relative to its base path). Needs `deps.states`, or `CONNECT_MIGRATIONS` applied to `deps.db`,
 * and the core's admin authorisation to leave `CONNECT_PUBLIC_PATHS` alone.
 */
export function mountConnectRoutes<E extends Env>(router: Hono<E>, deps: ConnectDeps): void {
  const store = deps.states ?? new SqliteConnectStates(deps.db!, deps.sealer);
  /** The configuration a request acts on (the host's hook; the callback's comes from its sign-in). */
  const configOf = (c: Context): string => deps.configOf?.(c) ?? deps.configId ?? 'default';
  const logger = deps.logger ?? silentConnectLogger;
  const now = deps.now ?? Date.now;
  const ttl = Math.min(Math.max(deps.stateTtlMs ?? MAX_TTL_MS, 1000), MAX_TTL_MS);
  const timeoutMs = deps.requestTimeoutMs ?? 30_000;
  const doFetch = deps.fetch ?? ((input, init) => fetch(input, init));
  const hostOptions = deps.hostOptions ?? {};
  const basePath = deps.basePath.replace(/\/+$/, '');

  const ownOrigin = () => new URL(deps.redirectUri()).origin;
  const allowedOrigins = () => {
    const list = [ownOrigin()];
    for (const origin of deps.allowedOrigins ?? []) {
      const exact = normalizeOrigin(origin);
      if (exact && !list.includes(exact)) list.push(exact);
    }
    return list;
  };
  // Named per server origin and base path: cookies ignore ports, and two servers may share a host.
  const cookieName = () => `gm_connect_${createHash('sha256').update(`${ownOrigin()}${basePath}`).digest('hex').slice(0, 10)}`;
  const cookieOptions = () => ({
    httpOnly: true,
    sameSite: 'Lax' as const,
    path: `${basePath}/connect`,
    secure: deps.redirectUri().startsWith('https:'),
  });
  const stateRef = (state: string) => stateId(state).slice(0, 12);

  const adminOf = async (c: Context) => (await deps.adminIdentity?.(c.req.raw)) || null;

  /** Whether this request comes from the browser or admin that started the sign-in. */
  async function owns(c: Context, row: ConnectStateRow, kind: 'status' | 'callback'): Promise<boolean> {
    if (row.bindingKind === 'browser') {
      const cookie = getCookie(c, cookieName());
      return !!cookie && BINDING_PATTERN.test(cookie) && sameHash(bindingHash('browser', cookie), row.bindingHash);
    }
    // An admin-bound sign-in was started cross-origin with a bearer: the popup's navigation to the
    // callback carries no bearer, so the unguessable, single-use state is the binding there; status
    // answers that admin only.
    if (kind === 'callback') return true;
    const admin = await adminOf(c);
    return !!admin && sameHash(bindingHash('admin', admin), row.bindingHash);
  }

  const diagnosisContext = (redirectUri: string, useDrafts?: boolean): DiagnosisContext => ({
    mode: 'delegated',
    redirectUri,
    permissions: ['offline_access', ...delegatedPermissions({ useDrafts })],
  });

  router.post('/connect', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return validationProblem([{ path: 'mode', message: 'The body must be JSON: { "mode": "popup" | "redirect", "returnTo"?: "/path" }.' }]);
    }
    const parsed = parseWith(ConnectRequestSchema, body);
    if (!parsed.ok) return validationProblem(toFieldErrors(parsed.issues));
    const request = parsed.value;
    const own = ownOrigin();
    let returnTo: string | undefined;
    if (request.returnTo !== undefined) {
      if (request.mode !== 'redirect') {
        return validationProblem([{ path: 'returnTo', key: 'connect.returnTo', message: 'returnTo is used in redirect mode only; a popup reports back to the page that opened it.' }]);
      }
      let target: URL | null = null;
      try {
        target = new URL(request.returnTo, own);
      } catch {
        target = null;
      }
      if (!target || target.origin !== own) return validationProblem(toFieldErrors([{ path: 'returnTo', key: 'connect.returnTo' }]));
      returnTo = `${target.pathname}${target.search}${target.hash}`;
    } else if (request.mode === 'redirect') {
      returnTo = '/';
    }

    const configId = configOf(c);
    const config = await deps.getConnectConfig(configId);
    const problems = configProblems(config);
    if (problems.length || !config) {
      return problem(400, 'The settings are not complete', `Connect needs saved settings first. ${problems[0]?.message ?? ''}`.trim(), { errors: problems });
    }
    const urls = resolveUrls(config, hostOptions);
    if (!urls.ok) return problem(400, 'The endpoint templates are not valid', urls.errors[0]?.message, { errors: urls.errors });

    const admin = await adminOf(c);
    let kind: BindingKind;
    let binding: string;
    if (admin) {
      kind = 'admin';
      binding = admin;
    } else {
      kind = 'browser';
      const existing = getCookie(c, cookieName());
      binding = existing && BINDING_PATTERN.test(existing) ? existing : randomToken(32);
    }
    const at = now();
    await store.purge(at);
    if ((await store.countPending(kind, binding, at)) >= MAX_PENDING) {
      return problem(429, 'Too many sign-ins in progress', 'Finish or cancel the sign-ins already started, or wait 10 minutes.');
    }

    const origin = c.req.header('origin');
    const exactOrigin = origin ? normalizeOrigin(origin) : null;
    const openerOrigin = exactOrigin && allowedOrigins().includes(exactOrigin) ? exactOrigin : own;
    const redirectUri = deps.redirectUri();
    const state = randomToken(32);
    const { verifier, challenge } = pkcePair();
    const scope = scopeParameter(config);
    const expiresAt = at + ttl;
    await store.create(configId, {
      state,
      bindingKind: kind,
      binding,
      mode: request.mode,
      returnTo,
      openerOrigin,
      cloud: config.cloud,
      tenantId: config.tenantId.trim(),
      clientId: config.clientId.trim(),
      tokenUrl: urls.tokenUrl,
      redirectUri,
      scope,
      verifier,
      createdAt: at,
      expiresAt,
    });
    if (kind === 'browser') setCookie(c, cookieName(), binding, { ...cookieOptions(), maxAge: Math.ceil(ttl / 1000) });
    logger.info('connect: sign-in started', { ref: stateRef(state), mode: request.mode, cloud: config.cloud, binding: kind });
    const start: ConnectStart = {
      authorizeUrl: authorizeUrl(urls.authorizeUrl, { clientId: config.clientId.trim(), redirectUri, scope, state, challenge }),
      state,
      expiresAt: new Date(expiresAt).toISOString(),
    };
    return c.json(start, 200, { 'cache-control': 'no-store' });
  });

  /** The page or redirect that ends a sign-in this browser owns. */
  function finish(row: ConnectStateRow, state: string, outcome: { ok: true; account: string } | { ok: false; error: UpstreamError }): Response {
    if (row.mode === 'redirect') {
      const target = new URL(row.returnTo ?? '/', ownOrigin());
      target.searchParams.set('connect', outcome.ok ? 'ok' : 'failed');
      return new Response(null, {
        status: 303,
        headers: { ...CALLBACK_HEADERS, location: `${target.pathname}${target.search}${target.hash}` },
      });
    }
    const message: ConnectMessage = outcome.ok
      ? { type: 'graph-mail:connect', state, ok: true, account: outcome.account }
      : { type: 'graph-mail:connect', state, ok: false, error: errorText(outcome.error) };
    return callbackPage({
      message,
      targetOrigins: [row.openerOrigin ?? ownOrigin()],
      title: outcome.ok ? 'Connected' : 'The sign-in did not complete',
      text: outcome.ok ? `Mail is now sent as ${outcome.account}.` : outcome.error.message,
      hint: outcome.ok ? undefined : outcome.error.hint,
    });
  }

  /** For states this browser cannot use: nothing is posted, nothing changes. */
  const refused = (text: string) =>
    callbackPage({
      message: null,
      targetOrigins: [],
      title: 'This sign-in link cannot be used',
      text,
      hint: 'Go back to the mail settings and choose "Connect" again.',
      status: 400,
    });

  router.get('/connect/callback', async (c) => {
    const query = c.req.query();
    const state = query.state ?? '';
    if (!STATE_PATTERN.test(state)) return refused('The sign-in answer has no valid state.');
    const row = await store.get(state);
    if (!row) return refused('The sign-in is unknown or too old.');
    if (!(await owns(c, row, 'callback'))) {
      logger.warn('connect: callback from another browser refused', { ref: stateRef(state) });
      return refused('The sign-in was started in another browser (or its cookie is gone). For your safety it was not accepted.');
    }
    if (row.status !== 'pending') {
      logger.warn('connect: state replay refused', { ref: stateRef(state), status: row.status });
      return refused('This sign-in was already completed; a sign-in answer is accepted once.');
    }
    const at = now();
    const failPending = async (error: UpstreamError) => {
      if (!(await store.failPending(state, error, at))) return refused('This sign-in was already completed; a sign-in answer is accepted once.');
      logger.warn('connect: sign-in failed', { ref: stateRef(state), code: error.code });
      return finish(row, state, { ok: false, error });
    };
    if (row.expiresAt <= at) return failPending(FAILURES.expired());
    if (query.error !== undefined) {
      const diagnosis = explainIdentityError(
        { error: query.error, error_description: query.error_description ?? '' },
        undefined,
        diagnosisContext(row.redirectUri),
      );
      return failPending(upstreamError(diagnosis));
    }
    const code = query.code ?? '';
    if (!code) {
      return failPending({
        code: 'no_code',
        message: 'The identity platform sent back neither a sign-in code nor an error.',
        hint: 'Reset the Authorize endpoint to the default of the chosen Domain and connect again.',
      });
    }
    const claimed = await store.claim(state, at);
    if (!claimed) return refused('This sign-in was already completed; a sign-in answer is accepted once.');

    const fail = async (error: UpstreamError) => {
      await store.finishFailed(state, error, now());
      logger.warn('connect: sign-in failed', { ref: stateRef(state), code: error.code });
      return finish(row, state, { ok: false, error });
    };
    try {
      if (claimed.verifier === null) {
        logger.error('connect: the sealed PKCE verifier did not open', { ref: stateRef(state) });
        return fail({ code: 'internal', message: 'The server could not finish the sign-in.', hint: 'Check the server log (the encryption key may have changed), then choose "Connect" again.' });
      }
      const config = await deps.getConnectConfig(row.configId);
      const urls = config ? resolveUrls(config, hostOptions) : null;
      if (!config || !config.clientAuth || !urls?.ok || !samePinnedConfig(row, config, urls.tokenUrl)) return fail(FAILURES.configChanged());
      const grant = await redeem({
        fetch: doFetch,
        timeoutMs,
        tokenUrl: row.tokenUrl,
        graphUrl: urls.graphUrl,
        cloud: row.cloud,
        hostOptions,
        clientId: row.clientId,
        tenantId: row.tenantId,
        redirectUri: row.redirectUri,
        scope: row.scope,
        code,
        verifier: claimed.verifier,
        clientAuth: config.clientAuth,
        diagnosisContext: diagnosisContext(row.redirectUri, config.useDrafts),
        now,
      });
      // A disconnect while the code was being redeemed wins: its admin meant to end the connection.
      if ((await store.get(state))?.status !== 'redeeming') return fail(FAILURES.cancelled());
      try {
        await deps.saveDelegatedGrant(row.configId, grant);
      } catch (error) {
        logger.error('connect: saving the grant failed', { ref: stateRef(state), error: error instanceof Error ? error.name : 'Error' });
        return fail(FAILURES.saveFailed());
      }
      await store.finishConnected(state, grant.account, now());
      logger.info('connect: connected', { ref: stateRef(state), account: grant.account, scopes: grant.scopes });
      return finish(row, state, { ok: true, account: grant.account });
    } catch (error) {
      if (error instanceof ConnectFailure) return fail(error.error);
      logger.error('connect: sign-in failed unexpectedly', { ref: stateRef(state), error: error instanceof Error ? error.name : 'Error' });
      return fail({ code: 'internal', message: 'The server could not finish the sign-in.', hint: 'Check the server log, then choose "Connect" again.' });
    }
  });

  router.get('/connect/status', async (c) => {
    const state = c.req.query('state') ?? '';
    const notFound = () => problem(404, 'Not found', 'No sign-in with this state was started by you, or it is too old.');
    if (!STATE_PATTERN.test(state)) return notFound();
    const row = await store.get(state);
    if (!row || row.configId !== configOf(c) || !(await owns(c, row, 'status'))) return notFound();
    const at = now();
    let view: ConnectStatusView;
    if (row.status === 'connected') view = { state: 'connected', account: row.account ?? '' };
    else if (row.status === 'failed') {
      const failure = row.error ?? { code: 'unknown', message: 'The sign-in failed.', hint: 'Choose "Connect" again.' };
      view = { state: 'failed', error: errorText(failure), failure };
    } else if (row.status === 'pending' && row.expiresAt <= at) {
      await store.failPending(state, FAILURES.expired(), at);
      view = { state: 'failed', error: errorText(FAILURES.expired()), failure: FAILURES.expired() };
    } else if (row.status === 'redeeming' && row.expiresAt + REDEEM_GRACE_MS <= at) {
      const failure: UpstreamError = { code: 'interrupted', message: 'The sign-in was interrupted (the server restarted while finishing it).', hint: 'Choose "Connect" again.' };
      await store.finishFailed(state, failure, at);
      view = { state: 'failed', error: errorText(failure), failure };
    } else view = { state: 'pending' };
    return c.json(view, 200, { 'cache-control': 'no-store' });
  });

  router.post('/disconnect', async (c) => {
    // Unfinished sign-ins end first, so that none lands after the tokens are gone and connects again.
    const configId = configOf(c);
    await store.cancelAll(configId, FAILURES.cancelled(), now());
    await deps.disconnect(configId);
    logger.info('connect: disconnected', { configId });
    return c.json(await deps.getConfigView(configId), 200, { 'cache-control': 'no-store' });
  });
}
