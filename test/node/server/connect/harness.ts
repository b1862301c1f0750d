/**
 * The connect routes on a real socket, mounted under `/api/mail` on a small Hono app, with a test
 * implementation of `ConnectDeps` backed by real SQLite in a temporary folder: the configuration and
 * the saved grant live in tables of their own, the PKCE verifier is sealed with AES-256-GCM. The
 * sandbox cloud runs as its own process and is reached over HTTP only.
 */
import { serve, type ServerType } from '@hono/node-server';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudId, ConfigView, EndpointTemplates } from '../../../../src/services/contract.js';
import { defaultEndpoints } from '../../../../src/services/endpoints.js';
import {
  CONNECT_MIGRATIONS,
  mountConnectRoutes,
  type ConnectConfig,
  type ConnectDeps,
  type ConnectSealer,
  type DelegatedGrant,
} from '../../../../src/server/connect/index.js';
import type { Db } from '../../../../src/server/connect/types.js';

export const BASE_PATH = '/api/mail';

/** What the test saves as "the configuration". */
export interface TestConfig {
  mode: 'delegated' | 'application';
  cloud: CloudId;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  endpoints?: Partial<EndpointTemplates>;
  useDrafts?: boolean;
}

export interface SavedConnection {
  account: string;
  user_id: string | null;
  refresh_token: string;
  access_token: string;
  expires_at: number;
  scopes: string;
  requested_scope: string;
  cloud: string;
  tenant_id: string;
  client_id: string;
  connected_at: number;
}

function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS test_migrations (id TEXT PRIMARY KEY)');
  for (const migration of CONNECT_MIGRATIONS) {
    if (db.prepare('SELECT 1 FROM test_migrations WHERE id = ?').get(migration.id)) continue;
    db.transaction(() => {
      migration.up(db);
      db.prepare('INSERT INTO test_migrations (id) VALUES (?)').run(migration.id);
    })();
  }
  db.exec(`
    CREATE TABLE IF NOT EXISTS test_config (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS test_connection (
      id INTEGER PRIMARY KEY CHECK (id = 1), account TEXT NOT NULL, user_id TEXT, refresh_token TEXT NOT NULL,
      access_token TEXT NOT NULL, expires_at INTEGER NOT NULL, scopes TEXT NOT NULL, requested_scope TEXT NOT NULL,
      cloud TEXT NOT NULL, tenant_id TEXT NOT NULL, client_id TEXT NOT NULL, connected_at INTEGER NOT NULL
    );
  `);
}

/** AES-256-GCM with the context as associated data: `iv.tag.ciphertext`, base64url. */
export function testSealer(): ConnectSealer {
  const key = randomBytes(32);
  return {
    seal(plain, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url')).join('.');
    },
    open(sealed, context) {
      const [iv, tag, body] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    },
  };
}

/** The core, as far as the connect flow needs it, over the test's own tables. */
export class TestCore {
  /** Milliseconds added to the real clock, so a test can let a sign-in expire. */
  clockOffsetMs = 0;
  /** Whether `saveDelegatedGrant` should refuse (a core that cannot save). */
  failSave = false;
  readonly sandboxOrigin: string | undefined;

  constructor(
    readonly db: Db,
    sandboxOrigin?: string,
  ) {
    this.sandboxOrigin = sandboxOrigin;
  }

  now = () => Date.now() + this.clockOffsetMs;

  saveConfig(config: TestConfig | null): void {
    if (config === null) this.db.prepare('DELETE FROM test_config').run();
    else this.db.prepare('INSERT INTO test_config (id, json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json').run(JSON.stringify(config));
  }

  storedConfig(): TestConfig | null {
    const row = this.db.prepare('SELECT json FROM test_config WHERE id = 1').get() as { json: string } | undefined;
    return row ? (JSON.parse(row.json) as TestConfig) : null;
  }

  connection(): SavedConnection | null {
    return (this.db.prepare('SELECT * FROM test_connection WHERE id = 1').get() as SavedConnection | undefined) ?? null;
  }

  getConnectConfig(): ConnectConfig | null {
    const stored = this.storedConfig();
    if (!stored) return null;
    const endpoints = { ...defaultEndpoints(stored.cloud, this.sandboxOrigin), ...(stored.endpoints ?? {}) };
    const secret = stored.clientSecret;
    return {
      mode: stored.mode,
      cloud: stored.cloud,
      tenantId: stored.tenantId,
      clientId: stored.clientId,
      endpoints,
      clientAuth: secret ? () => ({ client_secret: secret }) : null,
      useDrafts: stored.useDrafts,
    };
  }

