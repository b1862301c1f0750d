// Counts of a date range come from per-day totals plus the partial days at the ends: they must equal a
// plain count for any range, through inserts, status changes and deletes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LOG_STATUSES, type LogStatus } from '../../../src/services/contract.js';
import { SqliteMailStore } from '../../../src/server/mail/sqlite-store.js';
import { tempStore, type TestStore } from '../helpers/mail-db.js';
import { DEFAULT_CONFIG_ID } from '../../../src/server/store/types.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);

describe('date-range counts', () => {
  let store: TestStore;
  let log: SqliteMailStore;
  let seed = 7;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);

  const brute = (from: number, to: number) => {
    const rows = store.db.prepare('SELECT status, count(*) AS n FROM mail_outbox WHERE created_at >= ? AND created_at < ? GROUP BY status').all(from, to) as Array<{ status: LogStatus; n: number }>;
    const counts = Object.fromEntries(LOG_STATUSES.map((status) => [status, 0]));
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  };

  const checkRanges = async (label: string) => {
    for (let i = 0; i < 60; i += 1) {
      const a = START - DAY + Math.floor(random() * 40 * DAY);
      const b = a + Math.floor(random() * 20 * DAY);
      const query = { from: new Date(a).toISOString(), to: new Date(b).toISOString() };
      assert.deepEqual(await log.counts(DEFAULT_CONFIG_ID, query), brute(a, b), `${label}: ${query.from} .. ${query.to}`);
    }
    // Whole days, a bare end date (its whole day), and one bound alone.
    assert.deepEqual(await log.counts(DEFAULT_CONFIG_ID, { from: '2026-01-05', to: '2026-01-09' }), brute(Date.UTC(2026, 0, 5), Date.UTC(2026, 0, 10)));
    assert.deepEqual(await log.counts(DEFAULT_CONFIG_ID, { from: '2026-01-20' }), brute(Date.UTC(2026, 0, 20), Number.MAX_SAFE_INTEGER));
    assert.deepEqual(await log.counts(DEFAULT_CONFIG_ID, { to: '2026-01-03T12:00:00Z' }), brute(0, Date.UTC(2026, 0, 3, 12)));
  };

  before(async () => {
    store = await tempStore('daily-counts-');
    log = new SqliteMailStore(store.db);
    const insert = store.db.prepare(
      `INSERT INTO mail_outbox (id, created_at, updated_at, source, status, recipients, to_json, subject, message_json, next_attempt_at)
       VALUES (?, ?, ?, 'app', ?, 'a@contoso.com', '["a@contoso.com"]', 'Subject', '{}', ?)`,
    );
    store.db.transaction(() => {
      for (let i = 0; i < 3000; i += 1) {
        const at = START + Math.floor(random() * 30 * DAY);
        insert.run(`d${i}`, at, at, LOG_STATUSES[Math.floor(random() * LOG_STATUSES.length)], at);
      }
    })();
  });

  after(async () => {
    await store?.close();
  });

  it('equals a plain count for any range', () => checkRanges('after inserts'));

  it('stays equal through status changes and deletes', async () => {
    store.db.prepare("UPDATE mail_outbox SET status = 'sent' WHERE status = 'sending' AND seq % 2 = 0").run();
    store.db.prepare("UPDATE mail_outbox SET status = 'failed' WHERE status = 'queued' AND seq % 3 = 0").run();
    store.db.prepare('DELETE FROM mail_outbox WHERE seq % 7 = 0').run();
    await checkRanges('after changes');
  });
});
