/**
 * The reference server's public API.
 *
 *   import { startServer } from 'graph-mail-elements/server';       // a server of its own
 *   import { createGraphMailServer, openDatabase, ... } from '…';   // mounted in a host's Hono app
 */
export { createGraphMailServer, serverMigrations, DEFAULT_BASE_PATH, CONFIG_ID_PATTERN, cloudList } from './app.js';
export type { ConfigIdHook, GraphMailServer, GraphMailServerOptions, ServerDeps, ServerEnv } from './app.js';
export { startServer } from './start.js';
export type { RunningServer, StartServerOptions } from './start.js';
export { serverOptionsFromEnv } from './env.js';
export { openDatabase, migrate, appliedMigrations } from './db.js';
export type { Db, Migration } from './db.js';
export { Sealer, Keyring, SealError, parseKeyring, sealContext, derivedKeyId } from './crypto/sealer.js';
export { loadKeyring, KeyConfigurationError } from './crypto/keys.js';
export { SqliteStore } from './store/sqlite-store.js';
export { PgStore, type PgStoreOptions } from './store/pg-store.js';
export { PG_CORE_MIGRATIONS, migratePg, appliedPgMigrations, type PgMigration } from './store/pg-migrations.js';
export { openPgEngines, type PgEngines, type PgEnginesOptions } from './pg-engines.js';
export { PgMailboxSlots, PG_SLOTS_MIGRATIONS } from './mail/pg-slots.js';
export { CORE_MIGRATIONS } from './store/migrations.js';
export { DEFAULT_CONFIG_ID, sealedAt } from './store/types.js';
export type {
  AuditEntry,
  AuditInput,
  ConfigRecord,
  ConfigWrite,
  ConfigWriteResult,
  ConnectionRecord,
  ConnectionWrite,
  GraphMailStore,
  SecretField,
  StoredSettings,
  TokenUpdate,
} from './store/types.js';
export { ConfigService, ConfigLockedError, ConfigStaleError, ConfigValidationError, CredentialUnavailableError, LOCKED_FIELDS } from './config/service.js';
export type { Credential, TokenContext } from './config/service.js';
export { TokenService } from './tokens/service.js';
export type { DelegatedGrantInput, TokenServiceOptions } from './tokens/service.js';
export { TokenRequestError, TokenServiceError } from './tokens/errors.js';
export { clientAssertion, clientAuthParams } from './tokens/client-auth.js';
export { securityMiddleware, defaultAuthorize, isLoopbackAddress } from './http/security.js';
export type { AdminIdentity, AntiForgeryOptions, AuthorizeHook, AuthorizeInfo, AuthorizeResult } from './http/security.js';
export { problem } from './http/problem.js';
export { mailModule, mailOptionsFromEnv } from './mail/index.js';
export type { MailApi, MailModuleOptions } from './mail/index.js';
