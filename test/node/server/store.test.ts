import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CORE_MIGRATIONS, appliedMigrations, migrate, openDatabase, serverMigrations, type Db } from '../../../src/server/index.js';
import { MAIL_MIGRATIONS } from '../../../src/server/mail/migrations.js';

// The store's behaviour on both engines is in ./store-engines.test.ts; here, SQLite's own set-up.
describe('database and migrations', () => {
  let dir: string;
  let db: Db;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gm-store-'));
    db = openDatabase(join(dir, 'nested', 'graph-mail.sqlite'));
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens in WAL mode with synchronous=FULL and foreign keys on', () => {
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('synchronous', { simple: true }), 2);
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  });

  it('prepares each statement once, and a fresh one while the kept one is still iterating', () => {
    db.exec('CREATE TABLE cache_probe (n INTEGER)');
    const insert = 'INSERT INTO cache_probe (n) VALUES (?)';
    assert.equal(db.prepare(insert), db.prepare(insert), 'the same SQL gives the same statement');
    for (let n = 0; n < 3; n += 1) db.prepare(insert).run(n);
    const select = 'SELECT n FROM cache_probe ORDER BY n';
    const seen: number[] = [];
    for (const row of db.prepare(select).iterate() as IterableIterator<{ n: number }>) {
      // Runs the same text while the first is busy: without a fresh statement this throws.
      seen.push(row.n, (db.prepare(select).all() as { n: number }[]).length);
    }
    assert.deepEqual(seen, [0, 3, 1, 3, 2, 3]);
    db.exec('DROP TABLE cache_probe');
  });

  it('runs core and mail migrations once each and records them', () => {
    const all = serverMigrations({ migrations: MAIL_MIGRATIONS });
    const first = migrate(db, all);
    assert.deepEqual(first, all.map((migration) => migration.id));
    assert.deepEqual(migrate(db, all), [], 'nothing runs twice');
    assert.deepEqual(appliedMigrations(db), all.map((migration) => migration.id));
    assert.ok(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'gm_config'").get());
    assert.ok(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'mail_outbox'").get());
    assert.ok(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'connect_states'").get());
  });

  it('rolls a failing migration back alone and stops', () => {
    const failing = [{ id: 'test-fail', up: (d: Db) => { d.exec('CREATE TABLE half_done (x INTEGER)'); throw new Error('boom'); } }];
    assert.throws(() => migrate(db, [...CORE_MIGRATIONS, ...failing]), /boom/);
    assert.equal(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'half_done'").get(), undefined);
    assert.ok(!appliedMigrations(db).includes('test-fail'));
    assert.throws(() => migrate(db, [CORE_MIGRATIONS[0], CORE_MIGRATIONS[0]]), /share the id/);
  });
});