  saveDelegatedGrant(grant: DelegatedGrant): void {
    if (this.failSave) throw new Error('the store is read-only');
    this.db
      .prepare(
        `INSERT INTO test_connection (id, account, user_id, refresh_token, access_token, expires_at, scopes, requested_scope, cloud, tenant_id, client_id, connected_at)
         VALUES (1, @account, @userId, @refreshToken, @accessToken, @expiresAt, @scopes, @requestedScope, @cloud, @tenantId, @clientId, @connectedAt)
         ON CONFLICT (id) DO UPDATE SET account = excluded.account, user_id = excluded.user_id, refresh_token = excluded.refresh_token,
           access_token = excluded.access_token, expires_at = excluded.expires_at, scopes = excluded.scopes,
           requested_scope = excluded.requested_scope, cloud = excluded.cloud, tenant_id = excluded.tenant_id,
           client_id = excluded.client_id, connected_at = excluded.connected_at`,
      )
      .run({ ...grant, userId: grant.userId ?? null, scopes: grant.scopes.join(' '), connectedAt: this.now() });
  }

  disconnect(): void {
    this.db.prepare('DELETE FROM test_connection').run();
  }

  getConfigView(redirectUri: string): ConfigView {
    const stored = this.storedConfig();
    const connection = this.connection();
    const cloud = stored?.cloud ?? 'global';
    return {
      mode: stored?.mode ?? 'delegated',
      cloud,
      tenantId: stored?.tenantId ?? '',
      clientId: stored?.clientId ?? '',
      credential: 'secret',
      secretExpiresAt: '',
      fromName: '',
      fromAddress: '',
      saveToSentItems: true,
      endpoints: { ...defaultEndpoints(cloud, this.sandboxOrigin), ...(stored?.endpoints ?? {}) },
      secret: { set: !!stored?.clientSecret, hint: stored?.clientSecret ? `${stored.clientSecret.slice(0, 3)}…` : '', expiresAt: '' },
      connection: connection
        ? { state: 'connected', account: connection.account, connectedAt: new Date(connection.connected_at).toISOString() }
        : { state: 'disconnected', account: '', connectedAt: '' },
      locked: !!connection,
      redirectUri,
      etag: connection ? `"connected-${connection.connected_at}"` : '"disconnected"',
    };
  }
}

export interface ConnectApp {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** `origin` + `/api/mail` */
  api: string;
  redirectUri: string;
  core: TestCore;
  db: Db;
  dbFile: string;
  logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }>;
  close(): Promise<void>;
}

export interface ConnectAppOptions {
  sandboxOrigin?: string;
  allowedOrigins?: string[];
  /** Bearer tokens the test admits, and the admin each names. */
  adminTokens?: Record<string, string>;
  sealer?: boolean;
}

export async function startConnectApp(options: ConnectAppOptions = {}): Promise<ConnectApp> {
  const dir = mkdtempSync(join(tmpdir(), 'connect-test-'));
  const dbFile = join(dir, 'store.sqlite');
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  migrate(db);
  const core = new TestCore(db, options.sandboxOrigin);
  const logs: ConnectApp['logs'] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => logs.push({ level, message, fields });
  let origin = '';
  const redirectUri = () => `${origin}${BASE_PATH}/connect/callback`;

  const deps: ConnectDeps = {
    db,
    getConnectConfig: () => core.getConnectConfig(),
    redirectUri,
    basePath: BASE_PATH,
    allowedOrigins: options.allowedOrigins,
    hostOptions: { sandboxOrigin: options.sandboxOrigin },
    saveDelegatedGrant: (_configId, grant) => core.saveDelegatedGrant(grant),
    disconnect: () => core.disconnect(),
    getConfigView: () => core.getConfigView(redirectUri()),
    adminIdentity: (request) => {
      const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '');
      return match ? (options.adminTokens?.[match[1]] ?? null) : null;
    },
    sealer: options.sealer === false ? undefined : testSealer(),
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    now: core.now,
  };
  const api = new Hono();
  mountConnectRoutes(api, deps);
  const app = new Hono();
  app.route(BASE_PATH, api);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    api: `${origin}${BASE_PATH}`,
    redirectUri: redirectUri(),
    core,
    db,
    dbFile,
    logs,
    async close() {
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A browser's view of the server: it keeps the cookies the server sets and sends them back. */
export class Browser {
  readonly cookies = new Map<string, string>();
  /** The raw `Set-Cookie` lines received, for attribute checks. */
  readonly setCookieLines: string[] = [];

  constructor(private readonly extraHeaders: Record<string, string> = {}) {}

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(this.extraHeaders)) if (!headers.has(name)) headers.set(name, value);
    if (this.cookies.size) headers.set('cookie', this.cookieHeader());
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      this.setCookieLines.push(line);
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0\b/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return this.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'graph-mail', ...headers },
      body: JSON.stringify(body),
    });
  }
}

/** The JSON data the callback page posts (from its `application/json` script element). */
export function pageData(html: string): { message: Record<string, unknown> | null; targets: string[] } {
  const match = /<script type="application\/json" id="gm-connect-data">([\s\S]*?)<\/script>/.exec(html);
  if (!match) throw new Error(`no data element in the page:\n${html}`);
  return JSON.parse(match[1]) as { message: Record<string, unknown> | null; targets: string[] };
}
