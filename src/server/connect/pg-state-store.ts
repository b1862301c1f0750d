/**
 * The PostgreSQL engine of `ConnectStates` (./state-store.ts): the same rows and the same once-only
 * claims, for several instances on one database. A claim locks its row (`FOR UPDATE`) and moves it to
 * `redeeming` in one transaction, so two instances receiving the same callback cannot both redeem it.
 */
import type pg from 'pg';
import type { UpstreamError } from '../../services/contract.js';
import type { PgMigration } from '../store/pg-migrations.js';
import {
  KEEP_MS,
  NEW_ROW_COLUMNS,
  bindingHash,
  fromRaw,
  newRowValues,
  openVerifier,
  stateId,
  type BindingKind,
  type ConnectStateRow,
  type ConnectStates,
  type NewConnectState,
  type RawRow,
} from './state-store.js';
import type { ConnectSealer } from './types.js';
import { withTransaction } from '../store/pg-transaction.js';

export const PG_CONNECT_MIGRATIONS: PgMigration[] = [
  {
    id: 'connect-0001-states',
    sql: `
      CREATE TABLE connect_states (
        id TEXT PRIMARY KEY,
        config_id TEXT NOT NULL,
        binding_kind TEXT NOT NULL CHECK (binding_kind IN ('browser', 'admin')),
        binding_hash TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('popup', 'redirect')),
        return_to TEXT,
        opener_origin TEXT,
        cloud TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        token_url TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        scope TEXT NOT NULL,
        verifier TEXT,
        status TEXT NOT NULL CHECK (status IN ('pending', 'redeeming', 'connected', 'failed')),
        account TEXT,
        error_json TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        finished_at BIGINT
      );
      CREATE INDEX connect_states_binding ON connect_states (binding_hash, status);
      CREATE INDEX connect_states_expires ON connect_states (expires_at);
      CREATE INDEX connect_states_config ON connect_states (config_id, status);
    `,
  },
];

export class PgConnectStates implements ConnectStates {
  constructor(
    private readonly pool: pg.Pool,
    private readonly sealer?: ConnectSealer,
  ) {}

  async create(configId: string, input: NewConnectState): Promise<ConnectStateRow> {
    const values = newRowValues(configId, input, this.sealer);
    const { rows } = await this.pool.query<RawRow>(
      `INSERT INTO connect_states (${NEW_ROW_COLUMNS}, status) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')}, 'pending') RETURNING *`,
      values,
    );
    return fromRaw(rows[0]);
  }

  async get(state: string): Promise<ConnectStateRow | null> {
    const { rows } = await this.pool.query<RawRow>('SELECT * FROM connect_states WHERE id = $1', [stateId(state)]);
    return rows[0] ? fromRaw(rows[0]) : null;
  }

  async countPending(kind: BindingKind, binding: string, now: number): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT COUNT(*) AS n FROM connect_states WHERE binding_hash = $1 AND status = 'pending' AND expires_at > $2`,
      [bindingHash(kind, binding), now],
    );
    return Number(rows[0].n);
  }

  async claim(state: string, now: number): Promise<{ row: ConnectStateRow; verifier: string | null } | null> {
    const id = stateId(state);
    const raw = await withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<RawRow>(`SELECT * FROM connect_states WHERE id = $1 AND status = 'pending' AND expires_at > $2 FOR UPDATE`, [id, now]);
      if (!rows[0] || rows[0].verifier === null) return null;
      const moved = await client.query(`UPDATE connect_states SET status = 'redeeming', verifier = NULL WHERE id = $1 AND status = 'pending'`, [id]);
      return moved.rowCount === 1 ? rows[0] : null;
    });
    if (!raw) return null;
    return { row: fromRaw({ ...raw, status: 'redeeming', verifier: null }), verifier: openVerifier(this.sealer, id, raw.verifier!) };
  }

  async failPending(state: string, error: UpstreamError, now: number): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE connect_states SET status = 'failed', verifier = NULL, error_json = $1, finished_at = $2 WHERE id = $3 AND status = 'pending'`,
      [JSON.stringify(error), now, stateId(state)],
    );
    return result.rowCount === 1;
  }

  async finishConnected(state: string, account: string, now: number): Promise<void> {
    await this.pool.query(`UPDATE connect_states SET status = 'connected', account = $1, finished_at = $2 WHERE id = $3 AND status = 'redeeming'`, [
      account,
      now,
      stateId(state),
    ]);
  }

  async finishFailed(state: string, error: UpstreamError, now: number): Promise<void> {
    await this.pool.query(`UPDATE connect_states SET status = 'failed', error_json = $1, finished_at = $2 WHERE id = $3 AND status = 'redeeming'`, [
      JSON.stringify(error),
      now,
      stateId(state),
    ]);
  }

  async cancelAll(configId: string, error: UpstreamError, now: number): Promise<number> {
    const result = await this.pool.query(
      `UPDATE connect_states SET status = 'failed', verifier = NULL, error_json = $1, finished_at = $2
       WHERE config_id = $3 AND status IN ('pending', 'redeeming')`,
      [JSON.stringify(error), now, configId],
    );
    return result.rowCount ?? 0;
  }

  async purge(now: number): Promise<void> {
    await this.pool.query('UPDATE connect_states SET verifier = NULL WHERE verifier IS NOT NULL AND expires_at <= $1', [now]);
    await this.pool.query('DELETE FROM connect_states WHERE expires_at <= $1', [now - KEEP_MS]);
  }
}
