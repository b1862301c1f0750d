/**
 * The adapter that talks to the reference server (or any server of the same REST contract) over fetch.
 * Runs in browsers and in Node alike. Errors come back as the typed errors of `./errors`.
 */
import type {
  AppRestriction,
  CloudId,
  CloudInfo,
  ConfigInput,
  ConfigView,
  ConnectRequest,
  ConnectStart,
  ConnectStatus,
  EmailBackendAdapter,
  EndpointDefaults,
  LogChange,
  LogEntry,
  LogEntryDetail,
  LogPage,
  LogQuery,
  Problem,
  TenantLookup,
  TestReport,
  TestRequest,
} from './contract.js';
import { AbortedError, BackendError, NetworkError, UnauthorizedError, errorFromProblem, isAbort } from './errors.js';
import { createEventParser } from './sse.js';

export interface HttpAdapterOptions {
  /** Where the mail API lives, absolute or relative to the page. Default `/api/mail`. */
  baseUrl?: string;
  /** The anti-forgery header sent on state-changing requests without a bearer token. Default `X-Requested-With`. */
  csrfHeader?: string;
  /** Its value, or a function read at each request (a host page may renew it). Default `graph-mail`. */
  csrfToken?: string | (() => string);
  /** fetch's `credentials`. Default `same-origin`; `include` for a server on another origin with cookies. */
  credentials?: RequestCredentials;
  /** The fetch to use (a host's instrumented one, or a test's). Default the global fetch. */
  fetch?: typeof fetch;
  /**
   * An access token for the server's own API (an Entra ID token from msal-browser, for a server on another
   * origin). When it returns a token, requests carry `Authorization: Bearer` and no anti-forgery header.
   * A rejection fails the request with UnauthorizedError, or with the typed error it already is.
   */
  getAccessToken?: () => Promise<string | null>;
  /** The origin the connect callback page posts from. Default: the origin of `baseUrl`. */
  callbackOrigin?: string;
}

type Query = Record<string, string | number | undefined>;

interface Call {
  body?: unknown;
  query?: Query;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  accept?: string;
}

const JSON_ACCEPT = 'application/json, application/problem+json';
const SAFE_METHODS = new Set(['GET', 'HEAD']);
const LOG_FILTERS = ['status', 'q', 'from', 'to'] as const;

function queryString(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== '') params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

const logFilters = (query: LogQuery): Query => Object.fromEntries(LOG_FILTERS.map((key) => [key, query[key]]));

/** `Retry-After` as seconds, whether it came as seconds or as an HTTP date. */
function retryAfterSeconds(value: string | null): string | null {
  if (!value || /^\s*\d+\s*$/.test(value)) return value;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : String(Math.max(0, Math.ceil((at - Date.now()) / 1000)));
}

function pageOrigin(): string | undefined {
  const location = (globalThis as { location?: { href?: string } }).location;
  return location?.href;
}

function originOf(url: string): string {
  try {
    return new URL(url, pageOrigin()).origin;
  } catch {
    return '';
  }
}

/** Walks up from an element, crossing shadow roots, as `closest` does not. */
function* ancestry(el: Element): Generator<Element> {
  let node: Node | null = el;
  while (node) {
    if (node.nodeType === 1) yield node as Element;
    node = node.parentNode ?? ((node as ShadowRoot).host || null);
  }
}

/** An attribute of the element or of its nearest ancestor that has it, across shadow roots. */
export const nearestAttribute = (el: Element, name: string): string | null => {
  for (const node of ancestry(el)) if (node.hasAttribute(name)) return node.getAttribute(name);
  return null;
};

const ASPNET_FIELD = 'input[name="__RequestVerificationToken"]';

/**
 * The adapter over the REST contract (DESIGN.md, "The REST contract"). Every call takes an AbortSignal;
 * failures are the typed errors of `./errors` (`NetworkError` when the server cannot be reached,
 * `AbortedError` when the caller aborted).
 *
 * @example
 * const adapter = new HttpAdapter({ baseUrl: '/api/mail' });
 * const adapter = HttpAdapter.fromElement(element); // attributes, as the single-file bundle does
 */
export class HttpAdapter implements EmailBackendAdapter {
  readonly baseUrl: string;
  readonly callbackOrigin: string;
  private readonly options: HttpAdapterOptions;

  constructor(options: HttpAdapterOptions = {}) {
    this.options = options;
    this.baseUrl = (options.baseUrl ?? '/api/mail').replace(/\/+$/, '');
    this.callbackOrigin = options.callbackOrigin ?? originOf(this.baseUrl || '/');
  }

