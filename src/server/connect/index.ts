/**
 * The delegated connect flow of the reference server (DESIGN.md: `POST /connect`,
 * `GET /connect/callback`, `GET /connect/status`, `POST /disconnect`; SECURITY.md 10–13). The core
 * mounts it on the mail API's router:
 *
 *   migrate(db, [...coreMigrations, ...CONNECT_MIGRATIONS]);
 *   // the admin authorisation leaves CONNECT_PUBLIC_PATHS alone: the callback checks state and cookie
 *   mountConnectRoutes(router, connectDeps);
 *
 * `ConnectDeps` (./types.ts) is everything it needs from the core: the configuration with its decrypted
 * credential, the redirect URI, `saveDelegatedGrant`, `disconnect`, `getConfigView`, the database.
 */
export { mountConnectRoutes, CONNECT_PUBLIC_PATHS } from './routes.js';
export { CONNECT_MIGRATIONS } from './migrations.js';
export { SqliteConnectStates, type ConnectStates, type ConnectStateRow } from './state-store.js';
export { PgConnectStates, PG_CONNECT_MIGRATIONS } from './pg-state-store.js';
export { delegatedPermissions, grantedPermissions, pkcePair, scopeParameter } from './flow.js';
export { silentConnectLogger } from './types.js';
export type {
  ClientAuthParams,
  ConnectConfig,
  ConnectDeps,
  ConnectLogger,
  ConnectMigration,
  ConnectSealer,
  ConnectStatusView,
  DelegatedGrant,
} from './types.js';
