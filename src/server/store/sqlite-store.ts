/**
 * The SQLite engine of the store interface (better-sqlite3). Synchronous underneath; the interface is
 * asynchronous so that another engine can take its place. Transactions are `IMMEDIATE`, so two
 * processes on one file serialise their writes instead of failing at commit.
 */
import type { Db } from '../db.js';
import { applyTokenUpdate } from './connection-update.js';
import { newRevision, toAudit, toConfig, toConnection, type AuditRow, type ConfigRow, type ConnectionRow } from './rows.js';
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

export class SqliteStore implements GraphMailStore {
  readonly engine = 'sqlite';

  /** `ownsDb`: close the database with the store (false when the host shares it with others). */
  constructor(
    readonly db: Db,
    private readonly ownsDb = false,
  ) {}

  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  private configRow(configId: string): ConfigRecord | null {
    const row = this.db.prepare('SELECT * FROM gm_config WHERE config_id = ?').get(configId) as ConfigRow | undefined;
    return row ? toConfig(row) : null;
  }

  private audit(configId: string, entry: AuditInput, now = Date.now()): AuditEntry {
    const result = this.db
      .prepare('INSERT INTO gm_audit (config_id, at, actor, action, fields_json) VALUES (?, ?, ?, ?, ?)')
      .run(configId, now, entry.actor, entry.action, JSON.stringify(entry.fields));
    return { id: Number(result.lastInsertRowid), at: new Date(now).toISOString(), actor: entry.actor, action: entry.action, fields: [...entry.fields] };
  }

  async listConfigIds(): Promise<string[]> {
    return (this.db.prepare('SELECT config_id FROM gm_config ORDER BY config_id').all() as Array<{ config_id: string }>).map((row) => row.config_id);
  }

  async getConfig(configId: string): Promise<ConfigRecord | null> {
    return this.configRow(configId);
  }