  /**
   * Makes an adapter from attributes on the element or its nearest ancestor that has them (across shadow
   * roots): `api-base`, `csrf-header`, `csrf-token`. Without `csrf-token`, ASP.NET's hidden
   * `__RequestVerificationToken` field (in the enclosing form, else the page) is sent as the
   * `RequestVerificationToken` header. `options` win over attributes.
   */
  static fromElement(el: Element, options: HttpAdapterOptions = {}): HttpAdapter {
    const baseUrl = nearestAttribute(el, 'api-base') ?? undefined;
    let csrfHeader = nearestAttribute(el, 'csrf-header') ?? undefined;
    let csrfToken: HttpAdapterOptions['csrfToken'] = nearestAttribute(el, 'csrf-token') ?? undefined;
    if (csrfToken === undefined) {
      let form: Element | undefined;
      for (const node of ancestry(el)) {
        if (node.localName === 'form') {
          form = node;
          break;
        }
      }
      const field = (form?.querySelector(ASPNET_FIELD) ?? el.ownerDocument?.querySelector(ASPNET_FIELD)) as HTMLInputElement | null;
      if (field) {
        // Read at each request: a partial postback may replace the field.
        csrfToken = () => field.value;
        csrfHeader ??= 'RequestVerificationToken';
      }
    }
    return new HttpAdapter({ baseUrl, csrfHeader, csrfToken, ...options });
  }

  getConfig(signal?: AbortSignal): Promise<ConfigView> {
    return this.json('GET', '/config', { signal });
  }

  saveConfig(input: ConfigInput, options: { etag?: string; signal?: AbortSignal } = {}): Promise<ConfigView> {
    return this.json('PUT', '/config', { body: input, signal: options.signal, headers: options.etag ? { 'If-Match': options.etag } : undefined });
  }

  async clearConfig(signal?: AbortSignal): Promise<void> {
    await this.send('DELETE', '/config', { signal });
  }

  getClouds(signal?: AbortSignal): Promise<CloudInfo[]> {
    return this.json('GET', '/clouds', { signal });
  }

  getEndpointDefaults(cloud: CloudId, signal?: AbortSignal): Promise<EndpointDefaults> {
    return this.json('GET', '/endpoints/defaults', { query: { cloud }, signal });
  }

  beginConnect(request: ConnectRequest, signal?: AbortSignal): Promise<ConnectStart> {
    return this.json('POST', '/connect', { body: request, signal });
  }

  connectStatus(state: string, signal?: AbortSignal): Promise<ConnectStatus> {
    return this.json('GET', '/connect/status', { query: { state }, signal });
  }

  disconnect(signal?: AbortSignal): Promise<ConfigView> {
    return this.json('POST', '/disconnect', { signal });
  }

  test(request: TestRequest, signal?: AbortSignal): Promise<TestReport> {
    return this.json('POST', '/test', { body: request, signal });
  }

  queryLog(query: LogQuery, signal?: AbortSignal): Promise<LogPage> {
    return this.json('GET', '/log', { query: { ...logFilters(query), cursor: query.cursor, limit: query.limit }, signal });
  }

  getLogEntry(id: string, signal?: AbortSignal): Promise<LogEntryDetail> {
    return this.json('GET', `/log/${encodeURIComponent(id)}`, { signal });
  }

  async retryLogEntry(id: string, signal?: AbortSignal): Promise<void> {
    await this.send('POST', `/log/${encodeURIComponent(id)}/retry`, { signal });
  }

  /** A plain link works only when the browser's cookies authenticate: not with an access-token provider. */
  logCsvUrl(query: LogQuery): string | null {
    return this.options.getAccessToken ? null : `${this.baseUrl}/log.csv${queryString(logFilters(query))}`;
  }

  async downloadLogCsv(query: LogQuery, signal?: AbortSignal): Promise<Blob> {
    const response = await this.send('GET', '/log.csv', { query: logFilters(query), signal, accept: 'text/csv' });
    return this.guard(signal, () => response.blob());
  }

  lookupTenant(tenant: string, signal?: AbortSignal): Promise<TenantLookup> {
    return this.json('GET', '/assistant/tenant', { query: { tenant }, signal });
  }

  getAppRestriction(signal?: AbortSignal): Promise<AppRestriction> {
    return this.json('GET', '/assistant/restrict-app', { signal });
  }

  /** Fetched with the adapter's credentials (a token provider included), as the CSV is. */
  async downloadSupportBundle(signal?: AbortSignal): Promise<Blob> {
    const response = await this.send('GET', '/assistant/support-bundle', { signal });
    return this.guard(signal, () => response.blob());
  }

