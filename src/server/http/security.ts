/**
 * The admin API's protection (SECURITY.md 16 and 18), as one Hono middleware in front of every route:
 *
 * 1. The `Host` header must name this server (421 otherwise): no DNS rebinding onto the loopback
 *    admission.
 * 2. Origins other than the server's own are refused (403) unless listed at start-up; those listed get
 *    CORS, and no one else does. State changes whose `Sec-Fetch-Site` says another site are refused too.
 * 3. The host's `authorize` hook names the admin (default: loopback, or the admin token).
 * 4. A state change not authenticated by a bearer token needs the anti-forgery header and, when it has
 *    a body, a JSON one: a cross-site form or `text/plain` POST can carry neither.
 * 5. Every answer carries `no-store` (unless the route chose otherwise), `nosniff`, a CSP with
 *    `frame-ancestors 'none'`, and `Referrer-Policy: no-referrer`.
 *
 * Public paths (the mail module's `/send` with its own token, `/health`, the sign-in callback) skip
 * steps 3 and 4 and the origin refusal, but keep the Host check and the headers.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { isJsonType, problem } from './problem.js';

/** Who is asking, as the host's hook names them. */
export interface AdminIdentity {
  /** A stable name for the audit trail and the per-admin limits. */
  id: string;
  /** True when the request was authenticated by a bearer token (no anti-forgery header needed then). */
  bearer?: boolean;
}

/** The Hono environment of the API's routes: who the request was admitted as. */
export interface AdminEnv {
  Variables: {
    admin: AdminIdentity;
    corsOrigin: string;
    /**
     * The configuration the request acts on, as the server's `configIdOf` hook named it; unset on the
     * connect callback (its sign-in names it) and on a public path the hook gave none.
     */
    configId: string;
  };
}

export interface AuthorizeInfo {
  /** The peer's address, when the runtime tells it (Node). */
  remoteAddress?: string;
}

/** A refusal with its status (401: credentials missing or wrong; 403: not allowed). */
export interface AuthorizeDenial {
  deny: 401 | 403;
  /**
   * The `WWW-Authenticate` challenge: of a 401, when the hook knows better than a bare `Bearer`; of a
   * 403, RFC 6750's `error="insufficient_scope"` for a valid token that lacks the right.
   */
  wwwAuthenticate?: string;
  detail?: string;
}

export type AuthorizeResult = AdminIdentity | AuthorizeDenial | null | undefined;

/** The host's authorisation hook: every admin request goes through it. */
export type AuthorizeHook = (request: Request, info: AuthorizeInfo) => AuthorizeResult | Promise<AuthorizeResult>;

export interface AntiForgeryOptions {
  /** The header's name (case-insensitive), e.g. `RequestVerificationToken`. */
  header: string;
  /** Checks its value (ASP.NET's token, say); without it, any non-empty value passes. */
  validate?: (value: string, request: Request) => boolean | Promise<boolean>;
}

