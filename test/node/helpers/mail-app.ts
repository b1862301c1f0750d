/**
 * The mail routes on a real socket (Hono on Node's HTTP server), mounted under `/api/mail` as the
 * core mounts them, with stand-ins for the core's token and configuration services only.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { mailModule, type MailModule } from '../../../src/server/mail/index.js';
import type { MailModuleOptions } from '../../../src/server/mail/runtime.js';
import type { MailConfig, MailConfigSource, MailStatus, TokenSource } from '../../../src/server/mail/types.js';
import type { TestStore } from './mail-db.js';

export interface MailApp {
  url: string;
  module: MailModule;
  close(): Promise<void>;
}

/** A configuration source whose answers a test can change. */
export class SettableConfig implements MailConfigSource {
  constructor(
    public config: MailConfig | null = null,
    public status: MailStatus | null = null,
  ) {}
  getEffectiveConfig() {
    return this.config;
  }
  getStatus() {
    return this.status;
  }
}

export async function startMailApp(
  store: TestStore,
  options: Partial<MailModuleOptions> & { tokens?: TokenSource; config?: MailConfigSource; sandboxOrigin?: string; start?: boolean } = {},
): Promise<MailApp> {
  const { tokens, config, sandboxOrigin, start, ...moduleOptions } = options;
  const module = mailModule({ dataDir: store.dataDir, ...moduleOptions });
  const deps = {
    db: store.db,
    tokens: tokens ?? { getAccessToken: () => Promise.reject(new Error('not connected')) },
    config: config ?? new SettableConfig(),
    options: { sandboxOrigin },
  };
  const api = new Hono();
  module.mount(api, deps);
  const app = new Hono();
  app.route('/api/mail', api);
  if (start) module.start(deps);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/mail`,
    module,
    async close() {
      await module.stop(1000);
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
