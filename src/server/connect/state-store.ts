/**
 * Pending sign-ins (`connect_states`), in the database rather than in memory so that any instance can
 * finish a sign-in another started. A state is claimed exactly once by a conditional update, so two
 * callbacks racing with the same state cannot both redeem it. Finished rows stay for `/connect/status`
 * for an hour past their expiry, then are purged. Every row belongs to one configuration.
 *
 * `ConnectStates` is the interface the routes use; `SqliteConnectStates` here and `PgConnectStates`
 * (./pg-state-store.ts) are its engines, sharing the row mapping below.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CloudId, UpstreamError } from '../../services/contract.js';
import type { ConnectSealer, Db } from './types.js';

export type StateStatus = 'pending' | 'redeeming' | 'connected' | 'failed';
export type BindingKind = 'browser' | 'admin';

/** What a sign-in starts with. */
export interface NewConnectState {
  state: string;
  bindingKind: BindingKind;
  /** The cookie's value (browser) or the admin's name (admin); only its hash is kept. */
  binding: string;
  mode: 'popup' | 'redirect';
  returnTo?: string;
  openerOrigin?: string;
  cloud: CloudId;
  tenantId: string;
  clientId: string;
  tokenUrl: string;
  redirectUri: string;
  scope: string;
  verifier: string;
  createdAt: number;
  expiresAt: number;
}

export interface ConnectStateRow {
  id: string;
  configId: string;
  bindingKind: BindingKind;
  bindingHash: string;
  mode: 'popup' | 'redirect';
  returnTo: string | null;
  openerOrigin: string | null;
  cloud: CloudId;
  tenantId: string;
  clientId: string;
  tokenUrl: string;
  redirectUri: string;
  scope: string;
  status: StateStatus;
  account: string | null;
  error: UpstreamError | null;
  createdAt: number;
  expiresAt: number;
  finishedAt: number | null;
}

export interface RawRow {
  id: string;
  config_id: string;
  binding_kind: BindingKind;
  binding_hash: string;
  mode: 'popup' | 'redirect';
  return_to: string | null;
  opener_origin: string | null;
  cloud: CloudId;
  tenant_id: string;
  client_id: string;
  token_url: string;
  redirect_uri: string;
  scope: string;
  verifier: string | null;
  status: StateStatus;
  account: string | null;
  error_json: string | null;
  created_at: number;
  expires_at: number;
  finished_at: number | null;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The row key of a state. */
export const stateId = (state: string) => sha256(`state\u0000${state}`);
/** The stored form of a binding (cookie value or admin name). */
export const bindingHash = (kind: BindingKind, binding: string) => sha256(`${kind}\u0000${binding}`);

/** Constant-time comparison of two hex hashes. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** How long a finished or expired row stays readable for `/connect/status`. */
export const KEEP_MS = 60 * 60 * 1000;
/** A claim whose redemption never finished (a crash) counts as failed this long after the expiry. */
export const REDEEM_GRACE_MS = 5 * 60 * 1000;

/** The sealed verifier's associated data: bound to its row. */
export const verifierContext = (id: string) => `connect_states:${id}:verifier`;

/** A row as the routes see it (the verifier never leaves the store but through `claim`). */
export function fromRaw(raw: RawRow): ConnectStateRow {
  let error: UpstreamError | null = null;
  if (raw.error_json) {
    try {
      error = JSON.parse(raw.error_json) as UpstreamError;
    } catch {
      error = null;
    }
  }
  return {
    id: raw.id,
    configId: raw.config_id,
    bindingKind: raw.binding_kind,
    bindingHash: raw.binding_hash,
    mode: raw.mode,
    returnTo: raw.return_to,
    openerOrigin: raw.opener_origin,
    cloud: raw.cloud,
    tenantId: raw.tenant_id,
    clientId: raw.client_id,
    tokenUrl: raw.token_url,
    redirectUri: raw.redirect_uri,
    scope: raw.scope,
    status: raw.status,
    account: raw.account,
    error,
    createdAt: Number(raw.created_at),
    expiresAt: Number(raw.expires_at),
    finishedAt: raw.finished_at === null ? null : Number(raw.finished_at),
  };
}

/** Opens a claimed row's sealed verifier; corrupt or swapped ciphertext fails closed (null). */
export function openVerifier(sealer: ConnectSealer | undefined, id: string, stored: string): string | null {
  if (!sealer) return stored;
  try {
    return sealer.open(stored, verifierContext(id));
  } catch {
    return null;
  }
}

/** The columns of a new row, in the order both engines insert them. */
export function newRowValues(configId: string, input: NewConnectState, sealer?: ConnectSealer): unknown[] {
  const id = stateId(input.state);
  return [
    id,
    configId,
    input.bindingKind,
    bindingHash(input.bindingKind, input.binding),
    input.mode,
    input.returnTo ?? null,
    input.openerOrigin ?? null,
    input.cloud,
    input.tenantId,
    input.clientId,
    input.tokenUrl,
    input.redirectUri,
    input.scope,
    sealer ? sealer.seal(input.verifier, verifierContext(id)) : input.verifier,
    input.createdAt,
    input.expiresAt,
  ];
}
export const NEW_ROW_COLUMNS =
  'id, config_id, binding_kind, binding_hash, mode, return_to, opener_origin, cloud, tenant_id, client_id, token_url, redirect_uri, scope, verifier, created_at, expires_at';

export interface ConnectStates {
  create(configId: string, input: NewConnectState): Promise<ConnectStateRow>;
  get(state: string): Promise<ConnectStateRow | null>;
  /** Pending sign-ins of one binding that have not expired (to cap how many one browser may start). */
  countPending(kind: BindingKind, binding: string, now: number): Promise<number>;
  /**
   * Claims a pending, unexpired state for redemption, once: returns the verifier (null when its sealed
   * form does not open) and erases it from the row in the same transaction; or null when the state is
   * unknown, used or expired.
   */
  claim(state: string, now: number): Promise<{ row: ConnectStateRow; verifier: string | null } | null>;
  /** Ends a pending state without redeeming it (an error answer, an expiry): once, like `claim`. */
  failPending(state: string, error: UpstreamError, now: number): Promise<boolean>;
  finishConnected(state: string, account: string, now: number): Promise<void>;
  finishFailed(state: string, error: UpstreamError, now: number): Promise<void>;
  /**
   * Ends every sign-in of one configuration still in progress, redemptions included (a disconnect must
   * not be undone by a late callback: the callback checks its row again before it saves the grant).
   */
  cancelAll(configId: string, error: UpstreamError, now: number): Promise<number>;
  /** Removes rows an hour past their expiry, and erases the verifiers of expired ones at once. */
  purge(now: number): Promise<void>;
}

export class SqliteConnectStates implements ConnectStates {
  constructor(
    private readonly db: Db,
    private readonly sealer?: ConnectSealer,
  ) {}

