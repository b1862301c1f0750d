/**
 * The sandbox cloud as one Hono app: the identity platform at `/{tenant}/…`, Graph at `/v1.0/…`,
 * upload URLs at `/api/v2.0/…` and the control API at `/sandbox/…`, behind one outer layer that
 * names the request (origin, raw path, ids), applies injected faults and records the request.
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { CONTROL_PREFIX, controlRoutes } from './control.js';
import type { SandboxContext, SandboxDeps, SandboxEnv } from './context.js';
import type { Fault } from './faults.js';
import { graphRoutes } from './graph/routes.js';
import { graphErrorBody } from './graph/respond.js';
import { uploadRoutes } from './graph/uploads.js';
import { authorizeRoutes } from './identity/authorize.js';
import { discoveryRoutes } from './identity/discovery.js';
import { AadError, aadErrorBody } from './identity/errors.js';
import { TokenIssuer } from './identity/issue.js';
import { tokenRoutes } from './identity/token.js';
import { queryRecord } from './ledger.js';
import { indexPage } from './index-page.js';
import { loadSeed, type Seed } from './seed.js';
import { settingsFromEnv, type SandboxSettings } from './settings.js';
import { SigningKey } from './signing.js';
import { SandboxState } from './state.js';

export interface SandboxAppOptions {
  /** The seed itself; otherwise read from `seedPath`, or the default seed. */
  seed?: Seed;
  seedPath?: string;
  /** Start-up settings over the environment's (`SANDBOX_SEND_LAG_MS`, …); `reset` returns to these. */
  settings?: Partial<SandboxSettings>;
}

export interface SandboxApp {
  app: Hono<SandboxEnv>;
  state: SandboxState;
  key: SigningKey;
  /** Stops the pending send-lag timers, so that the process can exit. */
  close(): void;
}

/** A client's `client-request-id` is echoed only when it looks like an id. */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,100}$/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const isIdentityPath = (path: string) => /^\/[^/]+\/(?:oauth2|v2\.0|discovery)\//i.test(path);
const isGraphPath = (path: string) => /^\/v1\.0(?:\/|$)/i.test(path) || /^\/api\/v2\.0\//i.test(path);

/** Graph's error codes for an injected status, where the fault gives no body of its own. */
const GRAPH_CODES: Record<number, string> = {
  400: 'BadRequest',
  401: 'InvalidAuthenticationToken',
  403: 'ErrorAccessDenied',
  404: 'ErrorItemNotFound',
  409: 'ErrorIrresolvableConflict',
  429: 'TooManyRequests',
  500: 'generalException',
  502: 'UnknownError',
  503: 'ServiceUnavailable',
  504: 'UnknownError',
};

function faultResponse(c: SandboxContext, fault: Fault, status: number): Response {
  const headers = new Headers(fault.headers ?? {});
  let body: string | null = null;
  if (fault.body !== undefined) {
    body = typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body);
    if (!headers.has('content-type')) headers.set('content-type', typeof fault.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json');
  } else if (status >= 400) {
    const path = c.get('rawPath');
    if (isIdentityPath(path)) {
      const error =
        status === 429 || status >= 500
          ? new AadError(status, 'temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.')
          : new AadError(status, 'invalid_request', 9002313, 'Invalid request. Request is malformed or invalid.');
      body = JSON.stringify(aadErrorBody(error, c.get('origin'), { traceId: c.get('requestId'), correlationId: c.get('clientRequestId') }));
    } else {
      const code = GRAPH_CODES[status] ?? (status >= 500 ? 'UnknownError' : 'BadRequest');
      body = JSON.stringify(graphErrorBody(c, code, `Injected by the sandbox (HTTP ${status}).`));
    }
    headers.set('content-type', 'application/json');
  }
  if ((status === 429 || status === 503) && !headers.has('retry-after')) headers.set('retry-after', '1');
  return new Response(body, { status, headers });
}

/** Sets headers on the answer, copying it first when its headers are immutable (redirects). */
function withHeaders(c: SandboxContext, headers: Record<string, string>): void {
  try {
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  } catch {
    const copy = new Response(c.res.body, c.res);
    for (const [name, value] of Object.entries(headers)) copy.headers.set(name, value);
    replace(c, copy);
  }
}

