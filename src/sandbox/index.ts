/**
 * The sandbox cloud, started in-process: HTTP on `port` and HTTPS on `httpsPort` (by default the next
 * port), both on loopback, serving one app. `npm run sandbox` (main.ts) wraps this for the command
 * line; the demo launcher and the tests run that in a child process.
 */
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { createSandboxApp, type SandboxAppOptions } from './app.js';
import type { SandboxState } from './state.js';
import { loadOrCreateTls } from './tls.js';

export { createSandboxApp, type SandboxApp, type SandboxAppOptions } from './app.js';
export type { Seed, SeedApp, SeedUser, SeedTenant } from './seed.js';
export type { SandboxSettings } from './settings.js';
export { DEFAULT_SEED_PATH, loadSeed } from './seed.js';

export interface StartSandboxOptions extends SandboxAppOptions {
  /** HTTP port; 0 picks a free one. Default 8788. */
  port?: number;
  /** HTTPS port; default `port + 1` (a free one when `port` is 0); `false` for no HTTPS. */
  httpsPort?: number | false;
  /** Listening address; loopback by default, as the sandbox has no access control of its own. */
  host?: string;
  /** Where the HTTPS certificate and its CA are kept (`.data/sandbox/` for `npm run sandbox`); in memory when absent. */
  tlsDir?: string;
}

export interface RunningSandbox {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** `https://127.0.0.1:PORT+1`, or null without HTTPS. */
  httpsOrigin: string | null;
  /** The CA certificate (PEM) a client must trust for the HTTPS origin. */
  ca: string | null;
  /** The CA certificate's file, when kept in `tlsDir`. */
  caPath: string | null;
  state: SandboxState;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const hostForUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);

export async function startSandbox(options: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8788;
  const wantHttps = options.httpsPort !== false;
  const sandbox = createSandboxApp(options);
  const tls = wantHttps ? await loadOrCreateTls(options.tlsDir) : null;
  const servers: Server[] = [];
  const close = async () => {
    sandbox.close();
    await Promise.all(servers.map(closeServer));
  };
  try {
    const http = createAdaptorServer({ fetch: sandbox.app.fetch }) as Server;
    servers.push(http);
    const httpPort = await listen(http, port, host);
    let httpsPort: number | null = null;
    if (tls) {
      const https = createAdaptorServer({ fetch: sandbox.app.fetch, createServer: createHttpsServer, serverOptions: { key: tls.key, cert: tls.cert } }) as unknown as Server;
      servers.push(https);
      const wanted = typeof options.httpsPort === 'number' ? options.httpsPort : port === 0 ? 0 : port + 1;
      httpsPort = await listen(https, wanted, host);
    }
    const { state } = sandbox;
    const names = host === '127.0.0.1' || host === 'localhost' ? ['127.0.0.1', 'localhost'] : [hostForUrl(host)];
    for (const name of names) {
      state.origins.add(`http://${name}:${httpPort}`);
      if (httpsPort !== null) state.origins.add(`https://${name}:${httpsPort}`);
    }
    state.httpsPort = httpsPort;
    return {
      origin: `http://${hostForUrl(host)}:${httpPort}`,
      httpsOrigin: httpsPort === null ? null : `https://${hostForUrl(host)}:${httpsPort}`,
      ca: tls?.ca ?? null,
      caPath: tls?.caPath ?? null,
      state,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
