/**
 * The store interface of the server core: the configuration row, its sealed credentials, the
 * connection and its sealed refresh token, connect states, and the audit trail.
 *
 * Written so that another engine can follow (PostgreSQL for many configurations on several
 * instances):
 * - every method is asynchronous, although the SQLite store answers at once;
 * - every record belongs to one configuration (`configId`; the single-configuration server uses
 *   `DEFAULT_CONFIG_ID`), so a host's hook can later map each request to its customer's configuration;
 * - anything another instance may change at the same time is written with a compare-and-swap
 *   (`expectRevision` on the configuration, `expectVersion` on the tokens), never read-modify-write;
 * - connect states live in the database (the connect module's `connect_states`), not in memory, so
 *   any instance can finish a sign-in;
 * - sealed values are opaque text to the store; the services seal and open them (`sealContext` names
 *   the record and field each one is bound to).
 */
import type { AuthMode, CloudId, ConnectionState, CredentialKind, EndpointTemplates, SendAsCheck, UpstreamError } from '../../services/contract.js';
import { sealContext } from '../crypto/sealer.js';

export const DEFAULT_CONFIG_ID = 'default';

/** Every setting but the credential itself; endpoints hold only the templates that differ from the cloud's defaults. */
export interface StoredSettings {
  mode: AuthMode;
  cloud: CloudId;
  tenantId: string;
  clientId: string;
  credential: CredentialKind;
  /** ISO date the admin entered for the secret's expiry ('' when unknown). */
  secretExpiresAt: string;
  fromName: string;
  fromAddress: string;
  saveToSentItems: boolean;
  endpoints: Partial<EndpointTemplates>;
  /** A short, harmless reminder of the stored secret: at most its last three characters. */
  secretHint: string;
  /** The same for the certificate: the end of its SHA-1 thumbprint (public anyway). */
  certificateHint?: string;
  /** The certificate credential's public part. */
  certificatePem?: string;
  /** Its SHA-256 thumbprint (base64url), the `x5t#S256` of client assertions. */
  certificateThumbprint?: string;
  /** Its `notAfter`, as an ISO date. */
  certificateExpiresAt?: string;
  /** The second secret of a rotation (sealed as `nextClientSecret`): its hint, expiry and state. */
  nextSecret?: StoredNextSecret;
}

export interface StoredNextSecret {
  hint: string;
  expiresAt: string;
  /** `pending` until a token request with it has worked (then it replaces the secret); `rejected` when refused. */
  state: 'pending' | 'rejected';
  error?: UpstreamError;
}

export interface ConfigRecord {
  configId: string;
  settings: StoredSettings;
  /** Changes on every write; the etag of `GET /config`. */
  revision: string;
  updatedAt: number;
}

export type SecretField = 'clientSecret' | 'privateKey' | 'nextClientSecret';
export const SECRET_FIELDS: readonly SecretField[] = ['clientSecret', 'privateKey', 'nextClientSecret'];

export interface ConnectionRecord {
  state: ConnectionState;
  /** The connected account (delegated), or the sender (application). */
  account: string;
  connectedAt: string;
  reason?: string;
  /** `scp` or `roles` of the last token issued. */
  grantedPermissions: string[];
  /** The delegated scopes granted at sign-in, asked for again on every refresh. */
  scope: string;
  /** The sealed refresh token (delegated), or null. */
  refreshToken: string | null;
  /** Bumped on every write; the compare-and-swap of a token refresh. */
  tokenVersion: number;
  updatedAt: number;
  /** Delegated: the Send As check of the From mailbox after the sign-in (a new sign-in clears it). */
  sendAs?: SendAsCheck;
}

export type ConnectionWrite = Omit<ConnectionRecord, 'tokenVersion' | 'updatedAt' | 'sendAs'>;

/** A change of the connection, applied only when `tokenVersion` still equals `expectVersion`. */
export interface TokenUpdate {
  expectVersion: number;
  refreshToken?: string | null;
  scope?: string;
  grantedPermissions?: string[];
  state?: ConnectionState;
  reason?: string | null;
  account?: string;
  connectedAt?: string;
  /** The Send As check's result; null removes it. */
  sendAs?: SendAsCheck | null;
}

