/**
 * The per-mailbox slots on PostgreSQL (servers sharing one database): at most `permits` across
 * holders, each holder with connections of its own; a dead holder's slots come back once their lease
 * runs out; a long request keeps its slot past the lease. Skipped with the reason where no PostgreSQL
 * answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PG_SLOTS_MIGRATIONS, PgMailboxSlots } from '../../../src/server/mail/pg-slots.js';
import { migratePg } from '../../../src/server/store/pg-migrations.js';
import { POSTGRES_URL, postgresUnavailable, scratchSchema } from '../helpers/postgres.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('mailbox slots on PostgreSQL', async () => {
  const skip = (await postgresUnavailable()) ?? false;
  let scratch: ReturnType<typeof scratchSchema>;
  const pools: pg.Pool[] = [];
  /** A pool of its own, as another process would have. */
  const pool = () => {
    const created = new pg.Pool({ connectionString: POSTGRES_URL, max: 3, options: `-c search_path=${scratch.schema}` });
    pools.push(created);
    return created;
  };

  before(async () => {
    if (skip) return;
    scratch = scratchSchema();
    await migratePg(pool(), PG_SLOTS_MIGRATIONS, scratch.schema);
  });
  after(async () => {
    if (skip) return;
    await Promise.all(pools.map((item) => item.end()));
    await scratch.drop();
  });

  it('lends at most four slots of a mailbox across holders, and frees a dead holder\'s when its lease runs out', { skip }, async () => {
    const first = new PgMailboxSlots(pool(), { leaseMs: 400, pollMs: 5 });
    const second = new PgMailboxSlots(pool(), { leaseMs: 400, pollMs: 5 });
    try {
      const held = await Promise.all([1, 2, 3, 4].map(() => first.acquire('global|contoso|payroll')));
      let fifth = false;
      const waiting = second.acquire('global|contoso|payroll').then((release) => {
        fifth = true;
        return release;
      });
      const other = await second.acquire('global|contoso|another-mailbox');
      other();
      await sleep(150);
      assert.equal(fifth, false, 'a fifth waits, in another holder too');
      held[0]();
      (await waiting)();
      assert.equal(fifth, true);
      // The first holder dies holding three (no more renewals, no release): their leases must run out.
      first.close();
      const started = Date.now();
      const taken = await Promise.all([1, 2, 3, 4].map(() => second.acquire('global|contoso|payroll')));
      assert.ok(Date.now() - started >= 250, 'the dead holder\'s slots were taken only after their lease');
      const { rows } = await pools[0].query<{ n: string }>("SELECT count(*) AS n FROM mail_mailbox_slots WHERE mailbox = 'global|contoso|payroll' AND holder IS NOT NULL");
      assert.equal(Number(rows[0].n), 4);
      for (const release of taken) release();
    } finally {
      first.close();
      second.close();
    }
  });

  it('never lends more than the permits when many ask at once', { skip }, async () => {
    const holders = [pool(), pool(), pool()].map((item) => new PgMailboxSlots(item, { permits: 2, leaseMs: 2_000, pollMs: 3 }));
    let inside = 0;
    let most = 0;
    try {
      await Promise.all(
        Array.from({ length: 24 }, async (_, i) => {
          const release = await holders[i % holders.length].acquire('crowded');
          inside += 1;
          most = Math.max(most, inside);
          await sleep(10);
          inside -= 1;
          release();
        }),
      );
      assert.equal(most, 2);
    } finally {
      for (const holder of holders) holder.close();
    }
  });

  it('renews a slot held by a long request, past its lease', { skip }, async () => {
    const a = new PgMailboxSlots(pool(), { permits: 1, leaseMs: 300, pollMs: 5 });
    const b = new PgMailboxSlots(pool(), { permits: 1, leaseMs: 300, pollMs: 5 });
    try {
      const release = await a.acquire('long');
      let taken = false;
      const waiting = b.acquire('long').then((give) => {
        taken = true;
        return give;
      });
      await sleep(1000);
      assert.equal(taken, false, 'three leases later, the slot is still its holder\'s');
      release();
      (await waiting)();
      assert.equal(taken, true);
    } finally {
      a.close();
      b.close();
    }
  });
});
