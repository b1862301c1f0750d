/**
 * The core tables' rows as both engines read them, and their records: SQLite hands JSON columns back
 * as text and times as numbers, PostgreSQL JSONB as values and BIGINT as strings; one mapping takes
 * either.
 */
import { randomBytes } from 'node:crypto';
import type { SendAsCheck } from '../../services/contract.js';
import type { AuditEntry, ConfigRecord, ConnectionRecord, StoredSettings } from './types.js';

/** A JSON column: text from SQLite, the parsed value from PostgreSQL's JSONB. */
type Json<T> = T | string;
/** A time or id column: a number from SQLite, a string from PostgreSQL's BIGINT. */
type Big = number | string;

const json = <T>(value: Json<T>): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

export interface ConfigRow {
  config_id: string;
  settings_json: Json<StoredSettings>;
  revision: string;
  updated_at: Big;
}

export interface ConnectionRow {
  config_id: string;
  state: ConnectionRecord['state'];
  account: string;
  connected_at: string;
  reason: string | null;
  granted_json: Json<string[]>;
  scope: string;
  refresh_sealed: string | null;
  token_version: number;
  updated_at: Big;
  send_as_json?: Json<SendAsCheck> | null;
}

export interface AuditRow {
  id: Big;
  at: Big;
  actor: string;
  action: string;
  fields_json: Json<string[]>;
}

/** A configuration's revision (its etag): new on every write. */
export const newRevision = () => randomBytes(12).toString('base64url');

export const toConfig = (row: ConfigRow): ConfigRecord => ({
  configId: row.config_id,
  settings: json(row.settings_json),
  revision: row.revision,
  updatedAt: Number(row.updated_at),
});

export const toConnection = (row: ConnectionRow): ConnectionRecord => ({
  state: row.state,
  account: row.account,
  connectedAt: row.connected_at,
  ...(row.reason ? { reason: row.reason } : {}),
  grantedPermissions: json(row.granted_json),
  scope: row.scope,
  refreshToken: row.refresh_sealed,
  tokenVersion: row.token_version,
  updatedAt: Number(row.updated_at),
  ...(row.send_as_json ? { sendAs: json(row.send_as_json) } : {}),
});

export const toAudit = (row: AuditRow): AuditEntry => ({
  id: Number(row.id),
  at: new Date(Number(row.at)).toISOString(),
  actor: row.actor,
  action: row.action,
  fields: json(row.fields_json),
});