export interface SecurityOptions {
  /** The base path the API lives under (public paths are relative to it). */
  basePath: string;
  /** The server's own origins (PUBLIC_URL's, and the loopback aliases when it is on loopback). */
  ownOrigins: () => readonly string[];
  /** `Host` values (host[:port], lowercase) that name this server. */
  allowedHosts: () => readonly string[];
  /** `GRAPH_MAIL_ALLOWED_ORIGINS`: other origins that may call, with CORS. */
  allowedOrigins: readonly string[];
  authorize: AuthorizeHook;
  /** Paths (relative to the base path) that skip authorisation and the anti-forgery rule. */
  publicPaths: readonly string[];
  /** The host's anti-forgery header, accepted besides `X-Requested-With: graph-mail`. */
  antiForgery?: AntiForgeryOptions;
  /** Largest request body outside the public paths, by `Content-Length` [1 MiB]. */
  maxBodyBytes?: number;
  remoteAddress?: (c: Context) => string | undefined;
  /** Told who each admitted request is (modules that see only the Request look it up). */
  onAuthorized?: (request: Request, identity: AdminIdentity) => void;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
export const DEFAULT_ANTI_FORGERY = { header: 'x-requested-with', value: 'graph-mail' } as const;

/** The loopback aliases of a loopback origin (`http://127.0.0.1:8787` → also localhost and [::1]). */
export function loopbackAliases(origin: string): string[] {
  const url = new URL(origin);
  if (!LOOPBACK_NAMES.includes(url.hostname)) return [url.origin];
  return LOOPBACK_NAMES.map((name) => `${url.protocol}//${name}${url.port ? `:${url.port}` : ''}`);
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.replace(/^::ffff:/i, '');
  return plain === '::1' || /^127(?:\.\d{1,3}){3}$/.test(plain);
}

function nodeRemoteAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

function relativePath(path: string, basePath: string): string {
  if (basePath === '' || basePath === '/') return path;
  return path.startsWith(basePath) ? path.slice(basePath.length) || '/' : path;
}

function applySecurityHeaders(c: Context): void {
  const set = (headers: Headers) => {
    if (!headers.has('cache-control')) headers.set('cache-control', 'no-store');
    headers.set('x-content-type-options', 'nosniff');
    const csp = headers.get('content-security-policy');
    if (!csp) headers.set('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    else if (!/frame-ancestors/i.test(csp)) headers.set('content-security-policy', `${csp}; frame-ancestors 'none'`);
    if (!headers.has('referrer-policy')) headers.set('referrer-policy', 'no-referrer');
    if (!headers.has('x-frame-options')) headers.set('x-frame-options', 'DENY');
  };
  try {
    set(c.res.headers);
  } catch {
    // Headers of a response made elsewhere can be immutable: copy it.
    c.res = new Response(c.res.body, c.res);
    set(c.res.headers);
  }
}

function corsHeaders(origin: string, antiForgeryHeader: string | undefined): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, PUT, POST, DELETE, OPTIONS',
    'access-control-allow-headers': ['authorization', 'content-type', 'if-match', DEFAULT_ANTI_FORGERY.header, antiForgeryHeader].filter(Boolean).join(', '),
    'access-control-expose-headers': 'etag, retry-after, location',
    'access-control-max-age': '600',
    vary: 'Origin',
  };
}

