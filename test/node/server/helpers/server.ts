/**
 * The reference server on a real socket (port 0) with a real SQLite store in a temporary folder, and a
 * small client that records every response body, so a test can scan them all for a canary.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer, type StartServerOptions } from '../../../../src/server/index.js';

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

export interface TestServer {
  running: RunningServer;
  dir: string;
  key: string;
  /** Every line the server logged (start-up messages and its logger). */
  logs: string[];
  /** Every response body and header block this client received. */
  seen: string[];
  call<T = any>(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string>; csrf?: boolean; raw?: string }): Promise<Reply<T>>;
  /** The bytes of every file of the store (database, WAL), as one latin1 string, for canary scans. */
  storeBytes(): string;
  close(): Promise<void>;
}

export const randomKey = () => randomBytes(32).toString('base64');

export async function startTestServer(options: StartServerOptions & { dir?: string; keepDir?: boolean } = {}): Promise<TestServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'gm-server-'));
  const key = options.key ?? randomKey();
  const logs: string[] = [];
  const seen: string[] = [];
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) => logs.push(`${level} ${message} ${fields ? JSON.stringify(fields) : ''}`);
  const running = await startServer({
    port: 0,
    dataDir: dir,
    log: (message) => logs.push(message),
    logger: { info: line('info'), warn: line('warn'), error: line('error') },
    ...options,
    key: options.key === undefined && 'key' in options ? undefined : key,
  });
  return {
    running,
    dir,
    key,
    logs,
    seen,
    async call(method, path, callOptions = {}) {
      const headers: Record<string, string> = { ...(callOptions.headers ?? {}) };
      const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(method);
      if (unsafe && callOptions.csrf !== false && !Object.keys(headers).some((name) => name.toLowerCase() === 'x-requested-with')) headers['x-requested-with'] = 'graph-mail';
      let body: string | undefined = callOptions.raw;
      if (callOptions.body !== undefined) {
        body = JSON.stringify(callOptions.body);
        if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      }
      const response = await fetch(`${running.apiUrl}${path}`, { method, headers, body, redirect: 'manual' });
      const text = await response.text();
      seen.push(JSON.stringify([...response.headers]), text);
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json: json as any };
    },
    storeBytes() {
      return readdirSync(dir)
        .filter((name) => name.startsWith('graph-mail.sqlite'))
        .map((name) => readFileSync(join(dir, name)).toString('latin1'))
        .join('\n');
    },
    async close() {
      await running.close();
      if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A valid application-mode configuration on the global cloud. */
export function appConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    mode: 'application',
    cloud: 'global',
    tenantId: 'contoso.onmicrosoft.com',
    clientId: '1f9cc666-14df-40c7-a87e-393e20dcc061',
    clientSecret: 'Qx8Q~CanaryValue-0123456789abcdefXYZ',
    fromName: 'Timesheets',
    fromAddress: 'notifications@contoso.com',
    saveToSentItems: true,
    ...overrides,
  };
}

/** The demo client certificate and its key (the sandbox's default seed registers it on the first app). */
export function demoCertificate(): { certificatePem: string; privateKeyPem: string } {
  const pem = readFileSync(join(import.meta.dirname, '../../../../src/sandbox/demo-client-certificate.pem'), 'utf8');
  const privateKeyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(pem)![0];
  const certificatePem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0];
  return { certificatePem, privateKeyPem };
}