  /**
   * Live log changes from `GET /log/stream` (server-sent events named `log`, each a `LogEntry`). Uses
   * `EventSource` where it exists and cookies authenticate; otherwise reads the stream with fetch, so that
   * a bearer token is sent (and it works in Node). Reconnects after a dropped connection, waiting the
   * server's `retry:` interval; gives up on a 4xx answer, except a 401 when a token provider may still
   * get a token (the admin signs in later).
   */
  subscribeLog(listener: (change: LogChange) => void, signal?: AbortSignal): () => void {
    const deliver = (data: string) => {
      let entry: LogEntry;
      try {
        entry = JSON.parse(data) as LogEntry;
      } catch {
        return;
      }
      listener({ entry });
    };
    const url = `${this.baseUrl}/log/stream`;
    const EventSourceClass = (globalThis as { EventSource?: typeof EventSource }).EventSource;
    if (EventSourceClass && !this.options.getAccessToken && !this.options.fetch) {
      const source = new EventSourceClass(url, { withCredentials: this.options.credentials === 'include' });
      source.addEventListener('log', (event) => deliver((event as MessageEvent<string>).data));
      const close = () => source.close();
      signal?.addEventListener('abort', close, { once: true });
      return close;
    }
    const controller = new AbortController();
    const stop = () => controller.abort();
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop, { once: true });
    void this.stream(deliver, controller.signal);
    return stop;
  }

  private async stream(deliver: (data: string) => void, signal: AbortSignal): Promise<void> {
    let retryMs = 3000;
    while (!signal.aborted) {
      try {
        const response = await this.send('GET', '/log/stream', { signal, accept: 'text/event-stream' });
        const parse = createEventParser(
          (event) => {
            if (event.event === 'log') deliver(event.data);
          },
          (ms) => (retryMs = ms),
        );
        const reader = response.body?.getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const chunk = await reader?.read();
          if (!chunk || chunk.done) break;
          parse(decoder.decode(chunk.value, { stream: true }));
        }
      } catch (error) {
        if (signal.aborted) return;
        // A refusal (4xx) will not change by itself: stop, as EventSource does on a non-200 answer. A 401
        // with a token provider can: the next attempt asks it again (after a sign-in, for a renewed token).
        if (error instanceof BackendError && error.status >= 400 && error.status < 500 && error.status !== 429 && !(error.status === 401 && this.options.getAccessToken)) return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryMs);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }

  private async json<T>(method: string, path: string, call: Call): Promise<T> {
    const response = await this.send(method, path, call);
    if (response.status === 204 || response.status === 202) return undefined as T;
    const text = await this.guard(call.signal, () => response.text());
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new BackendError(`The server answered ${response.status} with something other than JSON; is the API base URL right?`, response.status);
    }
  }

  /** Runs a body read, turning an abort into AbortedError and a dropped connection into NetworkError. */
  private async guard<T>(signal: AbortSignal | undefined, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (signal?.aborted || isAbort(error)) throw new AbortedError();
      throw new NetworkError('The connection to the server broke off.', error);
    }
  }

  /** One request; resolves with a 2xx response, rejects with the typed error otherwise. */
  private async send(method: string, path: string, call: Call): Promise<Response> {
    const { signal } = call;
    if (signal?.aborted) throw new AbortedError();
    const headers: Record<string, string> = { Accept: call.accept ?? JSON_ACCEPT, ...call.headers };
    let token: string | null = null;
    if (this.options.getAccessToken) {
      try {
        token = await this.options.getAccessToken();
      } catch (error) {
        if (signal?.aborted || isAbort(error)) throw new AbortedError();
        // A provider that says why in a typed error (an unreachable sign-in script) is passed on as it is.
        if (error instanceof BackendError) throw error;
        throw new UnauthorizedError(`No access token for the mail API: ${error instanceof Error ? error.message : String(error)}`, 401, undefined, true);
      }
      if (signal?.aborted) throw new AbortedError();
    }
    if (token) headers.Authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (!SAFE_METHODS.has(method)) {
      // A state change always carries a JSON body: the server refuses form-like requests (SECURITY.md 16).
      body = JSON.stringify(call.body ?? {});
      headers['Content-Type'] = 'application/json';
      if (!token) {
        const value = this.options.csrfToken ?? 'graph-mail';
        headers[this.options.csrfHeader ?? 'X-Requested-With'] = typeof value === 'function' ? value() : value;
      }
    }
    const fetchImpl = this.options.fetch ?? globalThis.fetch;
    let response: Response;
    try {
      response = await fetchImpl(`${this.baseUrl}${path}${queryString(call.query)}`, {
        method,
        headers,
        body,
        signal,
        credentials: this.options.credentials ?? 'same-origin',
        cache: 'no-store',
      });
    } catch (error) {
      if (signal?.aborted || isAbort(error)) throw new AbortedError();
      throw new NetworkError('The mail server could not be reached.', error);
    }
    if (response.ok) return response;
    let problem: Problem | undefined;
    if (/json/i.test(response.headers.get('content-type') ?? '')) {
      try {
        problem = (await response.json()) as Problem;
      } catch (error) {
        if (signal?.aborted || isAbort(error)) throw new AbortedError();
      }
    } else {
      // Free the connection; the text of an HTML error page is of no use to the admin.
      await response.body?.cancel().catch(() => undefined);
    }
    throw errorFromProblem(response.status, problem && typeof problem === 'object' ? problem : undefined, retryAfterSeconds(response.headers.get('retry-after')));
  }
}
