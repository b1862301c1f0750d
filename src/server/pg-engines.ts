/**
 * Every store of the reference server on one PostgreSQL database (`GRAPH_MAIL_DATABASE_URL`, with an
 * optional `GRAPH_MAIL_DATABASE_SCHEMA`): one pool, the core's, the connect flow's and the mail
 * module's migrations run once (under the migrations' advisory lock, so instances starting together
 * migrate once), and each engine built on that pool. The core store owns the pool: closing it ends
 * the pool, after the others have stopped.
 */
import { PG_CONNECT_MIGRATIONS, PgConnectStates, type ConnectStates } from './connect/index.js';
import type { ConnectSealer } from './connect/types.js';
import { PG_MAIL_MIGRATIONS } from './mail/pg-migrations.js';
import { PgMailboxSlots, PG_SLOTS_MIGRATIONS } from './mail/pg-slots.js';
import { PgMailStore } from './mail/pg-store.js';
import type { MailboxSlots, SharedSlotsOptions } from './mail/shared-slots.js';
import type { MailStore } from './mail/store.js';
import { PG_SCHEMA_NAME } from './store/pg-migrations.js';
import { PgStore } from './store/pg-store.js';

export interface PgEnginesOptions {
  /** `GRAPH_MAIL_DATABASE_URL`: `postgres://user:password@host:port/database`. */
  connectionString: string;
  /** `GRAPH_MAIL_DATABASE_SCHEMA`: a schema of its own (created when missing); default the role's search path. */
  schema?: string;
  /** Seals the pending sign-ins' PKCE verifiers, as on SQLite. */
  sealer: ConnectSealer;
  /** The shared mailbox slots' timing (the mail module's `sharedSlots`). */
  sharedSlots?: SharedSlotsOptions;
  /** Connections in the pool [10]. */
  max?: number;
}

/** The stores `createGraphMailServer` takes instead of its SQLite defaults. */
export interface PgEngines {
  store: PgStore;
  connectStates: ConnectStates;
  mailStore: MailStore;
  mailboxSlots: MailboxSlots;
}

/** The URL without its password, for messages. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
}

/** Checks the URL and the schema name before anything connects; throws naming the variable and the fix. */
export function checkPgSettings(connectionString: string, schema?: string): void {
  let url: URL | null = null;
  try {
    url = new URL(connectionString);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') || !url.hostname) {
    throw new Error(
      `GRAPH_MAIL_DATABASE_URL "${redactDatabaseUrl(connectionString)}" is not a PostgreSQL URL: use postgres://user:password@host:5432/database (leave it unset for the SQLite file under the data folder).`,
    );
  }
  if (schema !== undefined && !PG_SCHEMA_NAME.test(schema)) {
    throw new Error(`GRAPH_MAIL_DATABASE_SCHEMA "${schema}" is not allowed: use lower-case letters, digits and _, starting with a letter or _ (at most 63), such as graph_mail.`);
  }
}

/** Opens the pool, runs every migration not yet applied and builds the engines on it. */
export async function openPgEngines(options: PgEnginesOptions): Promise<PgEngines> {
  checkPgSettings(options.connectionString, options.schema);
  let store: PgStore;
  try {
    store = await PgStore.open({
      connectionString: options.connectionString,
      schema: options.schema,
      max: options.max,
      migrations: [...PG_CONNECT_MIGRATIONS, ...PG_MAIL_MIGRATIONS, ...PG_SLOTS_MIGRATIONS],
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: string }).code;
    // Connection failures (refused, unknown host, time-out, refused login) have no SQLSTATE of a statement.
    const unreachable = !code || /^(E[A-Z]+|28|3D|08)/.test(code);
    throw new Error(
      unreachable
        ? `GRAPH_MAIL_DATABASE_URL: the database at ${redactDatabaseUrl(options.connectionString)} could not be reached (${reason}): start PostgreSQL, or correct the host, port, database, user or password in the URL.`
        : `GRAPH_MAIL_DATABASE_URL: the database at ${redactDatabaseUrl(options.connectionString)} could not be prepared (${reason}): the role needs to create tables${options.schema ? ` in schema ${options.schema}` : ''}.`,
      { cause: error },
    );
  }
  return {
    store,
    connectStates: new PgConnectStates(store.pool, options.sealer),
    mailStore: new PgMailStore(store.pool),
    mailboxSlots: new PgMailboxSlots(store.pool, options.sharedSlots),
  };
}
