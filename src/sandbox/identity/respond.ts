/** Answers of the identity platform: JSON errors, error pages, and redirects back to the client. */
import type { SandboxContext } from '../context.js';
import { aadErrorBody, type AadError } from './errors.js';
import { PAGE_HEADERS, errorPage, formPostPage } from './pages.js';

export const CORS_HEADERS: Record<string, string> = { 'Access-Control-Allow-Origin': '*' };

const ids = (c: SandboxContext) => ({ traceId: c.get('requestId'), correlationId: c.get('clientRequestId') });

export function aadJson(c: SandboxContext, error: AadError): Response {
  return new Response(JSON.stringify(aadErrorBody(error, c.get('origin'), ids(c))), {
    status: error.status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...CORS_HEADERS },
  });
}

/** Where the service cannot trust the redirect URI, it shows the error instead of redirecting. */
export function aadPage(c: SandboxContext, error: AadError): Response {
  return new Response(errorPage(aadErrorBody(error, c.get('origin'), ids(c))), { status: error.status, headers: PAGE_HEADERS });
}

export type ResponseMode = 'query' | 'fragment' | 'form_post';

/** Sends parameters back to the client's redirect URI, in the response mode it asked for. */
export function toRedirectUri(redirectUri: string, params: Record<string, string>, mode: ResponseMode): Response {
  if (mode === 'form_post') return new Response(formPostPage(redirectUri, params), { status: 200, headers: PAGE_HEADERS });
  const url = new URL(redirectUri);
  if (mode === 'fragment') {
    url.hash = new URLSearchParams(params).toString();
  } else {
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  }
  return new Response(null, { status: 302, headers: { Location: url.href, 'Cross-Origin-Opener-Policy': 'same-origin', 'Cache-Control': 'no-store' } });
}

/** An error as redirect parameters (the service's form: the description keeps its trace lines). */
export function errorToRedirectUri(c: SandboxContext, redirectUri: string, error: AadError, state: string | undefined, mode: ResponseMode): Response {
  const body = aadErrorBody(error, c.get('origin'), ids(c));
  return toRedirectUri(
    redirectUri,
    { error: body.error, error_description: body.error_description, error_uri: body.error_uri, ...(state !== undefined ? { state } : {}) },
    mode,
  );
}
