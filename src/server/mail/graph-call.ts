/**
 * One HTTP request to Microsoft Graph (or an upload URL), as every send path makes it: a fresh
 * `client-request-id`, redirects never followed (a 307 would carry the token elsewhere), a time-out,
 * and the answer's `request-id` kept for the log. Failures become `GraphCallError`s that say whether
 * the request may have reached the service, which decides whether a send can be repeated.
 */
import { randomUUID } from 'node:crypto';
import { explainGraphError, explainNetworkError, type Diagnosis } from '../../services/diagnostics.js';
import { parseRetryAfter } from './backoff.js';

/** Ids and status of the last answer (or attempt), for the attempt record. */
export interface CallInfo {
  status?: number;
  requestId?: string;
  clientRequestId: string;
  ms: number;
  /** From `Retry-After`, when the answer had one. */
  retryAfterMs?: number;
}

export type GraphCallErrorKind = 'http' | 'network' | 'redirect' | 'config';

export class GraphCallError extends Error {
  override name = 'GraphCallError';
  constructor(
    readonly kind: GraphCallErrorKind,
    readonly diagnosis: Diagnosis,
    readonly info: CallInfo,
    /** False only when the request certainly never reached the service (refused, DNS, not sent). */
    readonly written: boolean,
    readonly body?: unknown,
  ) {
    super(diagnosis.message);
  }

  get status(): number | undefined {
    return this.info.status;
  }
}

/** Connection failures that happen before any byte of the request left: safe to repeat any request. */
const NOT_WRITTEN = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

export function wasWritten(error: unknown): boolean {
  return !errorCodes(error).some((code) => NOT_WRITTEN.has(code));
}

export function configError(code: string, message: string, hint: string): GraphCallError {
  return new GraphCallError('config', { code, message, hint, retryable: false, category: 'unknown' }, { clientRequestId: '', ms: 0 }, false);
}

export interface CallOptions {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  timeoutMs: number;
  signal?: AbortSignal;
  fetch: (input: string, init?: RequestInit) => Promise<Response>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  json: unknown;
  info: CallInfo;
}

/** Makes the request; resolves for 1xx/2xx, throws `GraphCallError` for everything else. */
export async function graphCall(options: CallOptions): Promise<CallResult> {
  const clientRequestId = randomUUID();
  const started = Date.now();
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  let response: Response;
  try {
    response = await options.fetch(options.url, {
      method: options.method,
      headers: { ...options.headers, 'client-request-id': clientRequestId, 'return-client-request-id': 'true' },
      body: options.body as BodyInit | undefined,
      redirect: 'manual',
      signal,
    });
  } catch (error) {
    const info: CallInfo = { clientRequestId, ms: Date.now() - started };
    throw new GraphCallError('network', explainNetworkError(error), info, wasWritten(error));
  }
  let text = '';
  try {
    text = await response.text();
  } catch (error) {
    // The status line arrived, so the request was processed; only the body was lost.
    const info = infoOf(response, clientRequestId, started);
    if (response.status < 300) return { status: response.status, headers: response.headers, json: undefined, info };
    throw new GraphCallError('network', explainNetworkError(error), info, true);
  }
  const info = infoOf(response, clientRequestId, started);
  let json: unknown;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (response.status >= 300 && response.status < 400) {
    const diagnosis = explainNetworkError(new Error(`redirect (${response.status}) refused`));
    throw new GraphCallError('redirect', { ...diagnosis, requestId: info.requestId, httpStatus: response.status }, info, true);
  }
  if (response.status >= 400) {
    const diagnosis = explainGraphError(json, response.status, response.headers);
    throw new GraphCallError('http', diagnosis, info, true, json);
  }
  return { status: response.status, headers: response.headers, json, info };
}

const ID = /^[A-Za-z0-9-]{8,64}$/;

function infoOf(response: Response, clientRequestId: string, started: number): CallInfo {
  const requestId = response.headers.get('request-id') ?? undefined;
  return {
    status: response.status,
    requestId: requestId && ID.test(requestId) ? requestId : undefined,
    clientRequestId,
    ms: Date.now() - started,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
  };
}

/** Statuses Graph asks clients to retry (throttling and transient server trouble). */
export const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

export function isRetryable(error: unknown): boolean {
  if (!(error instanceof GraphCallError)) return false;
  if (error.kind === 'network') return true;
  return error.kind === 'http' && RETRYABLE_STATUSES.has(error.status ?? 0);
}
