/**
 * The core's tables (SQLite). Every row carries its configuration id (see ./types.ts). Sealed columns
 * hold `gm1.…` text only; nothing here is ever a secret in clear.
 */
import type { Migration } from '../db.js';

export const CORE_MIGRATIONS: Migration[] = [
  {
    id: 'core-0001-config',
    up(db) {
      db.exec(`
        CREATE TABLE gm_config (
          config_id TEXT PRIMARY KEY,
          settings_json TEXT NOT NULL,
          revision TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        );

        CREATE TABLE gm_secret (
          config_id TEXT NOT NULL REFERENCES gm_config (config_id) ON DELETE CASCADE,
          field TEXT NOT NULL CHECK (field IN ('clientSecret', 'privateKey')),
          sealed TEXT NOT NULL CHECK (sealed LIKE 'gm1.%'),
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (config_id, field)
        );

        CREATE TABLE gm_connection (
          config_id TEXT PRIMARY KEY,
          state TEXT NOT NULL CHECK (state IN ('disconnected', 'connected', 'needs-reconnect', 'error')),
          account TEXT NOT NULL DEFAULT '',
          connected_at TEXT NOT NULL DEFAULT '',
          reason TEXT,
          granted_json TEXT NOT NULL DEFAULT '[]',
          scope TEXT NOT NULL DEFAULT '',
          refresh_sealed TEXT CHECK (refresh_sealed IS NULL OR refresh_sealed LIKE 'gm1.%'),
          token_version INTEGER NOT NULL DEFAULT 0,
          updated_at INTEGER NOT NULL
        );

        CREATE TABLE gm_audit (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          config_id TEXT NOT NULL,
          at INTEGER NOT NULL,
          actor TEXT NOT NULL,
          action TEXT NOT NULL,
          fields_json TEXT NOT NULL
        );
        CREATE INDEX gm_audit_config ON gm_audit (config_id, id);
      `);
    },
  },
  {
    // A second client secret during a rotation (`nextClientSecret`): the field's CHECK grows, which
    // SQLite can only do by rebuilding the table.
    id: 'core-0002-next-secret',
    up(db) {
      db.exec(`
        CREATE TABLE gm_secret_next (
          config_id TEXT NOT NULL REFERENCES gm_config (config_id) ON DELETE CASCADE,
          field TEXT NOT NULL CHECK (field IN ('clientSecret', 'privateKey', 'nextClientSecret')),
          sealed TEXT NOT NULL CHECK (sealed LIKE 'gm1.%'),
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (config_id, field)
        );
        INSERT INTO gm_secret_next (config_id, field, sealed, updated_at) SELECT config_id, field, sealed, updated_at FROM gm_secret;
        DROP TABLE gm_secret;
        ALTER TABLE gm_secret_next RENAME TO gm_secret;
      `);
    },
  },
  {
    // Delegated: whether the signed-in account may send as the From mailbox, checked after connecting.
    id: 'core-0003-send-as',
    up(db) {
      db.exec('ALTER TABLE gm_connection ADD COLUMN send_as_json TEXT');
    },
  },
  {
    // The access token cache shared by every instance on this database, and the lease on asking for
    // a new token (see GraphMailStore.leaseTokenRequest).
    id: 'core-0003-token-cache',
    up(db) {
      db.exec(`
        CREATE TABLE gm_token (
          config_id TEXT PRIMARY KEY,
          stamp TEXT,
          sealed TEXT CHECK (sealed IS NULL OR sealed LIKE 'gm1.%'),
          scopes_json TEXT NOT NULL DEFAULT '[]',
          expires_at INTEGER NOT NULL DEFAULT 0,
          stored_at INTEGER NOT NULL DEFAULT 0,
          lease_holder TEXT,
          lease_until INTEGER NOT NULL DEFAULT 0
        );
      `);
    },
  },
];
