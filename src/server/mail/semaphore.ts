import type { MailboxSlots } from './shared-slots.js';

/**
 * A counting semaphore per key: Exchange Online allows 4 concurrent requests per mailbox, and a fifth
 * only earns a 429, so requests for one mailbox queue here instead. With `shared` slots (several
 * processes on one data folder, ./shared-slots.ts), a request also holds one of the mailbox's slots
 * across processes while it runs.
 */
export class KeyedSemaphore {
  private readonly state = new Map<string, { active: number; waiting: Array<() => void> }>();

  constructor(
    private readonly permits = 4,
    private readonly shared?: MailboxSlots,
  ) {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError('permits must be a positive integer');
  }

  /** Resolves with a release function once a permit for `key` is free. */
  async acquire(key: string): Promise<() => void> {
    let entry = this.state.get(key);
    if (!entry) {
      entry = { active: 0, waiting: [] };
      this.state.set(key, entry);
    }
    if (entry.active >= this.permits) {
      const current = entry;
      await new Promise<void>((resolve) => current.waiting.push(resolve));
    } else {
      entry.active += 1;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(key);
    };
  }

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const release = await this.acquire(key);
    try {
      const releaseShared = this.shared ? await this.shared.acquire(key) : null;
      try {
        return await task();
      } finally {
        releaseShared?.();
      }
    } finally {
      release();
    }
  }

  /** Permits in use for a key (for tests and diagnostics). */
  active(key: string): number {
    return this.state.get(key)?.active ?? 0;
  }

  private release(key: string): void {
    const entry = this.state.get(key);
    if (!entry) return;
    const next = entry.waiting.shift();
    // The permit passes straight to the next waiter, so `active` stays the same.
    if (next) next();
    else {
      entry.active -= 1;
      if (entry.active === 0) this.state.delete(key);
    }
  }
}
