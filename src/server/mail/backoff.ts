/**
 * Waiting between attempts, as Graph's throttling guidance asks: honour `Retry-After` when the service
 * sends it, otherwise exponential backoff with full jitter (a random delay between zero and the
 * exponential bound) so that many senders do not come back in step.
 */

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date; undefined when absent or unusable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (/^\d+\.\d+$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export interface BackoffPolicy {
  /** The first attempt's upper bound, doubled for each further attempt. */
  baseMs: number;
  /** No wait is longer than this, whatever `Retry-After` says. */
  maxMs: number;
}

/**
 * The delay before attempt `attempt + 1`, after `attempt` attempts (1-based). `retryAfterMs` wins over
 * the backoff (capped at `maxMs`); `random` is injectable for tests.
 */
export function nextDelay(attempt: number, policy: BackoffPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) return Math.min(Math.max(0, retryAfterMs), policy.maxMs);
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const bound = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.floor(random() * bound);
}
