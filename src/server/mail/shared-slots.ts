/**
 * The per-mailbox limit across processes: Exchange Online answers a fifth concurrent request on one
 * mailbox with 429, whichever process sends it. With several processes on one data folder, each
 * request takes one of the mailbox's slots here as well as the process's own semaphore; a slot is a
 * short lease, renewed while its request runs, so a process that dies frees its slots within one lease
 * (15 s by default) and the others go on at full speed.
 *
 * The slots live in a small SQLite file of their own beside the store, written with
 * `synchronous = OFF`: a slot is worth nothing after a crash (its lease runs out anyway), and a slot
 * taken and given back around every Graph request must not cost two fsyncs of the outbox's database.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';

export interface MailboxSlots {
  /** Takes one of the mailbox's slots shared by every process, waiting while all are taken; resolves with its release. */
  acquire(key: string): Promise<() => void>;
  close(): void;
}

export interface SharedSlotsOptions {
  /** Slots per mailbox [4]. */
  permits?: number;
  /** A slot's lease, renewed every third of it while its request runs; a dead holder's runs out [15 s]. */
  leaseMs?: number;
  /** How often a process waiting for a slot looks again [15 ms, with jitter]. */
  pollMs?: number;
}

/**
 * What every engine of the shared slots does the same way: wait for a slot (polling with jitter), renew
 * its lease every third of it while it is held, give it back once, and stop renewing on close. An
 * engine says only how to take, renew and give back one slot, with `holder` as this process.
 */
export abstract class LeasedMailboxSlots implements MailboxSlots {
  protected readonly holder = randomUUID();
  protected readonly permits: number;
  protected readonly leaseMs: number;
  private readonly pollMs: number;
  /** Mailboxes whose slot rows this process has made sure exist. */
  protected readonly seeded = new Set<string>();
  /** The renewals of the slots this process holds. */
  private readonly renewals = new Set<NodeJS.Timeout>();
  protected closed = false;

  constructor(options: SharedSlotsOptions = {}) {
    this.permits = options.permits ?? 4;
    this.leaseMs = options.leaseMs ?? 15_000;
    this.pollMs = options.pollMs ?? 15;
    if (!Number.isInteger(this.permits) || this.permits < 1) throw new RangeError('permits must be a positive integer');
  }

  /** The first free or expired slot of the mailbox, leased to `holder`; null when all are held. */
  protected abstract take(key: string): Promise<number | null> | number | null;
  protected abstract renew(key: string, slot: number): Promise<unknown> | void;
  protected abstract giveBack(key: string, slot: number): Promise<unknown> | void;

  async acquire(key: string): Promise<() => void> {
    for (;;) {
      if (this.closed) throw new Error('The mailbox slots are closed.');
      const slot = await this.take(key);
      if (slot !== null) return this.hold(key, slot);
      await new Promise((resolve) => setTimeout(resolve, this.pollMs + Math.random() * this.pollMs));
    }
  }

  /** Failures of a renewal or a release are left alone: the next beat tries again, or the lease runs out. */
  private quietly(work: () => Promise<unknown> | void): void {
    try {
      void Promise.resolve(work()).catch(() => undefined);
    } catch {
      // as above
    }
  }

  private hold(key: string, slot: number): () => void {
    let released = false;
    const renew = setInterval(() => this.quietly(() => this.renew(key, slot)), Math.max(50, Math.floor(this.leaseMs / 3)));
    renew.unref();
    this.renewals.add(renew);
    return () => {
      if (released) return;
      released = true;
      clearInterval(renew);
      this.renewals.delete(renew);
      if (!this.closed) this.quietly(() => this.giveBack(key, slot));
    };
  }

  /** Stops renewing: the leases then run out. */
  close(): void {
    this.closed = true;
    for (const renew of this.renewals) clearInterval(renew);
    this.renewals.clear();
  }
}

export class SqliteMailboxSlots extends LeasedMailboxSlots {
  private readonly db: Database.Database;
  private readonly takeSlot: Database.Transaction<(key: string, now: number) => number | null>;

  constructor(file: string, options: SharedSlotsOptions = {}) {
    super(options);
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS mailbox_slots (
      mailbox TEXT NOT NULL,
      slot INTEGER NOT NULL,
      holder TEXT,
      until INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (mailbox, slot)
    )`);
    const seed = this.db.prepare('INSERT OR IGNORE INTO mailbox_slots (mailbox, slot) VALUES (?, ?)');
    const claim = this.db.prepare(
      `UPDATE mailbox_slots SET holder = ?, until = ?
       WHERE rowid = (SELECT rowid FROM mailbox_slots WHERE mailbox = ? AND slot < ? AND (holder IS NULL OR until <= ?) ORDER BY slot LIMIT 1)
       RETURNING slot`,
    );
    this.takeSlot = this.db.transaction((key: string, now: number) => {
      if (!this.seeded.has(key)) {
        for (let slot = 0; slot < this.permits; slot += 1) seed.run(key, slot);
        this.seeded.add(key);
      }
      const row = claim.get(this.holder, now + this.leaseMs, key, this.permits, now) as { slot: number } | undefined;
      return row ? row.slot : null;
    });
  }

  protected take(key: string): number | null {
    return this.takeSlot.immediate(key, Date.now());
  }

  protected renew(key: string, slot: number): void {
    this.db.prepare('UPDATE mailbox_slots SET until = ? WHERE mailbox = ? AND slot = ? AND holder = ?').run(Date.now() + this.leaseMs, key, slot, this.holder);
  }

  protected giveBack(key: string, slot: number): void {
    this.db.prepare('UPDATE mailbox_slots SET holder = NULL, until = 0 WHERE mailbox = ? AND slot = ? AND holder = ?').run(key, slot, this.holder);
  }

  override close(): void {
    super.close();
    if (this.db.open) this.db.close();
  }
}