  async create(configId: string, input: NewConnectState): Promise<ConnectStateRow> {
    this.db
      .prepare(`INSERT INTO connect_states (${NEW_ROW_COLUMNS}, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`)
      .run(...newRowValues(configId, input, this.sealer));
    return (await this.get(input.state))!;
  }

  async get(state: string): Promise<ConnectStateRow | null> {
    const raw = this.db.prepare('SELECT * FROM connect_states WHERE id = ?').get(stateId(state)) as RawRow | undefined;
    return raw ? fromRaw(raw) : null;
  }

  async countPending(kind: BindingKind, binding: string, now: number): Promise<number> {
    const row = this.db
      .prepare(`SELECT COUNT(*) AS n FROM connect_states WHERE binding_hash = ? AND status = 'pending' AND expires_at > ?`)
      .get(bindingHash(kind, binding), now) as { n: number };
    return row.n;
  }

  async claim(state: string, now: number): Promise<{ row: ConnectStateRow; verifier: string | null } | null> {
    const id = stateId(state);
    return this.db.transaction(() => {
      const raw = this.db.prepare(`SELECT * FROM connect_states WHERE id = ? AND status = 'pending' AND expires_at > ?`).get(id, now) as
        | RawRow
        | undefined;
      if (!raw || raw.verifier === null) return null;
      const changed = this.db
        .prepare(`UPDATE connect_states SET status = 'redeeming', verifier = NULL WHERE id = ? AND status = 'pending'`)
        .run(id).changes;
      if (changed !== 1) return null;
      return { row: fromRaw({ ...raw, status: 'redeeming', verifier: null }), verifier: openVerifier(this.sealer, id, raw.verifier) };
    })();
  }

  async failPending(state: string, error: UpstreamError, now: number): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE connect_states SET status = 'failed', verifier = NULL, error_json = ?, finished_at = ? WHERE id = ? AND status = 'pending'`,
        )
        .run(JSON.stringify(error), now, stateId(state)).changes === 1
    );
  }

  async finishConnected(state: string, account: string, now: number): Promise<void> {
    this.db
      .prepare(`UPDATE connect_states SET status = 'connected', account = ?, finished_at = ? WHERE id = ? AND status = 'redeeming'`)
      .run(account, now, stateId(state));
  }

  async finishFailed(state: string, error: UpstreamError, now: number): Promise<void> {
    this.db
      .prepare(`UPDATE connect_states SET status = 'failed', error_json = ?, finished_at = ? WHERE id = ? AND status = 'redeeming'`)
      .run(JSON.stringify(error), now, stateId(state));
  }

  async cancelAll(configId: string, error: UpstreamError, now: number): Promise<number> {
    return this.db
      .prepare(
        `UPDATE connect_states SET status = 'failed', verifier = NULL, error_json = ?, finished_at = ?
         WHERE config_id = ? AND status IN ('pending', 'redeeming')`,
      )
      .run(JSON.stringify(error), now, configId).changes;
  }

  async purge(now: number): Promise<void> {
    this.db.prepare(`UPDATE connect_states SET verifier = NULL WHERE verifier IS NOT NULL AND expires_at <= ?`).run(now);
    this.db.prepare('DELETE FROM connect_states WHERE expires_at <= ?').run(now - KEEP_MS);
  }
}
