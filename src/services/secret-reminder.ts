/**
 * Reminders before a client secret expires: at 30, 14 and 3 days. Shared by the server's `/health`, its
 * log warnings and the configuration form, so that all three speak of the same threshold.
 */
import { SECRET_REMINDER_DAYS, type SecretReminderDays } from './contract.js';

const DAY = 86_400_000;

/** Whole days left before `expiresAt` (negative once expired), or null when it is unknown. */
export function daysLeft(expiresAt: string | null | undefined, now = Date.now()): number | null {
  const at = expiresAt ? Date.parse(expiresAt) : NaN;
  return Number.isNaN(at) ? null : Math.floor((at - now) / DAY);
}

/** The smallest threshold the expiry has crossed (30, 14 or 3), or null: none yet, unknown, or already expired. */
export function secretReminderDays(expiresAt: string | null | undefined, now = Date.now()): SecretReminderDays | null {
  const days = daysLeft(expiresAt, now);
  if (days === null || Date.parse(expiresAt!) <= now) return null;
  const crossed = SECRET_REMINDER_DAYS.filter((threshold) => days <= threshold);
  return crossed.length ? crossed[crossed.length - 1]! : null;
}
