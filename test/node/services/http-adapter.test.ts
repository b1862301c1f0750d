/**
 * HttpAdapter against real HTTP servers on port 0: a scripted one that records every request and answers
 * what each test says (headers, the anti-forgery rule, bearer tokens, If-Match, every error mapping,
 * abort, network failure, CSV, the live feed), and one that serves the contract from a MemoryAdapter,
 * through which the shared contract checks run.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpAdapter } from '../../../src/services/http-adapter.js';
import {
  AbortedError,
  BackendError,
  ConflictError,
  NetworkError,
  RateLimitedError,
  StaleError,
  UnauthorizedError,
  UpstreamFailure,
  ValidationProblem,
} from '../../../src/services/errors.js';
import type { LogChange } from '../../../src/services/contract.js';
import { MemoryAdapter } from '../../../src/services/memory-adapter.js';
import { CONTRACT_CHECKS } from './adapter-contract-checks.js';
import { startMemoryRestServer, type RestServer } from './memory-rest-server.js';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, recorded: Recorded) => unknown;

let server: Server;
let base: string;
let handler: Handler = (_req, res) => json(res, 200, {});
let requests: Recorded[] = [];
const closed: string[] = [];

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const problem = (res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
  res.end(JSON.stringify({ type: 'about:blank', title: 'x', status, ...body }));
};

before(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    requests.push(recorded);
    res.on('close', () => closed.push(recorded.url));
    await handler(req, res, recorded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/mail`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  requests = [];
  closed.length = 0;
  handler = (_req, res) => json(res, 200, {});
});

const adapterWith = (options: ConstructorParameters<typeof HttpAdapter>[0] = {}) => new HttpAdapter({ baseUrl: base, ...options });
const only = () => {
  assert.equal(requests.length, 1, 'exactly one request');
  return requests[0];
};

describe('HttpAdapter requests', () => {
  it('reads the config with a GET that carries no anti-forgery header and no body', async () => {
    handler = (_req, res) => json(res, 200, { mode: 'delegated', etag: '"7"' });
    const view = await adapterWith().getConfig();
    assert.equal(view.etag, '"7"');
    const request = only();
    assert.equal(request.method, 'GET');
    assert.equal(request.url, '/api/mail/config');
    assert.equal(request.headers['x-requested-with'], undefined);
    assert.equal(request.headers.authorization, undefined);
    assert.match(request.headers.accept ?? '', /application\/json/);
    assert.match(request.headers.accept ?? '', /application\/problem\+json/);
    assert.equal(request.body, '');
  });

  it('saves with PUT, a JSON body, the anti-forgery header and If-Match', async () => {
    handler = (_req, res) => json(res, 200, { etag: '"8"' });
    const input = { mode: 'delegated', cloud: 'global', tenantId: 'contoso.com', clientId: 'x', fromName: 'A', fromAddress: '', saveToSentItems: true } as const;
    await adapterWith().saveConfig(input, { etag: '"7"' });
    const request = only();
    assert.equal(request.method, 'PUT');
    assert.equal(request.url, '/api/mail/config');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['x-requested-with'], 'graph-mail');
    assert.equal(request.headers['if-match'], '"7"');
    assert.deepEqual(JSON.parse(request.body), input);
  });

  it('sends no If-Match without an etag (last write wins)', async () => {
    await adapterWith().saveConfig({} as never);
    assert.equal(only().headers['if-match'], undefined);
  });

  it('uses the host\'s anti-forgery header name and value, read at each request', async () => {
    let token = 'first';
    const adapter = adapterWith({ csrfHeader: 'RequestVerificationToken', csrfToken: () => token });
    await adapter.disconnect();
    token = 'second';
    await adapter.disconnect();
    assert.deepEqual(
      requests.map((r) => [r.headers.requestverificationtoken, r.headers['x-requested-with']]),
      [
        ['first', undefined],
        ['second', undefined],
      ],
    );
  });

  it('sends a JSON body on every state change, even one without a payload', async () => {
    handler = (req, res) => (req.method === 'DELETE' ? (res.writeHead(204), res.end()) : req.url?.endsWith('/retry') ? json(res, 202, { id: 'a' }) : json(res, 200, {}));
    const adapter = adapterWith();
    assert.equal(await adapter.clearConfig(), undefined);
    await adapter.disconnect();
    assert.equal(await adapter.retryLogEntry('a/b c'), undefined);
    assert.deepEqual(
      requests.map((r) => [r.method, r.url, r.body, r.headers['content-type'], r.headers['x-requested-with']]),
      [
        ['DELETE', '/api/mail/config', '{}', 'application/json', 'graph-mail'],
        ['POST', '/api/mail/disconnect', '{}', 'application/json', 'graph-mail'],
        ['POST', '/api/mail/log/a%2Fb%20c/retry', '{}', 'application/json', 'graph-mail'],
      ],
    );
  });

  it('with an access-token provider: Authorization on every request and no anti-forgery header', async () => {
    let calls = 0;
    const adapter = adapterWith({
      getAccessToken: async () => {
        calls += 1;
        return 'eyJ.token.value';
      },
    });
    await adapter.getConfig();
    await adapter.test({ to: 'a@contoso.com' });
    assert.equal(calls, 2, 'asked per request, so a renewed token is used');
    for (const request of requests) {
      assert.equal(request.headers.authorization, 'Bearer eyJ.token.value');
      assert.equal(request.headers['x-requested-with'], undefined);
    }
    assert.equal(requests[1].headers['content-type'], 'application/json');
  });

  it('falls back to the anti-forgery header when the provider has no token', async () => {
    await adapterWith({ getAccessToken: async () => null }).beginConnect({ mode: 'popup' });
    const request = only();
    assert.equal(request.headers.authorization, undefined);
    assert.equal(request.headers['x-requested-with'], 'graph-mail');
  });

  it('a token provider that throws is an UnauthorizedError and sends nothing', async () => {
    const error = await adapterWith({
      getAccessToken: async () => {
        throw new Error('interaction_required');
      },
    })
      .getConfig()
      .catch((e: unknown) => e);
    assert.ok(error instanceof UnauthorizedError);
    assert.match(error.message, /interaction_required/);
    assert.equal(requests.length, 0);
  });

  it('builds query strings: filters encoded, empty ones left out', async () => {
    handler = (_req, res) => json(res, 200, { items: [], nextCursor: null, counts: {} });
    const adapter = adapterWith();
    await adapter.queryLog({ status: 'failed', q: 'a&b=c #1', from: '', to: '2025-01-31', cursor: 'abc_-1', limit: 20 });
    await adapter.getEndpointDefaults('usgov-dod');
    await adapter.connectStatus('st/ate+1');
    await adapter.getLogEntry('id 1');
    assert.deepEqual(
      requests.map((r) => r.url),
      [
        '/api/mail/log?status=failed&q=a%26b%3Dc+%231&to=2025-01-31&cursor=abc_-1&limit=20',
        '/api/mail/endpoints/defaults?cloud=usgov-dod',
        '/api/mail/connect/status?state=st%2Fate%2B1',
        '/api/mail/log/id%201',
      ],
    );
  });

  it('passes credentials and a custom fetch through, and trims a trailing slash of the base URL', async () => {
    const seen: RequestInit[] = [];
    const adapter = new HttpAdapter({
      baseUrl: `${base}/`,
      credentials: 'include',
      fetch: (input, init) => {
        seen.push(init ?? {});
        return fetch(input, init);
      },
    });
    await adapter.getClouds();
    assert.equal(only().url, '/api/mail/clouds');
    assert.equal(seen[0].credentials, 'include');
    assert.equal(new HttpAdapter({ baseUrl: base }).callbackOrigin, new URL(base).origin);
    assert.equal(new HttpAdapter({ callbackOrigin: 'https://mail.example.test' }).callbackOrigin, 'https://mail.example.test');
  });
});

describe('HttpAdapter errors', () => {
  const failWith = async (respond: Handler) => {
    handler = respond;
    return adapterWith()
      .saveConfig({} as never)
      .catch((error: unknown) => error);
  };

  it('400 with field errors → ValidationProblem with the dotted paths', async () => {
    const errors = [
      { path: 'tenantId', message: 'Tenant is required.', key: 'tenantId.required' },
      { path: 'endpoints.graphEndpoint', message: 'Host not allowed.' },
    ];
    const error = await failWith((_req, res) => problem(res, 400, { detail: 'Tenant is required.', errors }));
    assert.ok(error instanceof ValidationProblem);
    assert.deepEqual(error.errors, errors);
    assert.equal(error.status, 400);
    assert.equal(error.message, 'Tenant is required.');
  });

  it('400 without field errors → ValidationProblem with none', async () => {
    const error = await failWith((_req, res) => problem(res, 400, { detail: 'Bad JSON.' }));
    assert.ok(error instanceof ValidationProblem);
    assert.deepEqual(error.errors, []);
  });

  it('409 → ConflictError, 412 → StaleError', async () => {
    const conflict = await failWith((_req, res) => problem(res, 409, { detail: 'Disconnect first.' }));
    assert.ok(conflict instanceof ConflictError);
    assert.equal(conflict.message, 'Disconnect first.');
    const stale = await failWith((_req, res) => problem(res, 412, { detail: 'Reload.' }));
    assert.ok(stale instanceof StaleError);
    assert.equal(stale.status, 412);
  });

  it('401 and 403 → UnauthorizedError with the status', async () => {
    for (const status of [401, 403]) {
      const error = await failWith((_req, res) => problem(res, status, { detail: 'No.' }));
      assert.ok(error instanceof UnauthorizedError, String(status));
      assert.equal(error.status, status);
    }
  });

  it('429 → RateLimitedError with Retry-After in seconds, or from an HTTP date', async () => {
    const seconds = await failWith((_req, res) => problem(res, 429, { detail: 'Slow down.' }, { 'retry-after': '7' }));
    assert.ok(seconds instanceof RateLimitedError);
    assert.equal(seconds.retryAfterSeconds, 7);
    const date = await failWith((_req, res) => problem(res, 429, {}, { 'retry-after': new Date(Date.now() + 120_000).toUTCString() }));
    assert.ok(date instanceof RateLimitedError);
    assert.ok(date.retryAfterSeconds !== undefined && date.retryAfterSeconds > 100 && date.retryAfterSeconds <= 120, String(date.retryAfterSeconds));
    const none = await failWith((_req, res) => problem(res, 429, {}));
    assert.ok(none instanceof RateLimitedError);
    assert.equal(none.retryAfterSeconds, undefined);
  });

  it('an upstream problem → UpstreamFailure with code, hint and ids', async () => {
    const error = await failWith((_req, res) =>
      problem(res, 502, { detail: 'The secret is wrong.', code: 'AADSTS7000215', hint: 'Copy the Value.', requestId: 'req-1', correlationId: 'corr-1' }),
    );
    assert.ok(error instanceof UpstreamFailure);
    assert.deepEqual([error.code, error.hint, error.requestId, error.correlationId, error.status], ['AADSTS7000215', 'Copy the Value.', 'req-1', 'corr-1', 502]);
  });

  it('other statuses → BackendError; an HTML error page is not parsed', async () => {
    const missing = await failWith((_req, res) => problem(res, 404, { detail: 'No log entry has this id.' }));
    assert.ok(missing instanceof BackendError);
    assert.equal(missing.status, 404);
    assert.equal(missing.message, 'No log entry has this id.');
    const html = await failWith((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end('<h1>Oops</h1>');
    });
    assert.ok(html instanceof BackendError);
    assert.equal(html.status, 500);
    assert.doesNotMatch(html.message, /Oops/);
  });

  it('a 200 that is not JSON (a login page) is a BackendError, not a crash', async () => {
    const error = await failWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<form>Sign in</form>');
    });
    assert.ok(error instanceof BackendError);
    assert.match(error.message, /not JSON|other than JSON/);
  });

  it('an unreachable server → NetworkError', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const error = await new HttpAdapter({ baseUrl: `http://127.0.0.1:${port}/api/mail` }).getConfig().catch((e: unknown) => e);
    assert.ok(error instanceof NetworkError);
    assert.equal(error.status, 0);
  });

  it('a connection dropped mid-answer → NetworkError', async () => {
    handler = (_req, res) => res.destroy();
    const error = await adapterWith()
      .getConfig()
      .catch((e: unknown) => e);
    assert.ok(error instanceof NetworkError);
  });

  it('abort before the request sends nothing; abort while waiting → AbortedError and the server sees the close', async () => {
    const early = new AbortController();
    early.abort();
    assert.ok((await adapterWith().getConfig(early.signal).catch((e: unknown) => e)) instanceof AbortedError);
    assert.equal(requests.length, 0);

    const controller = new AbortController();
    let arrived!: () => void;
    const received = new Promise<void>((resolve) => (arrived = resolve));
    handler = () => arrived(); // never answers
    const pending = adapterWith()
      .getConfig(controller.signal)
      .catch((e: unknown) => e);
    await received;
    controller.abort();
    assert.ok((await pending) instanceof AbortedError);
  });
});

describe('HttpAdapter log CSV and live feed', () => {
  it('logCsvUrl is a plain link with the filters only; null with a token provider', () => {
    const adapter = new HttpAdapter();
    assert.equal(adapter.logCsvUrl({ status: 'failed', q: 'x y', cursor: 'abc', limit: 10 }), '/api/mail/log.csv?status=failed&q=x+y');
    assert.equal(adapter.logCsvUrl({}), '/api/mail/log.csv');
    assert.equal(new HttpAdapter({ getAccessToken: async () => 't' }).logCsvUrl({}), null);
  });

  it('downloadLogCsv fetches a Blob with the bearer token', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
      res.end('\uFEFFid,subject\r\n1,"a, b"\r\n');
    };
    const blob = await adapterWith({ getAccessToken: async () => 'tok' }).downloadLogCsv({ status: 'sent', limit: 5 });
    assert.match(blob.type, /^text\/csv/);
    assert.equal(new TextDecoder('utf-8', { ignoreBOM: true }).decode(await blob.arrayBuffer()), '\uFEFFid,subject\r\n1,"a, b"\r\n');
    const request = only();
    assert.equal(request.url, '/api/mail/log.csv?status=sent');
    assert.equal(request.headers.authorization, 'Bearer tok');
    assert.match(request.headers.accept ?? '', /text\/csv/);
  });

  it('subscribeLog reads `log` events (with the bearer), ignores others, reconnects, and stops on unsubscribe', async () => {
    let connection = 0;
    handler = (_req, res) => {
      connection += 1;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (connection === 1) {
        // Split across writes, CRLF line ends, a comment, a warning, then the server ends the stream.
        res.write('retry: 20\r\n: hello\r\n\r\nevent: warning\r\ndata: {"code":"W"}\r\n\r\nevent: log\r\nda');
        res.write('ta: {"id":"one","status":"queued"}\r\n\r\n');
        res.end();
      } else {
        res.write(`event: log\ndata: {"id":"two","status":"sent"}\n\n`);
      }
    };
    const changes: LogChange[] = [];
    let done!: () => void;
    const both = new Promise<void>((resolve) => (done = resolve));
    const stop = adapterWith({ getAccessToken: async () => 'tok' }).subscribeLog((change) => {
      changes.push(change);
      if (changes.length === 2) done();
    });
    await both;
    assert.deepEqual(
      changes.map((c) => [c.entry.id, c.entry.status]),
      [
        ['one', 'queued'],
        ['two', 'sent'],
      ],
    );
    assert.ok(requests.length >= 2, 'reconnected after the stream ended');
    for (const request of requests) {
      assert.equal(request.url, '/api/mail/log/stream');
      assert.equal(request.headers.authorization, 'Bearer tok');
      assert.match(request.headers.accept ?? '', /text\/event-stream/);
    }
    const before = requests.length;
    stop();
    await new Promise<void>((resolve) => {
      const check = () => (closed.length >= before ? resolve() : setTimeout(check, 10));
      check();
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(requests.length, before, 'no reconnect after unsubscribe');
  });

  it('subscribeLog gives up on a 4xx answer', async () => {
    handler = (_req, res) => problem(res, 401, {});
    adapterWith().subscribeLog(() => assert.fail('no change expected'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(requests.length, 1);
  });

  it('subscribeLog keeps asking a token provider that has no token yet, and connects once it has one', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: log\ndata: {"id":"one","status":"sent"}\n\n`);
    };
    let signedIn = false;
    let asked = 0;
    const getAccessToken = async () => {
      asked += 1;
      if (!signedIn) throw new Error('Sign-in required');
      return 'tok';
    };
    const arrived = new Promise<LogChange>((resolve) => {
      const stop = adapterWith({ getAccessToken }).subscribeLog((change) => {
        stop();
        resolve(change);
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(asked, 1);
    assert.equal(requests.length, 0, 'nothing is sent without a token');
    signedIn = true;
    assert.equal((await arrived).entry.id, 'one');
    assert.equal(asked, 2);
    assert.equal(requests[0].headers.authorization, 'Bearer tok');
  });

  it('subscribeLog with a token provider still gives up on a 403', async () => {
    handler = (_req, res) => problem(res, 403, {});
    adapterWith({ getAccessToken: async () => 'tok' }).subscribeLog(() => assert.fail('no change expected'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(requests.length, 1);
  });
});

describe('HttpAdapter passes the shared contract checks (through a MemoryAdapter served over HTTP)', () => {
  const servers: RestServer[] = [];
  const memories: MemoryAdapter[] = [];
  afterEach(async () => {
    for (const memory of memories.splice(0)) memory.dispose();
    for (const rest of servers.splice(0)) await rest.close();
  });
  for (const check of CONTRACT_CHECKS) {
    it(check.name, { timeout: 20_000 }, async () => {
      await check.run(async (options) => {
        const memory = new MemoryAdapter(options);
        memories.push(memory);
        const rest = await startMemoryRestServer(memory);
        servers.push(rest);
        return new HttpAdapter({ baseUrl: rest.baseUrl });
      });
    });
  }

  it('the facade enforces the anti-forgery header, so the checks above prove the adapter sends it', async () => {
    const memory = new MemoryAdapter();
    memories.push(memory);
    const rest = await startMemoryRestServer(memory);
    servers.push(rest);
    const response = await fetch(`${rest.baseUrl}/disconnect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(response.status, 403);
    const error = await new HttpAdapter({ baseUrl: rest.baseUrl, csrfToken: 'wrong' }).disconnect().catch((e: unknown) => e);
    assert.ok(error instanceof UnauthorizedError);
    assert.equal(error.status, 403);
  });
});
