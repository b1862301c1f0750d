/**
 * The PostgreSQL engine of the store interface (node-postgres), for many configurations served by
 * several instances on one database. Same tables and the same meaning as the SQLite engine
 * (./sqlite-store.ts); what differs is how concurrent writers are kept apart:
 * - the configuration's compare-and-swap is the UPDATE's own `WHERE revision = $n` (or an
 *   `INSERT … ON CONFLICT DO NOTHING` when the caller expects no row), so two instances saving from the
 *   same revision cannot both win;
 * - a token update locks its connection row (`SELECT … FOR UPDATE`) and checks `token_version`, so one
 *   refresh per configuration wins across instances;
 * - migrations run under a transaction-level advisory lock, so instances starting together migrate once.
 *
 * Times are milliseconds in BIGINT columns, which node-postgres returns as strings: the mappers below
 * turn them back into numbers (they stay far below 2^53).
 */
import pg from 'pg';
import { withTransaction } from './pg-transaction.js';
import { applyTokenUpdate } from './connection-update.js';
import { newRevision, toAudit, toConfig, toConnection, type AuditRow, type ConfigRow, type ConnectionRow } from './rows.js';
import { PG_CORE_MIGRATIONS, migratePg, type PgMigration } from './pg-migrations.js';
import {
  SECRET_FIELDS,
  sealedAt,
  type AuditEntry,
  type AuditInput,
  type CachedTokenRecord,
  type ConfigRecord,
  type ConfigWrite,
  type ConfigWriteResult,
  type ConnectionRecord,
  type ConnectionWrite,
  type GraphMailStore,
  type SecretField,
  type TokenUpdate,
} from './types.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

export interface PgStoreOptions {
  /** `postgres://user:password@host:port/database` (GRAPH_MAIL_DATABASE_URL). */
  connectionString: string;
  /** A schema of its own (created when missing); default the role's search path. */
  schema?: string;
  /** Connections in the pool [10]. */
  max?: number;
  /** Migrations besides the core's (the modules' own), run in the given order after them. */
  migrations?: readonly PgMigration[];
}

export class PgStore implements GraphMailStore {
  readonly engine = 'postgres';

  private constructor(readonly pool: pg.Pool) {}

