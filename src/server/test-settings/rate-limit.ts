/**
 * A sliding one-minute window per admin: a test sends a real message, so an admin (or a script with
 * an admin's session) cannot turn the button into a mail cannon (SECURITY.md 17).
 */

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a run for `key` when the window has room; otherwise says how long to wait. */
  take(key: string): RateDecision {
    const now = this.now();
    const recent = (this.hits.get(key) ?? []).filter((at) => now - at < this.windowMs);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      const oldest = recent[0] ?? now;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000)) };
    }
    recent.push(now);
    this.hits.set(key, recent);
    this.sweep(now);
    return { allowed: true };
  }

  /** Forgets admins whose window is empty, so the map does not grow with every identity ever seen. */
  private sweep(now: number): void {
    if (this.hits.size < 1000) return;
    for (const [key, times] of this.hits) {
      if (!times.some((at) => now - at < this.windowMs)) this.hits.delete(key);
    }
  }
}