export interface AuditInput {
  /** Who, as the host's authorisation hook names them. */
  actor: string;
  /** What: `config.save`, `config.clear`, `secret.remove`, `connect`, `disconnect`, … */
  action: string;
  /** Which fields changed; names only, never values. */
  fields: string[];
}

export interface AuditEntry extends AuditInput {
  id: number;
  at: string;
}

export interface ConfigWrite {
  settings: StoredSettings;
  /** Sealed values to store, by field. */
  setSecrets?: Partial<Record<SecretField, string>>;
  removeSecrets?: SecretField[];
  /** The revision the caller read: the write fails (stale) when another came in between. null: no row yet. undefined: last write wins. */
  expectRevision?: string | null;
  audit: AuditInput;
}

export type ConfigWriteResult = { ok: true; record: ConfigRecord } | { ok: false; reason: 'stale'; current: ConfigRecord | null };

/** An access token one instance got, for every instance to use until it expires (`accessToken` sealed). */
export interface CachedTokenRecord {
  /** The token context's stamp it was issued under: another stamp means the settings changed since. */
  stamp: string;
  accessToken: string;
  scopes: string[];
  expiresAt: number;
  /** When it was stored. */
  storedAt: number;
}

export interface GraphMailStore {
  readonly engine: string;

  getConfig(configId: string): Promise<ConfigRecord | null>;
  /** Every saved configuration's id, in order. */
  listConfigIds(): Promise<string[]>;
  /** Settings and credential change in one transaction, with an audit entry. */
  saveConfig(configId: string, write: ConfigWrite): Promise<ConfigWriteResult>;
  getSecret(configId: string, field: SecretField): Promise<string | null>;
  secretFields(configId: string): Promise<SecretField[]>;
  /** Clear: the configuration, its secrets, its connection and connect states go; the mail log and the audit trail stay. */
  clearConfig(configId: string, audit: AuditInput): Promise<void>;

  getConnection(configId: string): Promise<ConnectionRecord | null>;
  /** Replaces the connection (a finished sign-in, a disconnect), with an audit entry when given. */
  setConnection(configId: string, connection: ConnectionWrite, audit?: AuditInput): Promise<ConnectionRecord>;
  /** Compare-and-swap on `tokenVersion`: null when another writer came first. */
  updateConnection(configId: string, update: TokenUpdate): Promise<ConnectionRecord | null>;
  deleteConnection(configId: string, audit?: AuditInput): Promise<void>;

  appendAudit(configId: string, entry: AuditInput): Promise<AuditEntry>;
  listAudit(configId: string, query?: { limit?: number; beforeId?: number }): Promise<AuditEntry[]>;

  /**
   * The access token cache shared by every instance, with a lease on asking for a new one, so that
   * several instances make one token request per configuration and token lifetime (and never present
   * one refresh token twice).
   */
  getCachedToken(configId: string): Promise<CachedTokenRecord | null>;
  /** Takes the lease when nobody holds it or its holder's time ran out: true when `holder` has it now. */
  leaseTokenRequest(configId: string, holder: string, until: number, now: number): Promise<boolean>;
  /** Stores a token and ends `holder`'s lease, in one write. */
  putCachedToken(configId: string, token: CachedTokenRecord, holder: string): Promise<void>;
  /** Ends `holder`'s lease without a token (the request failed). */
  releaseTokenLease(configId: string, holder: string): Promise<void>;
  /** Forgets the cached token (the settings or the credential changed, a disconnect). */
  dropCachedToken(configId: string): Promise<void>;

  /** Calls `reseal` for every sealed value with its context and stores what it returns (key rotation). Returns how many changed. */
  resealAll(reseal: (sealed: string, context: string) => string | null): Promise<number>;

  close(): Promise<void>;
}

/** The associated data each sealed value is bound to. */
export const sealedAt = {
  secret: (configId: string, field: SecretField) => sealContext(`config/${configId}`, field),
  refreshToken: (configId: string) => sealContext(`connection/${configId}`, 'refreshToken'),
  accessToken: (configId: string) => sealContext(`token/${configId}`, 'accessToken'),
  /** The connect flow's PKCE verifier, in its own table (see ../connect/). */
  verifier: (stateId: string) => sealContext(`connect/${stateId}`, 'verifier'),
};
