/**
 * The core's tables on PostgreSQL, the same as ./migrations.ts for SQLite, and the migration runner.
 * Every step runs in its own transaction under one advisory lock, so several instances starting at
 * once apply each step exactly once, and a step that fails rolls back alone and stops the start.
 */
import type pg from 'pg';
import { inTransaction } from './pg-transaction.js';

/** One schema step. `id` is recorded once applied, so it must never change once released. */
export interface PgMigration {
  id: string;
  sql: string;
}

/** Any constant shared by every instance: the key of the advisory lock that serialises migrations. */
const MIGRATION_LOCK = 0x676d5f6d; // "gm_m"

export const PG_CORE_MIGRATIONS: PgMigration[] = [
  {
    id: 'core-0001-config',
    sql: `
      CREATE TABLE gm_config (
        config_id TEXT PRIMARY KEY,
        settings_json JSONB NOT NULL,
        revision TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      );

      CREATE TABLE gm_secret (
        config_id TEXT NOT NULL REFERENCES gm_config (config_id) ON DELETE CASCADE,
        field TEXT NOT NULL CHECK (field IN ('clientSecret', 'privateKey', 'nextClientSecret')),
        sealed TEXT NOT NULL CHECK (sealed LIKE 'gm1.%'),
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (config_id, field)
      );

      CREATE TABLE gm_connection (
        config_id TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('disconnected', 'connected', 'needs-reconnect', 'error')),
        account TEXT NOT NULL DEFAULT '',
        connected_at TEXT NOT NULL DEFAULT '',
        reason TEXT,
        granted_json JSONB NOT NULL DEFAULT '[]',
        scope TEXT NOT NULL DEFAULT '',
        refresh_sealed TEXT CHECK (refresh_sealed IS NULL OR refresh_sealed LIKE 'gm1.%'),
        token_version INTEGER NOT NULL DEFAULT 0,
        updated_at BIGINT NOT NULL,
        send_as_json JSONB
      );

      CREATE TABLE gm_audit (
        id BIGSERIAL PRIMARY KEY,
        config_id TEXT NOT NULL,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        fields_json JSONB NOT NULL
      );
      CREATE INDEX gm_audit_config ON gm_audit (config_id, id);
    `,
  },
  {
    id: 'core-0002-token-cache',
    sql: `
      CREATE TABLE gm_token (
        config_id TEXT PRIMARY KEY,
        stamp TEXT,
        sealed TEXT CHECK (sealed IS NULL OR sealed LIKE 'gm1.%'),
        scopes_json JSONB NOT NULL DEFAULT '[]',
        expires_at BIGINT NOT NULL DEFAULT 0,
        stored_at BIGINT NOT NULL DEFAULT 0,
        lease_holder TEXT,
        lease_until BIGINT NOT NULL DEFAULT 0
      );
    `,
  },
];

/** Runs `fn` in a transaction that holds the migration lock; rolls back when it throws. */
function underLock(client: pg.PoolClient, fn: () => Promise<void>): Promise<void> {
  return inTransaction(client, fn, `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
}

export const PG_SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Runs the migrations not yet recorded in `schema_migrations`, in order, first creating `schema` when
 * given (under the same lock: `CREATE SCHEMA IF NOT EXISTS` alone races). Returns the ids applied now.
 */
export async function migratePg(pool: pg.Pool, migrations: readonly PgMigration[], schema?: string): Promise<string[]> {
  if (schema !== undefined && !PG_SCHEMA_NAME.test(schema)) {
    throw new Error(`PostgreSQL schema "${schema}" is not valid: use lower-case letters, digits and _, starting with a letter.`);
  }
  const seen = new Set<string>();
  for (const migration of migrations) {
    if (seen.has(migration.id)) throw new Error(`Two migrations share the id "${migration.id}".`);
    seen.add(migration.id);
  }
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    if (schema) await underLock(client, async () => void (await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)));
    for (const migration of migrations) {
      await underLock(client, async () => {
        await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (seq BIGSERIAL, id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)');
        const done = await client.query('SELECT 1 FROM schema_migrations WHERE id = $1', [migration.id]);
        if (done.rowCount !== 0) return;
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)', [migration.id, Date.now()]);
        applied.push(migration.id);
      });
    }
  } finally {
    client.release();
  }
  return applied;
}

/** The ids recorded as applied, oldest first. */
export async function appliedPgMigrations(pool: pg.Pool): Promise<string[]> {
  const exists = await pool.query("SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'");
  if (exists.rowCount === 0) return [];
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY seq');
  return rows.map((row) => row.id);
}