/** Replaces the answer outright (Hono would otherwise merge the old answer's headers in). */
function replace(c: SandboxContext, response: Response): void {
  c.res = undefined as unknown as Response;
  c.res = response;
}

function rawPathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const path = start < 0 ? '/' : url.slice(start);
  return path.split(/[?#]/, 1)[0] || '/';
}

export function createSandboxApp(options: SandboxAppOptions = {}): SandboxApp {
  const seed = options.seed ?? loadSeed(options.seedPath);
  const state = new SandboxState(seed, { ...settingsFromEnv(), ...options.settings });
  const key = new SigningKey();
  const deps: SandboxDeps = { state, key, issuer: new TokenIssuer(state, key) };
  const app = new Hono<SandboxEnv>();

  app.use('*', async (c, next) => {
    const at = new Date().toISOString();
    const url = c.req.url;
    const rawPath = rawPathOf(url);
    const requestId = randomUUID();
    const clientRequestId = c.req.header('client-request-id');
    c.set('origin', new URL(url).origin);
    c.set('rawPath', rawPath);
    c.set('requestId', requestId);
    c.set('clientRequestId', clientRequestId && SAFE_ID.test(clientRequestId) ? clientRequestId : requestId);

    const control = rawPath.startsWith(CONTROL_PREFIX);
    const fault = control ? undefined : state.faults.take(c.req.method, rawPath);
    if (fault?.delayMs && !(fault.afterDelivery && fault.status !== undefined)) await sleep(fault.delayMs);
    if (fault?.status !== undefined && !fault.afterDelivery) {
      replace(c, faultResponse(c, fault, fault.status));
    } else {
      await next();
      if (fault?.status !== undefined) {
        // The request took effect; its answer is lost and the fault's arrives instead.
        await c.res.body?.cancel().catch(() => {});
        if (fault.delayMs) await sleep(fault.delayMs);
        replace(c, faultResponse(c, fault, fault.status));
      }
    }
    withHeaders(c, {
      'request-id': requestId,
      'client-request-id': c.get('clientRequestId'),
      ...(isIdentityPath(rawPath) ? { 'x-ms-request-id': requestId } : {}),
    });
    if (!control) {
      state.ledger.add({
        at,
        method: c.req.method,
        path: rawPath,
        query: queryRecord(new URL(url).search),
        headers: [...c.req.raw.headers.keys()].map((name) => name.toLowerCase()),
        status: c.res.status,
      });
    }
  });

  controlRoutes(app, deps);
  graphRoutes(app, deps);
  uploadRoutes(app, deps);
  discoveryRoutes(app, deps);
  authorizeRoutes(app, deps);
  tokenRoutes(app, deps);

  app.get('/', (c) => c.html(indexPage(state, c.get('origin'))));
  // The `error_uri` of identity errors points here.
  app.get('/error', (c) => c.html(`<!doctype html><title>Sandbox error</title><p>AADSTS${Number(c.req.query('code')) || ''}: see the error description of the answer that linked here.</p>`));

  app.notFound((c) => {
    const path = c.get('rawPath') ?? new URL(c.req.url).pathname;
    if (isGraphPath(path)) return c.json(graphErrorBody(c, 'BadRequest', `Resource not found for the segment '${path.split('/').pop()}'.`), 400);
    return c.json({ error: 'not_found', error_description: `The sandbox has no endpoint ${c.req.method} ${path}.` }, 404);
  });

  app.onError((error, c) => {
    console.error('sandbox: unexpected error', error);
    const path = c.get('rawPath') ?? '';
    if (isIdentityPath(path)) {
      const body = aadErrorBody(new AadError(500, 'server_error', 90033, 'A transient error has occurred. Please try again.'), c.get('origin'), {
        traceId: c.get('requestId'),
        correlationId: c.get('clientRequestId'),
      });
      return c.json(body, 500);
    }
    return c.json(graphErrorBody(c, 'generalException', 'An unexpected error occurred in the sandbox.'), 500);
  });

  return { app, state, key, close: () => state.stopTimers() };
}
