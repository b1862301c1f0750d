/**
 * The per-mailbox slots of ./shared-slots.ts on PostgreSQL, for servers that share one database (each
 * on its own machine, perhaps). A slot is a row of `mail_mailbox_slots` leased to one process:
 * - taking one is one statement: the first free or expired slot of the mailbox, locked with
 *   `FOR UPDATE SKIP LOCKED` so two processes asking at once never wait on each other or take the same
 *   row, is given the holder and a lease in the same UPDATE;
 * - the lease is counted on the database's clock, so processes whose clocks differ agree on when it
 *   runs out;
 * - it is renewed every third of its lease while its request runs and given back on release; a process
 *   that dies frees its slots within one lease.
 *
 * Every write runs with `SET LOCAL synchronous_commit = off`: the commit returns before its WAL reaches
 * the disk. That is sound here because a slot is worth nothing after a crash: a take lost with the last
 * moments before a database crash means at most one request more than the limit on a mailbox for a
 * moment (Exchange answers it with 429, which the mailer retries), and a lost renewal or release only
 * means the lease runs out by itself. Nothing else reads these rows, and the setting never makes a
 * commit visible out of order or half-applied. A slot taken and given back around every Graph request
 * must not cost two WAL flushes of the database the outbox relies on.
 */
import type pg from 'pg';
import type { PgMigration } from '../store/pg-migrations.js';
import { LeasedMailboxSlots, type SharedSlotsOptions } from './shared-slots.js';
import { withTransaction } from '../store/pg-transaction.js';

export const PG_SLOTS_MIGRATIONS: PgMigration[] = [
  {
    id: 'mail-slots-0001',
    sql: `
      CREATE TABLE mail_mailbox_slots (
        mailbox TEXT NOT NULL,
        slot INTEGER NOT NULL,
        holder TEXT,
        until BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (mailbox, slot)
      );
    `,
  },
];

/** The database's clock in milliseconds. */
const NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

export class PgMailboxSlots extends LeasedMailboxSlots {
  /** `pool` is the server's (its search path on the schema that holds `PG_SLOTS_MIGRATIONS`); closing the slots leaves it open. */
  constructor(
    private readonly pool: pg.Pool,
    options: SharedSlotsOptions = {},
  ) {
    super(options);
  }

  /** One write with `synchronous_commit = off` (see the top of this file); resolves with its rows. */
  private write<T extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<T[]> {
    return withTransaction(this.pool, async (client) => (await client.query<T>(sql, values)).rows, 'SET LOCAL synchronous_commit = off');
  }

  protected async take(key: string): Promise<number | null> {
    if (!this.seeded.has(key)) {
      await this.write('INSERT INTO mail_mailbox_slots (mailbox, slot) SELECT $1, s FROM generate_series(0, $2::int - 1) AS s ON CONFLICT DO NOTHING', [key, this.permits]);
      this.seeded.add(key);
    }
    const rows = await this.write<{ slot: number }>(
      `UPDATE mail_mailbox_slots SET holder = $1, until = ${NOW_MS} + $2
       WHERE (mailbox, slot) = (
         SELECT mailbox, slot FROM mail_mailbox_slots
         WHERE mailbox = $3 AND slot < $4 AND (holder IS NULL OR until <= ${NOW_MS})
         ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING slot`,
      [this.holder, this.leaseMs, key, this.permits],
    );
    return rows[0] ? rows[0].slot : null;
  }

  protected renew(key: string, slot: number): Promise<unknown> {
    return this.write(`UPDATE mail_mailbox_slots SET until = ${NOW_MS} + $1 WHERE mailbox = $2 AND slot = $3 AND holder = $4`, [this.leaseMs, key, slot, this.holder]);
  }

  protected giveBack(key: string, slot: number): Promise<unknown> {
    return this.write('UPDATE mail_mailbox_slots SET holder = NULL, until = 0 WHERE mailbox = $1 AND slot = $2 AND holder = $3', [key, slot, this.holder]);
  }
}
