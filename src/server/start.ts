/**
 * `startServer(options)`: the reference server on a socket of its own (@hono/node-server), with its
 * SQLite store and key under the data folder, or every store on PostgreSQL (`databaseUrl`). Used by
 * `src/server/main.ts`, the demo and the tests.
 */
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createGraphMailServer, type GraphMailServer, type GraphMailServerOptions, type ServerEnv } from './app.js';
import { loadKeyring } from './crypto/keys.js';
import { Sealer } from './crypto/sealer.js';
import { openDatabase, type Db } from './db.js';
import { checkPgSettings, openPgEngines, redactDatabaseUrl, type PgEngines } from './pg-engines.js';

export interface StartServerOptions extends Partial<Omit<GraphMailServerOptions, 'db' | 'sealer' | 'dataDir' | 'publicUrl'>> {
  /** [8787]; 0 picks a free port. */
  port?: number;
  /** Interface to listen on [127.0.0.1]. */
  host?: string;
  /** The store's folder [.data]: database, key file (demo), attachments. */
  dataDir?: string;
  /** `PUBLIC_URL` [http://127.0.0.1:PORT]. */
  publicUrl?: string;
  /** `GRAPH_MAIL_KEY`: one base64 key, or `id:key,id:key` (the first seals). */
  key?: string;
  /** The key file used without `key` outside production [<dataDir>/graph-mail.key]. */
  keyFile?: string;
  /** The database file [<dataDir>/graph-mail.sqlite]. */
  databaseFile?: string;
  /**
   * `GRAPH_MAIL_DATABASE_URL`: every store on this PostgreSQL database instead of the SQLite file
   * (attachments stay under the data folder). Implies `mail.instances: 'several'`: on a shared database
   * no process is ever alone.
   */
  databaseUrl?: string;
  /** `GRAPH_MAIL_DATABASE_SCHEMA`: the schema on that database (created when missing); default the role's search path. */
  databaseSchema?: string;
  /** Start-up messages (the key file, the URLs); default `console.log`. */
  log?: (message: string) => void;
  /** Adds routes beside the API (the demo's pages), on the root app. */
  configure?: (root: Hono<ServerEnv>, server: GraphMailServer) => void;
}

export interface RunningServer {
  /** The server's origin, e.g. `http://127.0.0.1:8787`. */
  url: string;
  /** The API's base URL, e.g. `http://127.0.0.1:8787/api/mail`. */
  apiUrl: string;
  port: number;
  /** The root Hono app (the API under its base path, plus what `configure` added). */
  app: Hono<ServerEnv>;
  server: GraphMailServer;
  close(): Promise<void>;
}

const urlHost = (host: string) => (host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host);

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const log = options.log ?? ((message: string) => console.log(message));
  const production = options.production ?? process.env.NODE_ENV === 'production';
  const dataDir = resolve(options.dataDir ?? '.data');
  const host = options.host ?? '127.0.0.1';
  // The key first: production without one stops here, before anything is created or listens.
  const { keyring } = loadKeyring({ key: options.key, keyFile: options.keyFile ?? join(dataDir, 'graph-mail.key'), production, log });
  if (options.databaseUrl) checkPgSettings(options.databaseUrl, options.databaseSchema);
  mkdirSync(dataDir, { recursive: true });
  const sealer = new Sealer(keyring);
  let db: Db | null = null;
  let engines: PgEngines | null = null;
  let mail = options.mail;
  if (options.databaseUrl) {
    const mailOptions = options.mail === false ? {} : (options.mail ?? {});
    engines = await openPgEngines({ connectionString: options.databaseUrl, schema: options.databaseSchema, sealer, sharedSlots: mailOptions.sharedSlots });
    if (mail !== false) mail = { ...mailOptions, instances: 'several' };
    log(`graph-mail: stores on PostgreSQL at ${redactDatabaseUrl(options.databaseUrl)}${options.databaseSchema ? ` (schema ${options.databaseSchema})` : ''}.`);
  } else {
    db = openDatabase(options.databaseFile ?? join(dataDir, 'graph-mail.sqlite'));
  }

  let port = options.port ?? 8787;
  const publicUrl = () => options.publicUrl ?? `http://${urlHost(host)}:${port}`;
  // The listening port's loopback names also name this server (a health check on the machine itself,
  // behind a proxy that keeps PUBLIC_URL's Host); a rebinding page cannot send these Host values.
  const allowedHosts = [...(options.allowedHosts ?? [])];
  let graphMail: GraphMailServer;
  try {
    graphMail = createGraphMailServer({ ...options, ...(engines ?? {}), ...(db ? { db } : {}), mail, production, sealer, dataDir, publicUrl, allowedHosts });
  } catch (error) {
    db?.close();
    await engines?.store.close();
    throw error;
  }
  const resealed = await graphMail.store.resealAll((sealed, context) => {
    if (!sealer.isStale(sealed)) return null;
    try {
      return sealer.reseal(sealed, context);
    } catch {
      // Its key is gone: left as it is, it fails closed when used.
      return null;
    }
  });
  if (resealed) log(`graph-mail: re-sealed ${resealed} stored value(s) with the current key (${keyring.current.id}).`);

  const root = new Hono<ServerEnv>();
  root.route('/', graphMail.app);
  options.configure?.(root, graphMail);

  const server = createAdaptorServer({ fetch: root.fetch, hostname: host });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;
  allowedHosts.push(`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`);
  graphMail.start();
  const url = publicUrl();
  if (production && !options.adminToken && !options.authorize) {
    log('graph-mail: production mode without GRAPH_MAIL_ADMIN_TOKEN or an authorize hook: the admin API refuses every request.');
  }

  let closed: Promise<void> | undefined;
  return {
    url,
    apiUrl: `${url}${graphMail.basePath}`,
    port,
    app: root,
    server: graphMail,
    close() {
      closed ??= (async () => {
        await graphMail.stop(2000);
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
        await graphMail.store.close();
        if (db?.open) db.close();
      })();
      return closed;
    },
  };
}