  /** Connects, creates the schema when asked for one (checked first), and runs the migrations not yet applied. */
  static async open(options: PgStoreOptions): Promise<PgStore> {
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max ?? 10,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // An idle connection the server drops (a restart, a failover) must not crash the process.
    pool.on('error', () => undefined);
    try {
      await migratePg(pool, [...PG_CORE_MIGRATIONS, ...(options.migrations ?? [])], options.schema);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return new PgStore(pool);
  }

  /** Runs `fn` in one transaction on one connection; rolls back when it throws. */
  private tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, fn);
  }

  private async configRow(db: Queryable, configId: string): Promise<ConfigRecord | null> {
    const { rows } = await db.query<ConfigRow>('SELECT * FROM gm_config WHERE config_id = $1', [configId]);
    return rows[0] ? toConfig(rows[0]) : null;
  }

  private async audit(db: Queryable, configId: string, entry: AuditInput, now = Date.now()): Promise<AuditEntry> {
    const { rows } = await db.query<{ id: string }>('INSERT INTO gm_audit (config_id, at, actor, action, fields_json) VALUES ($1, $2, $3, $4, $5) RETURNING id', [
      configId,
      now,
      entry.actor,
      entry.action,
      JSON.stringify(entry.fields),
    ]);
    return { id: Number(rows[0].id), at: new Date(now).toISOString(), actor: entry.actor, action: entry.action, fields: [...entry.fields] };
  }

  async listConfigIds(): Promise<string[]> {
    const { rows } = await this.pool.query<{ config_id: string }>('SELECT config_id FROM gm_config ORDER BY config_id');
    return rows.map((row) => row.config_id);
  }

  async getConfig(configId: string): Promise<ConfigRecord | null> {
    return this.configRow(this.pool, configId);
  }

  async saveConfig(configId: string, write: ConfigWrite): Promise<ConfigWriteResult> {
    return this.tx(async (client) => {
      const now = Date.now();
      const revision = newRevision();
      const settings = JSON.stringify(write.settings);
      let written: number;
      if (write.expectRevision === undefined) {
        const result = await client.query(
          `INSERT INTO gm_config (config_id, settings_json, revision, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (config_id) DO UPDATE SET settings_json = excluded.settings_json, revision = excluded.revision, updated_at = excluded.updated_at`,
          [configId, settings, revision, now],
        );
        written = result.rowCount ?? 0;
      } else if (write.expectRevision === null) {
        const result = await client.query(
          'INSERT INTO gm_config (config_id, settings_json, revision, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (config_id) DO NOTHING',
          [configId, settings, revision, now],
        );
        written = result.rowCount ?? 0;
      } else {
        const result = await client.query('UPDATE gm_config SET settings_json = $2, revision = $3, updated_at = $4 WHERE config_id = $1 AND revision = $5', [
          configId,
          settings,
          revision,
          now,
          write.expectRevision,
        ]);
        written = result.rowCount ?? 0;
      }
      if (written === 0) return { ok: false, reason: 'stale', current: await this.configRow(client, configId) } as const;
      for (const field of write.removeSecrets ?? []) {
        await client.query('DELETE FROM gm_secret WHERE config_id = $1 AND field = $2', [configId, field]);
      }
      for (const [field, sealed] of Object.entries(write.setSecrets ?? {})) {
        if (sealed === undefined) continue;
        await client.query(
          `INSERT INTO gm_secret (config_id, field, sealed, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (config_id, field) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
          [configId, field, sealed, now],
        );
      }
      await this.audit(client, configId, write.audit, now);
      return { ok: true, record: { configId, settings: write.settings, revision, updatedAt: now } } as const;
    });
  }

  async getSecret(configId: string, field: SecretField): Promise<string | null> {
    const { rows } = await this.pool.query<{ sealed: string }>('SELECT sealed FROM gm_secret WHERE config_id = $1 AND field = $2', [configId, field]);
    return rows[0]?.sealed ?? null;
  }

  async secretFields(configId: string): Promise<SecretField[]> {
    const { rows } = await this.pool.query<{ field: SecretField }>('SELECT field FROM gm_secret WHERE config_id = $1 ORDER BY field', [configId]);
    return rows.map((row) => row.field);
  }

  async clearConfig(configId: string, audit: AuditInput): Promise<void> {
    await this.tx(async (client) => {
      await client.query('DELETE FROM gm_secret WHERE config_id = $1', [configId]);
      await client.query('DELETE FROM gm_config WHERE config_id = $1', [configId]);
      await client.query('DELETE FROM gm_connection WHERE config_id = $1', [configId]);
      await client.query('DELETE FROM gm_token WHERE config_id = $1', [configId]);
      await this.audit(client, configId, audit);
    });
  }

  private async connectionRow(db: Queryable, configId: string, forUpdate = false): Promise<ConnectionRecord | null> {
    const { rows } = await db.query<ConnectionRow>(`SELECT * FROM gm_connection WHERE config_id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [configId]);
    return rows[0] ? toConnection(rows[0]) : null;
  }

  async getConnection(configId: string): Promise<ConnectionRecord | null> {
    return this.connectionRow(this.pool, configId);
  }

  async setConnection(configId: string, connection: ConnectionWrite, audit?: AuditInput): Promise<ConnectionRecord> {
    return this.tx(async (client) => {
      const now = Date.now();
      const { rows } = await client.query<ConnectionRow>(
        `INSERT INTO gm_connection (config_id, state, account, connected_at, reason, granted_json, scope, refresh_sealed, token_version, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9)
         ON CONFLICT (config_id) DO UPDATE SET state = excluded.state, account = excluded.account, connected_at = excluded.connected_at,
           reason = excluded.reason, granted_json = excluded.granted_json, scope = excluded.scope, refresh_sealed = excluded.refresh_sealed,
           token_version = gm_connection.token_version + 1, updated_at = excluded.updated_at, send_as_json = NULL
         RETURNING *`,
        [
          configId,
          connection.state,
          connection.account,
          connection.connectedAt,
          connection.reason ?? null,
          JSON.stringify(connection.grantedPermissions),
          connection.scope,
          connection.refreshToken,
          now,
        ],
      );
      if (audit) await this.audit(client, configId, audit, now);
      return toConnection(rows[0]);
    });
  }

  async updateConnection(configId: string, update: TokenUpdate): Promise<ConnectionRecord | null> {
    return this.tx(async (client) => {
      const current = await this.connectionRow(client, configId, true);
      if (!current || current.tokenVersion !== update.expectVersion) return null;
      const next = applyTokenUpdate(current, update);
      const { rows } = await client.query<ConnectionRow>(
        `UPDATE gm_connection SET state = $1, account = $2, connected_at = $3, reason = $4, granted_json = $5, scope = $6, refresh_sealed = $7,
           send_as_json = $8, token_version = token_version + 1, updated_at = $9 WHERE config_id = $10 AND token_version = $11 RETURNING *`,
        [
          next.state,
          next.account,
          next.connectedAt,
          next.reason ?? null,
          JSON.stringify(next.grantedPermissions),
          next.scope,
          next.refreshToken,
          next.sendAs ? JSON.stringify(next.sendAs) : null,
          Date.now(),
          configId,
          update.expectVersion,
        ],
      );
      return rows[0] ? toConnection(rows[0]) : null;
    });
  }

  async deleteConnection(configId: string, audit?: AuditInput): Promise<void> {
    await this.tx(async (client) => {
      await client.query('DELETE FROM gm_connection WHERE config_id = $1', [configId]);
      if (audit) await this.audit(client, configId, audit);
    });
  }

  async appendAudit(configId: string, entry: AuditInput): Promise<AuditEntry> {
    return this.audit(this.pool, configId, entry);
  }

  async listAudit(configId: string, query: { limit?: number; beforeId?: number } = {}): Promise<AuditEntry[]> {
    const limit = Math.max(1, Math.min(200, Math.floor(query.limit ?? 50)));
    const { rows } =
      query.beforeId !== undefined
        ? await this.pool.query<AuditRow>('SELECT * FROM gm_audit WHERE config_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3', [configId, query.beforeId, limit])
        : await this.pool.query<AuditRow>('SELECT * FROM gm_audit WHERE config_id = $1 ORDER BY id DESC LIMIT $2', [configId, limit]);
    return rows.map(toAudit);
  }

  async getCachedToken(configId: string): Promise<CachedTokenRecord | null> {
    const { rows } = await this.pool.query<{ stamp: string; sealed: string; scopes_json: string[]; expires_at: string; stored_at: string }>(
      'SELECT stamp, sealed, scopes_json, expires_at, stored_at FROM gm_token WHERE config_id = $1 AND sealed IS NOT NULL',
      [configId],
    );
    const row = rows[0];
    return row ? { stamp: row.stamp, accessToken: row.sealed, scopes: row.scopes_json, expiresAt: Number(row.expires_at), storedAt: Number(row.stored_at) } : null;
  }

  async leaseTokenRequest(configId: string, holder: string, until: number, now: number): Promise<boolean> {
    await this.pool.query('INSERT INTO gm_token (config_id) VALUES ($1) ON CONFLICT (config_id) DO NOTHING', [configId]);
    // One statement: concurrent leases on the row wait for each other and re-check the condition.
    const result = await this.pool.query(
      'UPDATE gm_token SET lease_holder = $1, lease_until = $2 WHERE config_id = $3 AND (lease_holder IS NULL OR lease_holder = $1 OR lease_until <= $4)',
      [holder, until, configId, now],
    );
    return result.rowCount === 1;
  }

  async putCachedToken(configId: string, token: CachedTokenRecord, holder: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO gm_token (config_id, stamp, sealed, scopes_json, expires_at, stored_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (config_id) DO UPDATE SET stamp = excluded.stamp, sealed = excluded.sealed, scopes_json = excluded.scopes_json,
         expires_at = excluded.expires_at, stored_at = excluded.stored_at,
         lease_until = CASE WHEN gm_token.lease_holder = $7 THEN 0 ELSE gm_token.lease_until END,
         lease_holder = CASE WHEN gm_token.lease_holder = $7 THEN NULL ELSE gm_token.lease_holder END`,
      [configId, token.stamp, token.accessToken, JSON.stringify(token.scopes), token.expiresAt, token.storedAt, holder],
    );
  }

  async releaseTokenLease(configId: string, holder: string): Promise<void> {
    await this.pool.query('UPDATE gm_token SET lease_holder = NULL, lease_until = 0 WHERE config_id = $1 AND lease_holder = $2', [configId, holder]);
  }

  async dropCachedToken(configId: string): Promise<void> {
    await this.pool.query("UPDATE gm_token SET stamp = NULL, sealed = NULL, scopes_json = '[]', expires_at = 0 WHERE config_id = $1", [configId]);
  }

  async resealAll(reseal: (sealed: string, context: string) => string | null): Promise<number> {
    return this.tx(async (client) => {
      let changed = 0;
      const secrets = await client.query<{ config_id: string; field: SecretField; sealed: string }>('SELECT config_id, field, sealed FROM gm_secret FOR UPDATE');
      for (const row of secrets.rows) {
        if (!SECRET_FIELDS.includes(row.field)) continue;
        const next = reseal(row.sealed, sealedAt.secret(row.config_id, row.field));
        if (next && next !== row.sealed) {
          await client.query('UPDATE gm_secret SET sealed = $1 WHERE config_id = $2 AND field = $3', [next, row.config_id, row.field]);
          changed += 1;
        }
      }
      const cached = await client.query<{ config_id: string; sealed: string }>('SELECT config_id, sealed FROM gm_token WHERE sealed IS NOT NULL FOR UPDATE');
      for (const row of cached.rows) {
        const next = reseal(row.sealed, sealedAt.accessToken(row.config_id));
        if (next && next !== row.sealed) {
          await client.query('UPDATE gm_token SET sealed = $1 WHERE config_id = $2', [next, row.config_id]);
          changed += 1;
        }
      }
      const tokens = await client.query<{ config_id: string; refresh_sealed: string }>(
        'SELECT config_id, refresh_sealed FROM gm_connection WHERE refresh_sealed IS NOT NULL FOR UPDATE',
      );
      for (const row of tokens.rows) {
        const next = reseal(row.refresh_sealed, sealedAt.refreshToken(row.config_id));
        if (next && next !== row.refresh_sealed) {
          await client.query('UPDATE gm_connection SET refresh_sealed = $1 WHERE config_id = $2', [next, row.config_id]);
          changed += 1;
        }
      }
      return changed;
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
