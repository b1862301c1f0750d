/**
 * The send budget of one mailbox. Exchange Online accepts 30 messages a minute and 10,000 recipients a
 * day (a rolling 24 hours) from a mailbox; beyond them it rejects sends, and a mailbox that keeps going
 * over may be blocked from sending for a day. The outbox paces itself under both: before it claims a
 * message it reserves the message and its recipients here; when the budget is spent, the message stays
 * queued with its next attempt at the time the budget frees up.
 *
 * A reservation is a row in `mail_send_budget`, made in the same transaction as the claim, so several
 * workers (or several instances on one store) never spend the same budget twice. A claim that ends
 * without asking Graph to send (a token failure, a reconciliation that found the message sent) gives
 * its reservation back. `SendBudgetLedger` is the SQLite engine's ledger (./sqlite-store.ts claims with
 * it); the rest of this file is the same for every engine.
 */
import type { SendBudgetView } from '../../services/contract.js';
import type { SendBudget } from './store.js';
import type { Db } from './types.js';

export type { SendBudget } from './store.js';

/** Exchange Online's limits for one mailbox. */
export const EXCHANGE_SEND_BUDGET: SendBudget = { messagesPerMinute: 30, recipientsPerDay: 10_000 };

export const MINUTE = 60_000;
export const DAY = 86_400_000;

/**
 * `GRAPH_MAIL_SEND_BUDGET`: `off`, or `<messages a minute>/<recipients a day>` (`30/10000`). Unset
 * keeps Exchange Online's limits. Throws, naming the variable, on anything else.
 */
export function parseSendBudget(value: string | undefined, name = 'GRAPH_MAIL_SEND_BUDGET'): SendBudget | 'off' | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^(off|0|false|no|none)$/i.test(text)) return 'off';
  const match = /^(\d+)\s*\/\s*(\d+)$/.exec(text);
  const perMinute = match ? Number(match[1]) : NaN;
  const perDay = match ? Number(match[2]) : NaN;
  if (!match || perMinute < 1 || perDay < 1) {
    throw new Error(`${name} must be "off" or "<messages a minute>/<recipients a day>" with both at least 1, e.g. "30/10000" (it is "${value}").`);
  }
  return { messagesPerMinute: perMinute, recipientsPerDay: perDay };
}

/**
 * The mailbox a configuration sends from, as the budget keys it: its tenant and address, so that
 * configurations sending from one mailbox share its budget, while a configuration that names another
 * tenant's address (which Graph will refuse) cannot spend that tenant's budget; or the configuration's
 * own key while its connected account is not known.
 */
export function budgetMailbox(config: { cloud?: string; tenantId?: string; fromAddress?: string; account?: string | null }, configId: string): string {
  const address = (config.fromAddress || config.account || '').trim().toLowerCase();
  if (!address) return `me:${configId}`;
  return `${config.cloud ?? 'global'}/${(config.tenantId ?? '').trim().toLowerCase()}/${address}`;
}

/** The address in a budget key, for messages; null for a connected account not known yet. */
export const budgetAddress = (mailbox: string): string | null => (mailbox.startsWith('me:') ? null : mailbox.slice(mailbox.lastIndexOf('/') + 1));

/** How many recipients a stored message has (to, cc and bcc). */
export function recipientCount(messageJson: string): number {
  try {
    const message = JSON.parse(messageJson) as { to?: unknown[]; cc?: unknown[]; bcc?: unknown[] };
    return (message.to?.length ?? 0) + (message.cc?.length ?? 0) + (message.bcc?.length ?? 0);
  } catch {
    return 1;
  }
}

/** The recipients the day's earlier reservations may hold for a message of `recipients` to fit (0 for one larger than a day's budget). */
export function dayAllowance(budget: SendBudget, recipients: number): number {
  return Math.max(budget.recipientsPerDay - Math.min(recipients, budget.recipientsPerDay), 0);
}

/**
 * When enough of the day's reservations (`rows`, oldest first, `used` recipients in all) have aged out
 * for `allowed` to be left held: a day after the reservation that brings them down to it; null when
 * none does. Shared by the engines' ledgers.
 */
export function dayFreesAt(rows: Iterable<{ at: number; recipients: number }>, used: number, allowed: number): number | null {
  let remaining = used;
  for (const row of rows) {
    remaining -= row.recipients;
    if (remaining <= allowed) return row.at + DAY;
  }
  return null;
}

export class SendBudgetLedger {
  constructor(private readonly db: Db) {}

  /**
   * When a message of `recipients` recipients may be sent from `mailbox`: `now` when the budget allows
   * it at once, else the first time both limits allow it. A message with more recipients than a whole
   * day's budget waits for an empty day and then goes alone (Exchange decides about it).
   */
  availableAt(budget: SendBudget, mailbox: string, recipients: number, now: number): number {
    return this.wait(budget, mailbox, recipients, now).at;
  }

  /** `availableAt`, and whether the day's recipients (not only the minute's pace) hold the message back. */
  wait(budget: SendBudget, mailbox: string, recipients: number, now: number): { at: number; day: boolean } {
    const { messagesPerMinute } = budget;
    let at = now;
    let day = false;
    const minute = this.db
      .prepare('SELECT at FROM mail_send_budget WHERE mailbox = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?')
      .get(mailbox, now - MINUTE, messagesPerMinute - 1) as { at: number } | undefined;
    // The messagesPerMinute-th newest send of the last minute: one more is allowed once it is a minute old.
    if (minute) at = Math.max(at, minute.at + MINUTE);
    const used = this.recipientsUsed(mailbox, now);
    const allowed = dayAllowance(budget, recipients);
    if (used > allowed) {
      const rows = this.db
        .prepare('SELECT at, recipients FROM mail_send_budget WHERE mailbox = ? AND at > ? ORDER BY at')
        .iterate(mailbox, now - DAY) as IterableIterator<{ at: number; recipients: number }>;
      const frees = dayFreesAt(rows, used, allowed);
      if (frees !== null) {
        day = frees > at;
        at = Math.max(at, frees);
      }
    }
    return { at, day };
  }

  /** Recipients reserved from `mailbox` in the 24 hours before `now`. */
  recipientsUsed(mailbox: string, now: number): number {
    return (this.db.prepare('SELECT coalesce(sum(recipients), 0) AS n FROM mail_send_budget WHERE mailbox = ? AND at > ?').get(mailbox, now - DAY) as { n: number }).n;
  }

  reserve(mailbox: string, messageSeq: number, recipients: number, now: number): number {
    const result = this.db.prepare('INSERT INTO mail_send_budget (mailbox, message_seq, at, recipients) VALUES (?, ?, ?, ?)').run(mailbox, messageSeq, now, recipients);
    return Number(result.lastInsertRowid);
  }

  release(reservation: number): void {
    this.db.prepare('DELETE FROM mail_send_budget WHERE id = ?').run(reservation);
  }

  /** Reservations older than a day no longer count. */
  prune(now: number): void {
    this.db.prepare('DELETE FROM mail_send_budget WHERE at <= ?').run(now - DAY);
  }
}

/** The budget as the log page shows it, given the recipients reserved in the last 24 hours. */
export function budgetView(budget: SendBudget, recipientsUsed: number): SendBudgetView {
  const { messagesPerMinute, recipientsPerDay } = budget;
  return { messagesPerMinute, recipientsPerDay, recipientsLeftToday: Math.max(recipientsPerDay - recipientsUsed, 0) };
}
