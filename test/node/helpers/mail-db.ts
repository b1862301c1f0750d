/**
 * A real SQLite store in a temporary folder for the mail tests, with the mail migrations applied.
 * Uses the core's `openDatabase` and `migrate` when they exist, so the tests run the real wiring.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MAIL_MIGRATIONS } from '../../../src/server/mail/migrations.js';
import type { Db } from '../../../src/server/mail/types.js';

const coreDb = resolve(import.meta.dirname, '../../../src/server/db.ts');

export interface TestStore {
  dir: string;
  dataDir: string;
  file: string;
  db: Db;
  close(): void;
}

/** Opens (or reopens) a store under `dir`. */
export async function openMailDb(dir: string): Promise<Db> {
  const file = join(dir, 'store.sqlite');
  if (existsSync(coreDb) && !process.env.MAIL_TEST_OWN_DB) {
    const core = (await import(coreDb)) as {
      openDatabase?: (file: string) => Db;
      migrate?: (db: Db, migrations: unknown[]) => void;
    };
    if (core.openDatabase && core.migrate) {
      const db = core.openDatabase(file);
      core.migrate(db, MAIL_MIGRATIONS);
      return db;
    }
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS test_migrations (id TEXT PRIMARY KEY)');
  for (const migration of MAIL_MIGRATIONS) {
    if (db.prepare('SELECT 1 FROM test_migrations WHERE id = ?').get(migration.id)) continue;
    db.transaction(() => {
      migration.up(db);
      db.prepare('INSERT INTO test_migrations (id) VALUES (?)').run(migration.id);
    })();
  }
  return db;
}

export async function tempStore(prefix = 'mail-test-'): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const db = await openMailDb(dir);
  return {
    dir,
    dataDir: dir,
    file: join(dir, 'store.sqlite'),
    db,
    close() {
      try {
        db.close();
      } catch {
        // already closed
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
