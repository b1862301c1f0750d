/**
 * The mail tables on PostgreSQL, the same rows as ./migrations.ts for SQLite, run by the core's
 * `migratePg` (`PgStore.open({ migrations: PG_MAIL_MIGRATIONS })`). Times are milliseconds in BIGINT.
 * What differs from SQLite, and why:
 * - `mail_feed_lock()`: a transaction-level advisory lock (one per schema) that every write which
 *   lists a change, counts a status or adds a warning holds until it commits. It makes the order of
 *   the change list's sequence the order of commit, which the live feed reads by (see ./pg-store.ts).
 *   The triggers take it too, before they draw a sequence number, so even a writer that forgot it
 *   cannot list a change out of order; the store takes it first in each such transaction, before any
 *   row lock, so it never waits for it while holding a row another writer wants.
 * - per-status counts live in one table by UTC day and status (`mail_daily_counts`): the unfiltered
 *   header sums a few hundred rows, a date range sums its whole days and counts only its two partial
 *   days row by row. Counting the range instead reads all of it on the time index on every log page:
 *   330 days of a million rows took 130 ms that way against 2 ms with the table (PostgreSQL 15, after
 *   VACUUM ANALYZE, so with index-only scans). The table costs one row update per status change, made
 *   under the feed lock that the write holds anyway, so it adds no contention.
 * - text search: a case-insensitive substring (`ILIKE`) of the subject or the recipients. With the
 *   pg_trgm extension (created here when the role may, found in whichever schema holds it) each column
 *   gets a trigram GIN index; without it the same `ILIKE` reads the time index newest first, which a
 *   page fills quickly and which the 1,000-match cap of the counts bounds. Same answers either way.
 */
import type { PgMigration } from '../store/pg-migrations.js';

