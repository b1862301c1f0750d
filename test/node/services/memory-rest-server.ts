/**
 * A real HTTP server (node:http, port 0) that serves the REST contract from a MemoryAdapter, so that the
 * shared contract checks run through HttpAdapter, its headers and its error mapping. It enforces the
 * anti-forgery rule like the reference server: a state change without a bearer token needs the header.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudId, ConfigInput, ConnectRequest, LogQuery, Problem, TestRequest } from '../../../src/services/contract.js';
import { BackendError, NetworkError } from '../../../src/services/errors.js';
import type { MemoryAdapter } from '../../../src/services/memory-adapter.js';

export interface RestServer {
  baseUrl: string;
  /** Method and path of every request, with its lower-cased headers. */
  requests: Array<{ method: string; path: string; headers: Record<string, string | string[] | undefined> }>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

function sendProblem(res: ServerResponse, status: number, body: Problem, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
  res.end(JSON.stringify(body));
}

export async function startMemoryRestServer(memory: MemoryAdapter, base = '/api/mail'): Promise<RestServer> {
  const requests: RestServer['requests'] = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.slice(base.length);
    const method = req.method ?? 'GET';
    requests.push({ method, path: url.pathname, headers: { ...req.headers } });
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const signal = controller.signal;
    const q = Object.fromEntries(url.searchParams) as Record<string, string>;
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(value === undefined ? '' : JSON.stringify(value));
    };
    try {
      if (!url.pathname.startsWith(base)) return sendProblem(res, 404, { type: 'about:blank', title: 'Not found', status: 404 });
      const bearer = /^Bearer \S+$/.test(req.headers.authorization ?? '');
      if (method !== 'GET' && !bearer && req.headers['x-requested-with'] !== 'graph-mail') {
        return sendProblem(res, 403, { type: 'about:blank', title: 'Forbidden', status: 403, detail: 'The anti-forgery header is missing.' });
      }
      const body = method === 'GET' ? undefined : await readBody(req);
      const route = `${method} ${path.replace(/^\/log\/(?!stream$)[^/]+/, '/log/:id')}`;
      const id = decodeURIComponent(path.split('/')[2] ?? '');
      switch (route) {
        case 'GET /config':
          return json(200, await memory.getConfig(signal));
        case 'PUT /config':
          return json(200, await memory.saveConfig(body as ConfigInput, { etag: req.headers['if-match'], signal }));
        case 'DELETE /config':
          await memory.clearConfig(signal);
          return json(204, undefined);
        case 'GET /clouds':
          return json(200, await memory.getClouds(signal));
        case 'GET /endpoints/defaults':
          return json(200, await memory.getEndpointDefaults(q.cloud as CloudId, signal));
        case 'POST /connect':
          return json(200, await memory.beginConnect(body as ConnectRequest, signal));
        case 'GET /connect/status':
          return json(200, await memory.connectStatus(q.state ?? '', signal));
        case 'POST /disconnect':
          return json(200, await memory.disconnect(signal));
        case 'POST /test':
          return json(200, await memory.test(body as TestRequest, signal));
        case 'GET /log':
          return json(200, await memory.queryLog(q as LogQuery, signal));
        case 'GET /log.csv': {
          const blob = await memory.downloadLogCsv(q as LogQuery, signal);
          res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
          return res.end(Buffer.from(await blob.arrayBuffer()));
        }
        case 'GET /log/stream': {
          res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
          res.write('retry: 50\n: connected\n\n');
          memory.subscribeLog((change) => res.write(`event: log\ndata: ${JSON.stringify(change.entry)}\n\n`), signal);
          return;
        }
        case 'GET /log/:id':
          return json(200, await memory.getLogEntry(id, signal));
        case 'POST /log/:id/retry':
          await memory.retryLogEntry(id, signal);
          return json(202, { id, status: 'queued' });
        case 'GET /assistant/tenant':
          return json(200, await memory.lookupTenant(q.tenant ?? '', signal));
        case 'GET /assistant/restrict-app':
          return json(200, await memory.getAppRestriction(signal));
        case 'GET /assistant/support-bundle': {
          const blob = await memory.downloadSupportBundle(signal);
          res.writeHead(200, { 'content-type': 'application/json', 'content-disposition': 'attachment; filename="graph-mail-support.json"' });
          return res.end(Buffer.from(await blob.arrayBuffer()));
        }
        default:
          return sendProblem(res, 404, { type: 'about:blank', title: 'Not found', status: 404 });
      }
    } catch (error) {
      if (signal.aborted) return;
      // The memory adapter's "network" failure becomes what it stands for: a dropped connection.
      if (error instanceof NetworkError) return void res.destroy();
      if (error instanceof BackendError) {
        const problem = error.problem ?? { type: 'about:blank', title: error.name, status: error.status || 500, detail: error.message };
        const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
        return sendProblem(res, error.status || 500, problem, retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) });
      }
      sendProblem(res, 500, { type: 'about:blank', title: 'Internal error', status: 500, detail: String(error) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${base}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
