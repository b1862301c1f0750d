/**
 * The pending sign-ins of the delegated connect flow. One row per `POST /connect`, keyed by a hash of
 * the state (the state travels through URLs; the row need not hold it). The row pins what the sign-in
 * started with (cloud, tenant, app, token URL, redirect URI, scope) so that the code is redeemed where
 * it was issued, and keeps the outcome for `/connect/status` until it is purged.
 */
import type { ConnectMigration } from './types.js';

export const CONNECT_MIGRATIONS: ConnectMigration[] = [
  {
    id: 'connect-0001-states',
    up(db) {
      db.exec(`
        CREATE TABLE connect_states (
          id TEXT PRIMARY KEY,
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
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          finished_at INTEGER
        );
        CREATE INDEX connect_states_binding ON connect_states (binding_hash, status);
        CREATE INDEX connect_states_expires ON connect_states (expires_at);
      `);
    },
  },
  {
    // Each sign-in belongs to one configuration (many customers on one server); rows from before were
    // all the single configuration's.
    id: 'connect-0002-config-id',
    up(db) {
      db.exec(`
        ALTER TABLE connect_states ADD COLUMN config_id TEXT NOT NULL DEFAULT 'default';
        CREATE INDEX connect_states_config ON connect_states (config_id, status);
      `);
    },
  },
];