export const PG_MAIL_MIGRATIONS: PgMigration[] = [
  {
    id: 'mail-0001-outbox',
    sql: `
      CREATE TABLE mail_outbox (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id TEXT COLLATE "C" NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('app', 'test')),
        status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
        recipients TEXT NOT NULL,
        to_json TEXT NOT NULL,
        subject TEXT NOT NULL,
        message_json TEXT NOT NULL,
        attachments_json TEXT NOT NULL DEFAULT '[]',
        total_bytes BIGINT NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        attempt_base INTEGER NOT NULL DEFAULT 0,
        window_start BIGINT,
        next_attempt_at BIGINT NOT NULL,
        lease_until BIGINT,
        lease_owner TEXT,
        finished_at BIGINT,
        duration_ms BIGINT NOT NULL DEFAULT 0,
        path TEXT CHECK (path IS NULL OR path IN ('draft', 'sendMail')),
        phase TEXT NOT NULL DEFAULT 'new' CHECK (phase IN ('new', 'draft', 'ready', 'send-requested')),
        draft_id TEXT,
        draft_user TEXT,
        send_requested_at BIGINT,
        error_json TEXT
      );
      CREATE INDEX mail_outbox_created ON mail_outbox (created_at, id) INCLUDE (status);
      CREATE INDEX mail_outbox_status_created ON mail_outbox (status, created_at, id);
      CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at, seq) WHERE status = 'queued';
      CREATE INDEX mail_outbox_leased ON mail_outbox (lease_until) WHERE status = 'sending';
      CREATE INDEX mail_outbox_finished ON mail_outbox (status, finished_at) WHERE status IN ('sent', 'failed');

      CREATE TABLE mail_attempts (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        message_seq BIGINT NOT NULL,
        at BIGINT NOT NULL,
        outcome TEXT NOT NULL,
        http_status INTEGER,
        request_id TEXT,
        client_request_id TEXT,
        error_json TEXT,
        ms BIGINT NOT NULL
      );
      CREATE INDEX mail_attempts_message ON mail_attempts (message_seq, id);

      CREATE TABLE mail_daily_counts (
        day BIGINT NOT NULL,
        status TEXT NOT NULL,
        n BIGINT NOT NULL,
        PRIMARY KEY (day, status)
      );

      CREATE TABLE mail_changes (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        message_seq BIGINT NOT NULL,
        at BIGINT NOT NULL
      );
      CREATE INDEX mail_changes_at ON mail_changes (at);

      CREATE TABLE mail_warnings (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at BIGINT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        hint TEXT NOT NULL
      );
      CREATE INDEX mail_warnings_at ON mail_warnings (at);

      CREATE TABLE mail_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

      CREATE TABLE mail_send_budget (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        mailbox TEXT NOT NULL,
        message_seq BIGINT NOT NULL,
        at BIGINT NOT NULL,
        recipients INTEGER NOT NULL
      );
      CREATE INDEX mail_send_budget_at ON mail_send_budget (mailbox, at);

      -- One lock per schema, so two deployments in two schemas of one database do not wait for each other.
      CREATE FUNCTION mail_feed_lock() RETURNS void LANGUAGE sql AS
        $$ SELECT pg_advisory_xact_lock(1735221606, hashtext(current_schema())) $$;

      CREATE FUNCTION mail_outbox_counted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM mail_feed_lock();
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          UPDATE mail_daily_counts SET n = n - 1 WHERE day = OLD.created_at / 86400000 AND status = OLD.status;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          INSERT INTO mail_daily_counts (day, status, n) VALUES (NEW.created_at / 86400000, NEW.status, 1)
            ON CONFLICT (day, status) DO UPDATE SET n = mail_daily_counts.n + 1;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER mail_outbox_counted_ins AFTER INSERT OR DELETE ON mail_outbox
        FOR EACH ROW EXECUTE FUNCTION mail_outbox_counted();
      CREATE TRIGGER mail_outbox_counted_upd AFTER UPDATE OF status, created_at ON mail_outbox
        FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.created_at IS DISTINCT FROM NEW.created_at)
        EXECUTE FUNCTION mail_outbox_counted();

      CREATE FUNCTION mail_outbox_listed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM mail_feed_lock();
        INSERT INTO mail_changes (message_seq, at) VALUES (NEW.seq, NEW.updated_at);
        RETURN NULL;
      END $$;
      CREATE TRIGGER mail_outbox_listed_ins AFTER INSERT ON mail_outbox
        FOR EACH ROW EXECUTE FUNCTION mail_outbox_listed();
      CREATE TRIGGER mail_outbox_listed_upd AFTER UPDATE OF status, attempts, error_json, duration_ms ON mail_outbox
        FOR EACH ROW EXECUTE FUNCTION mail_outbox_listed();
    `,
  },
  {
    id: 'mail-0002-text-search',
    sql: `
      DO $$
      DECLARE
        ext_schema TEXT;
      BEGIN
        SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
        IF ext_schema IS NULL THEN
          BEGIN
            -- In public when there is one, so that dropping one deployment's schema leaves it to the others.
            IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') THEN
              CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
            ELSE
              CREATE EXTENSION IF NOT EXISTS pg_trgm;
            END IF;
          EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'pg_trgm is not available (%): the log searches text without a trigram index', SQLERRM;
          END;
          SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
        END IF;
        IF ext_schema IS NOT NULL THEN
          EXECUTE format('CREATE INDEX mail_outbox_subject_trgm ON mail_outbox USING gin (subject %I.gin_trgm_ops)', ext_schema);
          EXECUTE format('CREATE INDEX mail_outbox_recipients_trgm ON mail_outbox USING gin (recipients %I.gin_trgm_ops)', ext_schema);
        END IF;
      END $$;
    `,
  },
  {
    // Several configurations on one database (see ./migrations.ts, mail-0005): every message and warning
    // belongs to one; the counts are kept per configuration and the log's indexes lead with it.
    id: 'mail-0003-configurations',
    sql: `
      ALTER TABLE mail_outbox ADD COLUMN config_id TEXT COLLATE "C" NOT NULL DEFAULT 'default';
      ALTER TABLE mail_warnings ADD COLUMN config_id TEXT NOT NULL DEFAULT 'default';

      DROP INDEX mail_outbox_created;
      DROP INDEX mail_outbox_status_created;
      DROP INDEX mail_outbox_finished;
      CREATE INDEX mail_outbox_created ON mail_outbox (config_id, created_at, id) INCLUDE (status);
      CREATE INDEX mail_outbox_status_created ON mail_outbox (config_id, status, created_at, id);
      CREATE INDEX mail_outbox_finished ON mail_outbox (config_id, status, finished_at) WHERE status IN ('sent', 'failed');
      CREATE INDEX mail_outbox_age ON mail_outbox (created_at);
      CREATE INDEX mail_warnings_config ON mail_warnings (config_id, at, id);

      ALTER TABLE mail_daily_counts ADD COLUMN config_id TEXT NOT NULL DEFAULT 'default';
      ALTER TABLE mail_daily_counts DROP CONSTRAINT mail_daily_counts_pkey;
      ALTER TABLE mail_daily_counts ADD PRIMARY KEY (config_id, day, status);

      CREATE OR REPLACE FUNCTION mail_outbox_counted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM mail_feed_lock();
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          UPDATE mail_daily_counts SET n = n - 1 WHERE config_id = OLD.config_id AND day = OLD.created_at / 86400000 AND status = OLD.status;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          INSERT INTO mail_daily_counts (config_id, day, status, n) VALUES (NEW.config_id, NEW.created_at / 86400000, NEW.status, 1)
            ON CONFLICT (config_id, day, status) DO UPDATE SET n = mail_daily_counts.n + 1;
        END IF;
        RETURN NULL;
      END $$;
    `,
  },
  {
    // Attachments of queued messages for instances that share only the database (./pg-attachments.ts).
    id: 'mail-0004-attachment-chunks',
    sql: `
      CREATE TABLE mail_attachment_chunks (
        message_id TEXT NOT NULL,
        part INTEGER NOT NULL,
        chunk INTEGER NOT NULL,
        data BYTEA NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (message_id, part, chunk)
      );
      -- Already compressed more often than not (PDFs, images, zip): not worth the CPU.
      ALTER TABLE mail_attachment_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
      CREATE INDEX mail_attachment_chunks_age ON mail_attachment_chunks (created_at);
    `,
  },
];
