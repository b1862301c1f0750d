/**
 * The SQLite database of the reference server: one file, opened in WAL mode with `synchronous=FULL`
 * (a committed outbox row survives a power cut, SECURITY.md 23) and foreign keys on, and versioned
 * migrations in code, each run once and recorded in `schema_migrations`.
 *
 * The core and the mail module bring their own migrations; `migrate(db, [...core, ...mail])` runs the
 * ones not yet recorded, in the order given, each in its own transaction.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/** One schema step. `id` is recorded once applied, so it must never change once released. */
export interface Migration {
  id: string;
  up(db: Db): void;
}

/** Opens (creating folders and file as needed) a database with the server's pragmas. */
export function openDatabase(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // Two processes (a test and a server, or a restart overlapping a stop) wait rather than fail.
  db.pragma('busy_timeout = 5000');
  // Deleted pages are zeroed, so a removed secret's sealed bytes do not linger in free pages.
  db.pragma('secure_delete = ON');
  cacheStatements(db);
  return db;
}

/**
 * Keeps each prepared statement for its SQL text, so the stores can write `db.prepare(sql).run(...)`
 * where they use it and still compile each statement once: preparing is a good part of a short
 * statement's cost (about a tenth of the outbox's CPU time per message before this). At most `limit`
 * texts are kept, the least recently used dropped first, for the few statements built with a varying
 * shape. A statement still being iterated is busy and cannot run again, so a second use of its text
 * meanwhile gets a fresh one.
 */
function cacheStatements(db: Db, limit = 256): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    const kept = cache.get(sql);
    if (kept && !kept.busy) {
      cache.delete(sql);
      cache.set(sql, kept);
      return kept;
    }
    const statement = prepare(sql);
    if (kept) return statement;
    cache.set(sql, statement);
    if (cache.size > limit) cache.delete(cache.keys().next().value!);
    return statement;
  }) as Db['prepare'];
}

/**
 * Runs the migrations not yet recorded, in order. Returns the ids applied now. A migration that throws
 * rolls back alone and stops the run (the server must not start on a half-migrated schema).
 */
export function migrate(db: Db, migrations: readonly Migration[]): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id TEXT PRIMARY KEY,
    applied_at INTEGER NOT NULL
  )`);
  const seen = new Set<string>();
  for (const migration of migrations) {
    if (seen.has(migration.id)) throw new Error(`Two migrations share the id "${migration.id}".`);
    seen.add(migration.id);
  }
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE id = ?');
  const record = db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)');
  const applied: string[] = [];
  for (const migration of migrations) {
    // Checked inside the transaction too: a second process migrating the same file at once skips it.
    const run = db.transaction(() => {
      if (isApplied.get(migration.id)) return false;
      migration.up(db);
      record.run(migration.id, Date.now());
      return true;
    });
    if (run.immediate()) applied.push(migration.id);
  }
  return applied;
}

/** The ids recorded as applied, oldest first. */
export function appliedMigrations(db: Db): string[] {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!exists) return [];
  return (db.prepare('SELECT id FROM schema_migrations ORDER BY applied_at, rowid').all() as { id: string }[]).map((row) => row.id);
}
