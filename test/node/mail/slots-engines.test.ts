/**
 * The per-mailbox slots shared by server processes, on both engines (a SQLite side file for processes
 * on one folder, a table for servers on one PostgreSQL database): at most `permits` across holders,
 * each holder with a connection of its own; a dead holder's slots come back once their lease runs out;
 * a long request keeps its slot past the lease. The PostgreSQL half is skipped with the reason where
 * none answers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PG_SLOTS_MIGRATIONS, PgMailboxSlots } from '../../../src/server/mail/pg-slots.js';
import { SqliteMailboxSlots, type MailboxSlots, type SharedSlotsOptions } from '../../../src/server/mail/shared-slots.js';
import { migratePg } from '../../../src/server/store/pg-migrations.js';
import { POSTGRES_URL, postgresUnavailable, scratchSchema } from '../helpers/postgres.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Engine {
  name: string;
  skip: () => Promise<string | null>;
  /** Sets up the shared place; returns a maker of holders (each as another process would be), a count of held slots, and a clean-up. */
  open(): Promise<{ holder: (options: SharedSlotsOptions) => MailboxSlots; held: (mailbox: string) => Promise<number>; close: () => Promise<void> }>;
}

const engines: Engine[] = [
  {
    name: 'SQLite',
    skip: async () => null,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'gm-slots-'));
      const file = join(dir, 'mailbox-slots.sqlite');
      return {
        holder: (options) => new SqliteMailboxSlots(file, options),
        async held(mailbox) {
          const db = new Database(file, { readonly: true });
          try {
            return (db.prepare('SELECT count(*) AS n FROM mailbox_slots WHERE mailbox = ? AND holder IS NOT NULL').get(mailbox) as { n: number }).n;
          } finally {
            db.close();
          }
        },
        close: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    skip: postgresUnavailable,
    async open() {
      const scratch = scratchSchema();
      const pools: pg.Pool[] = [];
      const pool = () => {
        const created = new pg.Pool({ connectionString: POSTGRES_URL, max: 3, options: `-c search_path=${scratch.schema}` });
        pools.push(created);
        return created;
      };
      await migratePg(pool(), PG_SLOTS_MIGRATIONS, scratch.schema);
      return {
        holder: (options) => new PgMailboxSlots(pool(), options),
        async held(mailbox) {
          const { rows } = await pools[0].query<{ n: string }>('SELECT count(*) AS n FROM mail_mailbox_slots WHERE mailbox = $1 AND holder IS NOT NULL', [mailbox]);
          return Number(rows[0].n);
        },
        async close() {
          await Promise.all(pools.map((item) => item.end()));
          await scratch.drop();
        },
      };
    },
  },
];

for (const engine of engines) {
  describe(`mailbox slots on ${engine.name}`, async () => {
    const skip = (await engine.skip()) ?? false;
    let holder: (options: SharedSlotsOptions) => MailboxSlots;
    let held: (mailbox: string) => Promise<number>;
    let close: () => Promise<void>;
    before(async () => {
      if (!skip) ({ holder, held, close } = await engine.open());
    });
    after(async () => {
      if (!skip) await close();
    });

    it("lends at most four slots of a mailbox across holders, and frees a dead holder's when its lease runs out", { skip }, async () => {
      const first = holder({ leaseMs: 400, pollMs: 5 });
      const second = holder({ leaseMs: 400, pollMs: 5 });
      try {
        const taken = await Promise.all([1, 2, 3, 4].map(() => first.acquire('global|contoso|payroll')));
        let fifth = false;
        const waiting = second.acquire('global|contoso|payroll').then((release) => {
          fifth = true;
          return release;
        });
        const other = await second.acquire('global|contoso|another-mailbox');
        other();
        await sleep(150);
        assert.equal(fifth, false, 'a fifth waits, in another holder too');
        taken[0]();
        (await waiting)();
        assert.equal(fifth, true);
        // The first holder dies holding three (no more renewals, no release): their leases must run out.
        first.close();
        const started = Date.now();
        const after = await Promise.all([1, 2, 3, 4].map(() => second.acquire('global|contoso|payroll')));
        assert.ok(Date.now() - started >= 250, "the dead holder's slots were taken only after their lease");
        assert.equal(await held('global|contoso|payroll'), 4);
        for (const release of after) release();
      } finally {
        first.close();
        second.close();
      }
    });

    it('never lends more than the permits when many ask at once', { skip }, async () => {
      const holders = [1, 2, 3].map(() => holder({ permits: 2, leaseMs: 2_000, pollMs: 3 }));
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
        for (const item of holders) item.close();
      }
    });

    it('renews a slot held by a long request, past its lease', { skip }, async () => {
      const a = holder({ permits: 1, leaseMs: 300, pollMs: 5 });
      const b = holder({ permits: 1, leaseMs: 300, pollMs: 5 });
      try {
        const release = await a.acquire('long');
        let taken = false;
        const waiting = b.acquire('long').then((give) => {
          taken = true;
          return give;
        });
        await sleep(1000);
        assert.equal(taken, false, "three leases later, the slot is still its holder's");
        release();
        (await waiting)();
        assert.equal(taken, true);
      } finally {
        a.close();
        b.close();
      }
    });
  });
}
