// The rows written before there were several configurations belong to the single one ('default'): after
// the migration its log, counts, warnings and health are what they were, and new configurations start empty.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { migrate, openDatabase } from '../../../src/server/db.js';
import { MAIL_MIGRATIONS } from '../../../src/server/mail/migrations.js';
import { PG_MAIL_MIGRATIONS } from '../../../src/server/mail/pg-migrations.js';
import { PgMailStore } from '../../../src/server/mail/pg-store.js';
import { SqliteMailStore } from '../../../src/server/mail/sqlite-store.js';
import type { MailStore } from '../../../src/server/mail/store.js';
import { PgStore } from '../../../src/server/store/pg-store.js';
import { DEFAULT_CONFIG_ID } from '../../../src/server/store/types.js';
import { POSTGRES_URL, postgresUnavailable, scratchSchema } from '../helpers/postgres.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 9);
const ROWS: Array<[string, number, 'queued' | 'sent' | 'failed']> = [
  ['old-sent', T0, 'sent'],
  ['old-failed', T0 + DAY, 'failed'],
  ['old-queued', T0 + 2 * DAY, 'queued'],
];
const INSERT = `INSERT INTO mail_outbox (id, created_at, updated_at, source, status, recipients, to_json, subject, message_json, next_attempt_at, finished_at)
  VALUES ($1, $2, $2, 'app', $3, 'a@contoso.com', '["a@contoso.com"]', 'Before', '{}', $2, $4)`;

async function checkAfterMigration(store: MailStore): Promise<void> {
  const counts = { queued: 1, sending: 0, sent: 1, failed: 1, unknown: 0 };
  assert.deepEqual(await store.counts(DEFAULT_CONFIG_ID), counts, 'the counts carried over');
  assert.deepEqual(await store.counts(DEFAULT_CONFIG_ID, { from: new Date(T0 - DAY).toISOString(), to: new Date(T0 + 5 * DAY).toISOString() }), counts, 'the per-day counts too');
  assert.deepEqual((await store.query(DEFAULT_CONFIG_ID, {})).items.map((entry) => entry.id), ['old-queued', 'old-failed', 'old-sent']);
  assert.equal((await store.warnings(DEFAULT_CONFIG_ID)).length, 1);
  assert.equal((await store.outboxHealth(DEFAULT_CONFIG_ID, T0 + 2 * DAY)).queued, 1);
  assert.deepEqual(await store.counts('another'), { queued: 0, sending: 0, sent: 0, failed: 0, unknown: 0 });
  assert.deepEqual((await store.query('another', {})).items, []);
  assert.deepEqual(await store.warnings('another'), []);
  await store.insertMessage({
    id: 'new-one',
    config_id: 'another',
    created_at: T0 + 3 * DAY,
    source: 'app',
    recipients: 'b@contoso.com',
    to_json: '["b@contoso.com"]',
    subject: 'After',
    message_json: '{}',
    attachments_json: '[]',
    total_bytes: 0,
    next_attempt_at: T0 + 3 * DAY,
  });
  assert.equal((await store.counts('another')).queued, 1);
  assert.deepEqual(await store.counts(DEFAULT_CONFIG_ID), counts, 'not counted for the default configuration');
}

describe('the configurations migration', async () => {
  it('gives the SQLite rows before it to the default configuration', async () => {
    const db = openDatabase(':memory:');
    try {
      const last = MAIL_MIGRATIONS.findIndex((migration) => migration.id === 'mail-0005-configurations');
      assert.ok(last > 0);
      migrate(db, MAIL_MIGRATIONS.slice(0, last));
      const insert = db.prepare(INSERT.replace(/\$(\d)/g, '@p$1'));
      for (const [id, at, status] of ROWS) insert.run({ p1: id, p2: at, p3: status, p4: status === 'queued' ? null : at + 5 });
      db.prepare("INSERT INTO mail_warnings (at, code, message, hint) VALUES (?, 'old', 'Old warning', 'None')").run(T0);
      migrate(db, MAIL_MIGRATIONS);
      await checkAfterMigration(new SqliteMailStore(db));
    } finally {
      db.close();
    }
  });

  it('gives the PostgreSQL rows before it to the default configuration', { skip: (await postgresUnavailable()) ?? false }, async () => {
    const scratch = scratchSchema();
    const last = PG_MAIL_MIGRATIONS.findIndex((migration) => migration.id === 'mail-0003-configurations');
    assert.ok(last > 0);
    const before = await PgStore.open({ connectionString: POSTGRES_URL, schema: scratch.schema, max: 2, migrations: PG_MAIL_MIGRATIONS.slice(0, last) });
    try {
      for (const [id, at, status] of ROWS) await before.pool.query(INSERT, [id, at, status, status === 'queued' ? null : at + 5]);
      await before.pool.query("INSERT INTO mail_warnings (at, code, message, hint) VALUES ($1, 'old', 'Old warning', 'None')", [T0]);
    } finally {
      await before.close();
    }
    const after = await PgStore.open({ connectionString: POSTGRES_URL, schema: scratch.schema, max: 2, migrations: PG_MAIL_MIGRATIONS });
    try {
      await checkAfterMigration(new PgMailStore(after.pool));
    } finally {
      await after.close();
      await scratch.drop();
    }
  });
});
