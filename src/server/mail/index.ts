/**
 * The sending side of the reference server: durable outbox, Graph send paths, notification log API,
 * `/send` for hosts that are not Node, `/health`, token keep-alive. One module the core mounts:
 *
 *   const mail = mailModule({ dataDir, ...mailOptionsFromEnv() });
 *   migrate(db, [...coreMigrations, ...mail.migrations]);
 *   createGraphMailServer({ ..., publicPaths: mail.publicPaths, mounts: [mail.mount] });
 *   mail.start(deps);            // workers, keep-alive, retention
 *   await mail.stop();           // on shutdown, before the database closes
 */
import type { Hono } from 'hono';
import { MAIL_MIGRATIONS } from './migrations.js';
import { mountMailRoutes } from './routes.js';
import { MailRuntime, resolveMailOptions, type MailDeps, type MailModuleOptions } from './runtime.js';
import type { MailMigration } from './types.js';

export interface MailModule {
  migrations: MailMigration[];
  /** Paths the core's admin authorisation leaves alone: `/send` has its own token, `/health` is public. */
  publicPaths: string[];
  /** Registers the routes on the mail API's router (creates the runtime on first use). */
  mount(router: Hono<any>, deps: MailDeps): void;
  /** Starts workers, keep-alive and retention (creates the runtime on first use). */
  start(deps: MailDeps): MailRuntime;
  stop(graceMs?: number): Promise<void>;
  /** The runtime, once mount or start created it. */
  readonly runtime: MailRuntime | null;
}

export function mailModule(options: MailModuleOptions): MailModule {
  const resolved = resolveMailOptions(options);
  let runtime: MailRuntime | null = null;
  const ensure = (deps: MailDeps) => (runtime ??= new MailRuntime(resolved, deps));
  return {
    migrations: MAIL_MIGRATIONS,
    publicPaths: ['/send', '/health'],
    mount(router, deps) {
      mountMailRoutes(router, ensure(deps));
    },
    start(deps) {
      const current = ensure(deps);
      current.start();
      return current;
    },
    async stop(graceMs) {
      await runtime?.stop(graceMs);
    },
    get runtime() {
      return runtime;
    },
  };
}

export { MAIL_MIGRATIONS } from './migrations.js';
export { MailRuntime, createMailApi, mailOptionsFromEnv, resolveMailOptions } from './runtime.js';
export type { MailApi, MailApiMessage, MailDeps, MailModuleOptions } from './runtime.js';
export { Outbox, type OutboxOptions, type OutboxEvent } from './outbox.js';
export { GraphMailer, type GraphMailerOptions } from './graph-mailer.js';
export { LogStore } from './log-store.js';
export { SqliteMailStore } from './sqlite-store.js';
export { PgMailStore } from './pg-store.js';
export { PG_MAIL_MIGRATIONS } from './pg-migrations.js';
export type { MailLog, MailStore } from './store.js';
export { MailInputError, type AttachmentInput } from './attachments.js';
export type { MailConfig, MailConfigSource, MailStatus, TokenSource, AccessTokenInfo, MailMigration, MailLogger } from './types.js';
