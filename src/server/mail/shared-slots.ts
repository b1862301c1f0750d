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

export class SqliteMailboxSlots implements MailboxSlots {
  private readonly db: Database.Database;
  private readonly holder = randomUUID();
  private readonly permits: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly take: Database.Transaction<(key: string, now: number) => number | null>;
  /** The renewals of the slots this process holds. */
  private readonly renewals = new Set<NodeJS.Timeout>();

  constructor(file: string, options: SharedSlotsOptions = {}) {
    this.permits = options.permits ?? 4;
    this.leaseMs = options.leaseMs ?? 15_000;
    this.pollMs = options.pollMs ?? 15;
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
    this.take = this.db.transaction((key: string, now: number) => {
      for (let slot = 0; slot < this.permits; slot += 1) seed.run(key, slot);
      const row = claim.get(this.holder, now + this.leaseMs, key, this.permits, now) as { slot: number } | undefined;
      return row ? row.slot : null;
    });
  }

  async acquire(key: string): Promise<() => void> {
    for (;;) {
      const slot = this.take.immediate(key, Date.now());
      if (slot !== null) {
        let released = false;
        const renew = setInterval(() => {
          try {
            this.db.prepare('UPDATE mailbox_slots SET until = ? WHERE mailbox = ? AND slot = ? AND holder = ?').run(Date.now() + this.leaseMs, key, slot, this.holder);
          } catch {
            // The next beat tries again.
          }
        }, Math.max(50, Math.floor(this.leaseMs / 3)));
        renew.unref();
        this.renewals.add(renew);
        return () => {
          if (released) return;
          released = true;
          clearInterval(renew);
          this.renewals.delete(renew);
          try {
            this.db.prepare('UPDATE mailbox_slots SET holder = NULL, until = 0 WHERE mailbox = ? AND slot = ? AND holder = ?').run(key, slot, this.holder);
          } catch {
            // The lease runs out by itself.
          }
        };
      }
      await new Promise((resolve) => setTimeout(resolve, this.pollMs + Math.random() * this.pollMs));
    }
  }

  close(): void {
    for (const renew of this.renewals) clearInterval(renew);
    this.renewals.clear();
    if (this.db.open) this.db.close();
  }
}