export function securityMiddleware(options: SecurityOptions): MiddlewareHandler {
  const allowed = new Set(options.allowedOrigins.map((origin) => origin.toLowerCase()));
  const publicPaths = new Set(options.publicPaths);
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const antiForgeryName = options.antiForgery?.header.toLowerCase();

  return async (c, next) => {
    const request = c.req.raw;
    const method = request.method.toUpperCase();
    const path = relativePath(c.req.path, options.basePath);
    const isPublic = publicPaths.has(path);

    const denied = await (async (): Promise<Response | undefined> => {
      // 1. Host.
      const host = (c.req.header('host') ?? '').trim().toLowerCase().replace(/\.(?=:\d+$|$)/, '');
      if (!host || !options.allowedHosts().includes(host)) {
        return problem(421, 'Misdirected request', 'The Host header does not name this server.');
      }

      // 2. Origin.
      const origin = c.req.header('origin');
      const own = options.ownOrigins().map((item) => item.toLowerCase());
      const sameOrigin = origin !== undefined && own.includes(origin.toLowerCase());
      const listed = origin !== undefined && !sameOrigin && allowed.has(origin.toLowerCase());
      if (listed) c.set('corsOrigin', origin);
      if (method === 'OPTIONS') {
        if (listed) return new Response(null, { status: 204, headers: corsHeaders(origin!, antiForgeryName) });
        return problem(403, 'Forbidden', 'Cross-origin requests from this origin are not allowed.');
      }
      if (!isPublic) {
        if (origin !== undefined && !sameOrigin && !listed) {
          return problem(403, 'Forbidden', 'Requests from another origin are refused unless the server lists that origin (GRAPH_MAIL_ALLOWED_ORIGINS).');
        }
        const site = (c.req.header('sec-fetch-site') ?? '').toLowerCase();
        if (!SAFE_METHODS.has(method) && !listed && (site === 'cross-site' || site === 'same-site')) {
          return problem(403, 'Forbidden', 'State changes from another site are refused.');
        }
      }
      if (isPublic) return undefined;

      // 3. Authorisation.
      const declared = Number(c.req.header('content-length') ?? '0');
      if (declared > maxBody) return problem(413, 'Too large', `The request body is larger than ${maxBody} bytes.`);
      const result = await options.authorize(request, { remoteAddress: options.remoteAddress?.(c) ?? nodeRemoteAddress(c) });
      if (!result || 'deny' in result) {
        const status = result && 'deny' in result ? result.deny : 403;
        const detail = result && 'deny' in result && result.detail ? result.detail : 'This request is not authorised to use the mail administration API.';
        // A hook may say precisely what was wrong with a token (RFC 6750's error="invalid_token"), or
        // that a valid one lacks the right (error="insufficient_scope", with a 403).
        const given = result && 'deny' in result ? result.wwwAuthenticate : undefined;
        const challenge = status === 401 ? given || 'Bearer' : given;
        return problem(status, status === 401 ? 'Unauthorized' : 'Forbidden', detail, {}, challenge ? { 'www-authenticate': challenge } : {});
      }
      c.set('admin', result);
      options.onAuthorized?.(request, result);

      // 4. Anti-forgery.
      if (!SAFE_METHODS.has(method) && !result.bearer) {
        const standard = (c.req.header(DEFAULT_ANTI_FORGERY.header) ?? '').trim().toLowerCase() === DEFAULT_ANTI_FORGERY.value;
        let custom = false;
        if (!standard && antiForgeryName) {
          const value = c.req.header(antiForgeryName);
          custom = Boolean(value) && (options.antiForgery?.validate ? await options.antiForgery.validate(value!, request) : true);
        }
        if (!standard && !custom) {
          return problem(403, 'Forbidden', `State-changing requests need the header X-Requested-With: graph-mail${antiForgeryName ? ` or ${options.antiForgery!.header}` : ''}.`);
        }
        const hasBody = declared > 0 || c.req.header('transfer-encoding') !== undefined;
        if (hasBody && !isJsonType(c.req.header('content-type'))) {
          return problem(403, 'Forbidden', 'State-changing requests send a JSON body (Content-Type: application/json).');
        }
      }
      return undefined;
    })();

    if (denied) c.res = denied;
    else await next();
    applySecurityHeaders(c);
    const corsOrigin = c.get('corsOrigin') as string | undefined;
    if (corsOrigin && method !== 'OPTIONS') {
      c.res.headers.set('access-control-allow-origin', corsOrigin);
      c.res.headers.set('access-control-expose-headers', 'etag, retry-after, location');
      c.res.headers.append('vary', 'Origin');
    }
  };
}

/**
 * The reference server's default hook (DESIGN.md): with an admin token, `Authorization: Bearer <token>`
 * is required; without one, requests from loopback are admitted, except in production mode, where
 * loopback admits no one (the host must supply a hook or a token).
 */
export function defaultAuthorize(options: { adminToken?: string; production?: boolean; tokenMatches: (presented: string | undefined, expected: string | undefined) => boolean }): AuthorizeHook {
  return (request, info) => {
    if (options.adminToken) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '');
      if (options.tokenMatches(match?.[1], options.adminToken)) return { id: 'admin-token', bearer: true };
      return { deny: 401, detail: 'Send the admin token as Authorization: Bearer <token>.' };
    }
    if (options.production) return { deny: 403, detail: 'No admin authorisation is configured: set GRAPH_MAIL_ADMIN_TOKEN or give the server an authorize hook.' };
    if (isLoopbackAddress(info.remoteAddress)) return { id: 'loopback' };
    return { deny: 403, detail: 'Only requests from this machine are admitted; set GRAPH_MAIL_ADMIN_TOKEN to use the API from elsewhere.' };
  };
}
