/**
 * The outbox and log tables. One row per message (`mail_outbox`), one per attempt (`mail_attempts`);
 * per-status counts kept by triggers (`mail_counts`) so that the unfiltered log header never counts a
 * million rows; a trigram FTS5 index over subject and recipients for substring search (SQLite ≥ 3.34).
 * Attachments live as files beside the store; the row keeps their names, types, sizes and paths.
 */
import type { MailMigration } from './types.js';

export const MAIL_MIGRATIONS: MailMigration[] = [
  {
    id: 'mail-0001-outbox',
    up(db) {
      db.exec(`
        CREATE TABLE mail_outbox (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          id TEXT NOT NULL UNIQUE,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          source TEXT NOT NULL CHECK (source IN ('app', 'test')),
          status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
          recipients TEXT NOT NULL,
          to_json TEXT NOT NULL,
          subject TEXT NOT NULL,
          message_json TEXT NOT NULL,
          attachments_json TEXT NOT NULL DEFAULT '[]',
          total_bytes INTEGER NOT NULL DEFAULT 0,
          attempts INTEGER NOT NULL DEFAULT 0,
          attempt_base INTEGER NOT NULL DEFAULT 0,
          window_start INTEGER,
          next_attempt_at INTEGER NOT NULL,
          lease_until INTEGER,
          lease_owner TEXT,
          finished_at INTEGER,
          duration_ms INTEGER NOT NULL DEFAULT 0,
          path TEXT CHECK (path IS NULL OR path IN ('draft', 'sendMail')),
          phase TEXT NOT NULL DEFAULT 'new' CHECK (phase IN ('new', 'draft', 'ready', 'send-requested')),
          draft_id TEXT,
          draft_user TEXT,
          send_requested_at INTEGER,
          error_json TEXT
        );
        CREATE INDEX mail_outbox_created ON mail_outbox (created_at, id, status);
        CREATE INDEX mail_outbox_status_created ON mail_outbox (status, created_at, id);
        CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'queued';
        CREATE INDEX mail_outbox_leased ON mail_outbox (lease_until) WHERE status = 'sending';
        CREATE INDEX mail_outbox_finished ON mail_outbox (status, finished_at) WHERE status IN ('sent', 'failed');

        CREATE TABLE mail_attempts (
          id INTEGER PRIMARY KEY,
          message_seq INTEGER NOT NULL,
          at INTEGER NOT NULL,
          outcome TEXT NOT NULL,
          http_status INTEGER,
          request_id TEXT,
          client_request_id TEXT,
          error_json TEXT,
          ms INTEGER NOT NULL
        );
        CREATE INDEX mail_attempts_message ON mail_attempts (message_seq, id);

        CREATE TABLE mail_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL);
        INSERT INTO mail_counts (status, n) VALUES ('queued', 0), ('sending', 0), ('sent', 0), ('failed', 0), ('unknown', 0);

        CREATE VIRTUAL TABLE mail_fts USING fts5(subject, recipients, content='mail_outbox', content_rowid='seq', tokenize='trigram');

        CREATE TRIGGER mail_outbox_ai AFTER INSERT ON mail_outbox BEGIN
          UPDATE mail_counts SET n = n + 1 WHERE status = new.status;
          INSERT INTO mail_fts (rowid, subject, recipients) VALUES (new.seq, new.subject, new.recipients);
        END;
        CREATE TRIGGER mail_outbox_ad AFTER DELETE ON mail_outbox BEGIN
          UPDATE mail_counts SET n = n - 1 WHERE status = old.status;
          INSERT INTO mail_fts (mail_fts, rowid, subject, recipients) VALUES ('delete', old.seq, old.subject, old.recipients);
        END;
        CREATE TRIGGER mail_outbox_au_status AFTER UPDATE OF status ON mail_outbox WHEN old.status <> new.status BEGIN
          UPDATE mail_counts SET n = n - 1 WHERE status = old.status;
          UPDATE mail_counts SET n = n + 1 WHERE status = new.status;
        END;
        CREATE TRIGGER mail_outbox_au_text AFTER UPDATE OF subject, recipients ON mail_outbox BEGIN
          INSERT INTO mail_fts (mail_fts, rowid, subject, recipients) VALUES ('delete', old.seq, old.subject, old.recipients);
          INSERT INTO mail_fts (rowid, subject, recipients) VALUES (new.seq, new.subject, new.recipients);
        END;

        CREATE TABLE mail_warnings (
          id INTEGER PRIMARY KEY,
          at INTEGER NOT NULL,
          code TEXT NOT NULL,
          message TEXT NOT NULL,
          hint TEXT NOT NULL
        );
        CREATE INDEX mail_warnings_at ON mail_warnings (at);

        CREATE TABLE mail_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      `);
    },
  },
  {
    // Counts per UTC day and status, kept by triggers, so a date range's counts sum a few hundred small
    // rows instead of counting every message in the range (a year of a busy tenant is a million rows).
    id: 'mail-0002-daily-counts',
    up(db) {
      db.exec(`
        CREATE TABLE mail_daily_counts (day INTEGER NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (day, status)) WITHOUT ROWID;
        INSERT INTO mail_daily_counts (day, status, n) SELECT created_at / 86400000, status, count(*) FROM mail_outbox GROUP BY 1, 2;
        CREATE TRIGGER mail_daily_ai AFTER INSERT ON mail_outbox BEGIN
          INSERT INTO mail_daily_counts (day, status, n) VALUES (new.created_at / 86400000, new.status, 1)
            ON CONFLICT (day, status) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER mail_daily_ad AFTER DELETE ON mail_outbox BEGIN
          UPDATE mail_daily_counts SET n = n - 1 WHERE day = old.created_at / 86400000 AND status = old.status;
        END;
        CREATE TRIGGER mail_daily_au AFTER UPDATE OF status, created_at ON mail_outbox
          WHEN old.status <> new.status OR old.created_at <> new.created_at BEGIN
          UPDATE mail_daily_counts SET n = n - 1 WHERE day = old.created_at / 86400000 AND status = old.status;
          INSERT INTO mail_daily_counts (day, status, n) VALUES (new.created_at / 86400000, new.status, 1)
            ON CONFLICT (day, status) DO UPDATE SET n = n + 1;
        END;
      `);
    },
  },
  {
    // The send budget's reservations (./send-budget.ts): one row per send from a mailbox, kept a day.
    id: 'mail-0003-send-budget',
    up(db) {
      db.exec(`
        CREATE TABLE mail_send_budget (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          mailbox TEXT NOT NULL,
          message_seq INTEGER NOT NULL,
          at INTEGER NOT NULL,
          recipients INTEGER NOT NULL
        );
        CREATE INDEX mail_send_budget_at ON mail_send_budget (mailbox, at);
      `);
    },
  },
  {
    // What changed, in commit order, for the live feed of every process on this database: a second
    // server on the same file (another worker process, a restart overlapping a stop) sends messages the
    // first one's feed must show too. Insert and visible-field updates only; pruned after an hour.
    id: 'mail-0004-changes',
    up(db) {
      db.exec(`
        CREATE TABLE mail_changes (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          message_seq INTEGER NOT NULL,
          at INTEGER NOT NULL
        );
        CREATE INDEX mail_changes_at ON mail_changes (at);
        CREATE TRIGGER mail_changes_ai AFTER INSERT ON mail_outbox BEGIN
          INSERT INTO mail_changes (message_seq, at) VALUES (new.seq, new.updated_at);
        END;
        CREATE TRIGGER mail_changes_au AFTER UPDATE OF status, attempts, error_json, duration_ms ON mail_outbox BEGIN
          INSERT INTO mail_changes (message_seq, at) VALUES (new.seq, new.updated_at);
        END;
      `);
    },
  },
  {
    // Several configurations (one per customer of a host) on one database: every message and warning
    // belongs to one, and the log, its counts and its live feed read one configuration's rows only. The
    // rows written before are the single configuration's ('default'). The counts are kept per
    // configuration; the log's indexes lead with it; purging reads the age index across all of them.
    id: 'mail-0005-configurations',
    up(db) {
      db.exec(`
        ALTER TABLE mail_outbox ADD COLUMN config_id TEXT NOT NULL DEFAULT 'default';
        ALTER TABLE mail_warnings ADD COLUMN config_id TEXT NOT NULL DEFAULT 'default';

        DROP INDEX mail_outbox_created;
        DROP INDEX mail_outbox_status_created;
        DROP INDEX mail_outbox_finished;
        CREATE INDEX mail_outbox_created ON mail_outbox (config_id, created_at, id, status);
        CREATE INDEX mail_outbox_status_created ON mail_outbox (config_id, status, created_at, id);
        CREATE INDEX mail_outbox_finished ON mail_outbox (config_id, status, finished_at) WHERE status IN ('sent', 'failed');
        CREATE INDEX mail_outbox_age ON mail_outbox (created_at);
        CREATE INDEX mail_warnings_config ON mail_warnings (config_id, at, id);

        DROP TRIGGER mail_outbox_ai;
        DROP TRIGGER mail_outbox_ad;
        DROP TRIGGER mail_outbox_au_status;
        DROP TRIGGER mail_daily_ai;
        DROP TRIGGER mail_daily_ad;
        DROP TRIGGER mail_daily_au;

        CREATE TABLE mail_counts_by_config (config_id TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (config_id, status)) WITHOUT ROWID;
        INSERT INTO mail_counts_by_config (config_id, status, n) SELECT 'default', status, n FROM mail_counts WHERE n <> 0;
        DROP TABLE mail_counts;
        ALTER TABLE mail_counts_by_config RENAME TO mail_counts;

        CREATE TABLE mail_daily_by_config (config_id TEXT NOT NULL, day INTEGER NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (config_id, day, status)) WITHOUT ROWID;
        INSERT INTO mail_daily_by_config (config_id, day, status, n) SELECT 'default', day, status, n FROM mail_daily_counts WHERE n <> 0;
        DROP TABLE mail_daily_counts;
        ALTER TABLE mail_daily_by_config RENAME TO mail_daily_counts;

        CREATE TRIGGER mail_outbox_ai AFTER INSERT ON mail_outbox BEGIN
          INSERT INTO mail_counts (config_id, status, n) VALUES (new.config_id, new.status, 1)
            ON CONFLICT (config_id, status) DO UPDATE SET n = n + 1;
          INSERT INTO mail_fts (rowid, subject, recipients) VALUES (new.seq, new.subject, new.recipients);
        END;
        CREATE TRIGGER mail_outbox_ad AFTER DELETE ON mail_outbox BEGIN
          UPDATE mail_counts SET n = n - 1 WHERE config_id = old.config_id AND status = old.status;
          INSERT INTO mail_fts (mail_fts, rowid, subject, recipients) VALUES ('delete', old.seq, old.subject, old.recipients);
        END;
        CREATE TRIGGER mail_outbox_au_status AFTER UPDATE OF status ON mail_outbox WHEN old.status <> new.status BEGIN
          UPDATE mail_counts SET n = n - 1 WHERE config_id = old.config_id AND status = old.status;
          INSERT INTO mail_counts (config_id, status, n) VALUES (new.config_id, new.status, 1)
            ON CONFLICT (config_id, status) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER mail_daily_ai AFTER INSERT ON mail_outbox BEGIN
          INSERT INTO mail_daily_counts (config_id, day, status, n) VALUES (new.config_id, new.created_at / 86400000, new.status, 1)
            ON CONFLICT (config_id, day, status) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER mail_daily_ad AFTER DELETE ON mail_outbox BEGIN
          UPDATE mail_daily_counts SET n = n - 1 WHERE config_id = old.config_id AND day = old.created_at / 86400000 AND status = old.status;
        END;
        CREATE TRIGGER mail_daily_au AFTER UPDATE OF status, created_at ON mail_outbox
          WHEN old.status <> new.status OR old.created_at <> new.created_at BEGIN
          UPDATE mail_daily_counts SET n = n - 1 WHERE config_id = old.config_id AND day = old.created_at / 86400000 AND status = old.status;
          INSERT INTO mail_daily_counts (config_id, day, status, n) VALUES (new.config_id, new.created_at / 86400000, new.status, 1)
            ON CONFLICT (config_id, day, status) DO UPDATE SET n = n + 1;
        END;
      `);
    },
  },
];