  async saveConfig(configId: string, write: ConfigWrite): Promise<ConfigWriteResult> {
    return this.tx(() => {
      const current = this.configRow(configId);
      if (write.expectRevision !== undefined && (current?.revision ?? null) !== write.expectRevision) {
        return { ok: false, reason: 'stale', current } as const;
      }
      const now = Date.now();
      const revision = newRevision();
      this.db
        .prepare(
          `INSERT INTO gm_config (config_id, settings_json, revision, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (config_id) DO UPDATE SET settings_json = excluded.settings_json, revision = excluded.revision, updated_at = excluded.updated_at`,
        )
        .run(configId, JSON.stringify(write.settings), revision, now);
      for (const field of write.removeSecrets ?? []) {
        this.db.prepare('DELETE FROM gm_secret WHERE config_id = ? AND field = ?').run(configId, field);
      }
      for (const [field, sealed] of Object.entries(write.setSecrets ?? {})) {
        if (sealed === undefined) continue;
        this.db
          .prepare(
            `INSERT INTO gm_secret (config_id, field, sealed, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (config_id, field) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
          )
          .run(configId, field, sealed, now);
      }
      this.audit(configId, write.audit, now);
      return { ok: true, record: { configId, settings: write.settings, revision, updatedAt: now } } as const;
    });
  }

  async getSecret(configId: string, field: SecretField): Promise<string | null> {
    const row = this.db.prepare('SELECT sealed FROM gm_secret WHERE config_id = ? AND field = ?').get(configId, field) as { sealed: string } | undefined;
    return row?.sealed ?? null;
  }

  async secretFields(configId: string): Promise<SecretField[]> {
    const rows = this.db.prepare('SELECT field FROM gm_secret WHERE config_id = ?').all(configId) as { field: SecretField }[];
    return rows.map((row) => row.field);
  }

  async clearConfig(configId: string, audit: AuditInput): Promise<void> {
    this.tx(() => {
      this.db.prepare('DELETE FROM gm_secret WHERE config_id = ?').run(configId);
      this.db.prepare('DELETE FROM gm_config WHERE config_id = ?').run(configId);
      this.db.prepare('DELETE FROM gm_connection WHERE config_id = ?').run(configId);
      this.db.prepare('DELETE FROM gm_token WHERE config_id = ?').run(configId);
      this.audit(configId, audit);
    });
  }

  private connectionRow(configId: string): ConnectionRecord | null {
    const row = this.db.prepare('SELECT * FROM gm_connection WHERE config_id = ?').get(configId) as ConnectionRow | undefined;
    return row ? toConnection(row) : null;
  }

  async getConnection(configId: string): Promise<ConnectionRecord | null> {
    return this.connectionRow(configId);
  }

  async setConnection(configId: string, connection: ConnectionWrite, audit?: AuditInput): Promise<ConnectionRecord> {
    return this.tx(() => {
      const now = Date.now();
      this.db
        .prepare(
          `INSERT INTO gm_connection (config_id, state, account, connected_at, reason, granted_json, scope, refresh_sealed, token_version, updated_at)
           VALUES (@configId, @state, @account, @connectedAt, @reason, @granted, @scope, @refresh, 1, @now)
           ON CONFLICT (config_id) DO UPDATE SET state = excluded.state, account = excluded.account, connected_at = excluded.connected_at,
             reason = excluded.reason, granted_json = excluded.granted_json, scope = excluded.scope, refresh_sealed = excluded.refresh_sealed,
             token_version = gm_connection.token_version + 1, updated_at = excluded.updated_at, send_as_json = NULL`,
        )
        .run({
          configId,
          state: connection.state,
          account: connection.account,
          connectedAt: connection.connectedAt,
          reason: connection.reason ?? null,
          granted: JSON.stringify(connection.grantedPermissions),
          scope: connection.scope,
          refresh: connection.refreshToken,
          now,
        });
      if (audit) this.audit(configId, audit, now);
      return this.connectionRow(configId)!;
    });
  }

  async updateConnection(configId: string, update: TokenUpdate): Promise<ConnectionRecord | null> {
    return this.tx(() => {
      const current = this.connectionRow(configId);
      if (!current || current.tokenVersion !== update.expectVersion) return null;
      const next = applyTokenUpdate(current, update);
      const now = Date.now();
      this.db
        .prepare(
          `UPDATE gm_connection SET state = ?, account = ?, connected_at = ?, reason = ?, granted_json = ?, scope = ?, refresh_sealed = ?, send_as_json = ?,
             token_version = token_version + 1, updated_at = ? WHERE config_id = ? AND token_version = ?`,
        )
        .run(next.state, next.account, next.connectedAt, next.reason ?? null, JSON.stringify(next.grantedPermissions), next.scope, next.refreshToken, next.sendAs ? JSON.stringify(next.sendAs) : null, now, configId, update.expectVersion);
      return this.connectionRow(configId);
    });
  }

  async deleteConnection(configId: string, audit?: AuditInput): Promise<void> {
    this.tx(() => {
      this.db.prepare('DELETE FROM gm_connection WHERE config_id = ?').run(configId);
      if (audit) this.audit(configId, audit);
    });
  }

  async appendAudit(configId: string, entry: AuditInput): Promise<AuditEntry> {
    return this.audit(configId, entry);
  }

  async listAudit(configId: string, query: { limit?: number; beforeId?: number } = {}): Promise<AuditEntry[]> {
    const limit = Math.max(1, Math.min(200, Math.floor(query.limit ?? 50)));
    const rows = (
      query.beforeId !== undefined
        ? this.db.prepare('SELECT * FROM gm_audit WHERE config_id = ? AND id < ? ORDER BY id DESC LIMIT ?').all(configId, query.beforeId, limit)
        : this.db.prepare('SELECT * FROM gm_audit WHERE config_id = ? ORDER BY id DESC LIMIT ?').all(configId, limit)
    ) as AuditRow[];
    return rows.map(toAudit);
  }

  async getCachedToken(configId: string): Promise<CachedTokenRecord | null> {
    const row = this.db.prepare('SELECT stamp, sealed, scopes_json, expires_at, stored_at FROM gm_token WHERE config_id = ? AND sealed IS NOT NULL').get(configId) as
      | { stamp: string; sealed: string; scopes_json: string; expires_at: number; stored_at: number }
      | undefined;
    return row ? { stamp: row.stamp, accessToken: row.sealed, scopes: JSON.parse(row.scopes_json) as string[], expiresAt: row.expires_at, storedAt: row.stored_at } : null;
  }

  async leaseTokenRequest(configId: string, holder: string, until: number, now: number): Promise<boolean> {
    return this.tx(() => {
      this.db.prepare('INSERT INTO gm_token (config_id) VALUES (?) ON CONFLICT (config_id) DO NOTHING').run(configId);
      return (
        this.db
          .prepare('UPDATE gm_token SET lease_holder = ?, lease_until = ? WHERE config_id = ? AND (lease_holder IS NULL OR lease_holder = ? OR lease_until <= ?)')
          .run(holder, until, configId, holder, now).changes === 1
      );
    });
  }

  async putCachedToken(configId: string, token: CachedTokenRecord, holder: string): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO gm_token (config_id, stamp, sealed, scopes_json, expires_at, stored_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (config_id) DO UPDATE SET stamp = excluded.stamp, sealed = excluded.sealed, scopes_json = excluded.scopes_json,
           expires_at = excluded.expires_at, stored_at = excluded.stored_at,
           lease_until = CASE WHEN gm_token.lease_holder = ? THEN 0 ELSE gm_token.lease_until END,
           lease_holder = CASE WHEN gm_token.lease_holder = ? THEN NULL ELSE gm_token.lease_holder END`,
      )
      .run(configId, token.stamp, token.accessToken, JSON.stringify(token.scopes), token.expiresAt, token.storedAt, holder, holder);
  }

  async releaseTokenLease(configId: string, holder: string): Promise<void> {
    this.db.prepare('UPDATE gm_token SET lease_holder = NULL, lease_until = 0 WHERE config_id = ? AND lease_holder = ?').run(configId, holder);
  }

  async dropCachedToken(configId: string): Promise<void> {
    this.db.prepare("UPDATE gm_token SET stamp = NULL, sealed = NULL, scopes_json = '[]', expires_at = 0 WHERE config_id = ?").run(configId);
  }

  async resealAll(reseal: (sealed: string, context: string) => string | null): Promise<number> {
    return this.tx(() => {
      let changed = 0;
      const secrets = this.db.prepare('SELECT config_id, field, sealed FROM gm_secret').all() as { config_id: string; field: SecretField; sealed: string }[];
      for (const row of secrets) {
        if (!SECRET_FIELDS.includes(row.field)) continue;
        const next = reseal(row.sealed, sealedAt.secret(row.config_id, row.field));
        if (next && next !== row.sealed) {
          this.db.prepare('UPDATE gm_secret SET sealed = ? WHERE config_id = ? AND field = ?').run(next, row.config_id, row.field);
          changed += 1;
        }
      }
      const cached = this.db.prepare('SELECT config_id, sealed FROM gm_token WHERE sealed IS NOT NULL').all() as { config_id: string; sealed: string }[];
      for (const row of cached) {
        const next = reseal(row.sealed, sealedAt.accessToken(row.config_id));
        if (next && next !== row.sealed) {
          this.db.prepare('UPDATE gm_token SET sealed = ? WHERE config_id = ?').run(next, row.config_id);
          changed += 1;
        }
      }
      const tokens = this.db.prepare('SELECT config_id, refresh_sealed FROM gm_connection WHERE refresh_sealed IS NOT NULL').all() as { config_id: string; refresh_sealed: string }[];
      for (const row of tokens) {
        const next = reseal(row.refresh_sealed, sealedAt.refreshToken(row.config_id));
        if (next && next !== row.refresh_sealed) {
          this.db.prepare('UPDATE gm_connection SET refresh_sealed = ? WHERE config_id = ?').run(next, row.config_id);
          changed += 1;
        }
      }
      return changed;
    });
  }

  async close(): Promise<void> {
    if (this.ownsDb && this.db.open) this.db.close();
  }
}
