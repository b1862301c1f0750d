/**
 * The SQLite engine of the mail store (better-sqlite3). Synchronous underneath: each method runs its
 * statements before it returns its promise, so a write is committed when the call returns. The log's
 * queries are `LogStore`'s (./log-store.ts: FTS5 trigram search, capped counts, keyset cursors), the
 * send budget's `SendBudgetLedger`'s; the per-status counts and the live feed's `mail_changes` are kept
 * by the triggers of ./migrations.ts. A claim is an `IMMEDIATE` transaction, so two processes on one
 * file serialise their claims instead of failing at commit.
 */
import type { LogQuery } from '../../services/contract.js';
import { LogStore } from './log-store.js';
import { SendBudgetLedger } from './send-budget.js';
import type { AttemptRecord, AttemptResult, ChangeMark, ClaimInput, ClaimResult, MailStore, NewOutboxRow, OutboxRow, PhasePatch, ReserveInput, ReserveResult } from './store.js';
import type { Db } from './types.js';

export class SqliteMailStore implements MailStore {
  /** The log's queries, synchronous (benchmarks and query-plan tests read it directly). */
  readonly log: LogStore;
  private readonly ledger: SendBudgetLedger;

  constructor(readonly db: Db) {
    this.log = new LogStore(db);
    this.ledger = new SendBudgetLedger(db);
  }

  // The log.

  async query(configId: string, query: LogQuery) {
    return this.log.query(configId, query);
  }

  async page(configId: string, query: LogQuery) {
    return this.log.page(configId, query);
  }

  async counts(configId: string, query: LogQuery = {}) {
    return this.log.counts(configId, query);
  }

  async countsOf(configId: string, query: LogQuery = {}) {
    return this.log.countsOf(configId, query);
  }

  async entry(configId: string, id: string) {
    return this.log.entry(configId, id);
  }

  async detail(configId: string, id: string) {
    return this.log.detail(configId, id);
  }

  async outboxHealth(configId: string, now = Date.now()) {
    return this.log.outboxHealth(configId, now);
  }

  async warnings(configId: string, limit?: number) {
    return this.log.warnings(configId, limit);
  }

  async addWarning(configId: string, code: string, message: string, hint: string, at?: number) {
    return this.log.addWarning(configId, code, message, hint, at);
  }

  async changeMark() {
    return this.log.changeMark();
  }

  async changesSince(configId: string, mark: ChangeMark, limit?: number) {
    return this.log.changesSince(configId, mark, limit);
  }

  async pruneChanges(cutoff: number): Promise<void> {
    this.log.pruneChanges(cutoff);
  }

  async purgeBatch(cutoff: number, batch?: number) {
    return this.log.purgeBatch(cutoff, batch);
  }

  // The outbox.

  async insertMessage(row: NewOutboxRow): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO mail_outbox (id, config_id, created_at, updated_at, source, status, recipients, to_json, subject, message_json, attachments_json, total_bytes, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(row.id, row.config_id, row.created_at, row.created_at, row.source, row.recipients, row.to_json, row.subject, row.message_json, row.attachments_json, row.total_bytes, row.next_attempt_at);
  }

  async row(id: string): Promise<OutboxRow | undefined> {
    return this.db.prepare('SELECT * FROM mail_outbox WHERE id = ?').get(id) as OutboxRow | undefined;
  }

  async hasMessage(id: string): Promise<boolean> {
    return Boolean(this.db.prepare('SELECT 1 FROM mail_outbox WHERE id = ?').get(id));
  }

  async requeue(seq: number, phase: OutboxRow['phase'], now: number): Promise<boolean> {
    const changed = this.db
      .prepare(
        `UPDATE mail_outbox SET status = 'queued', attempt_base = attempts, window_start = NULL, next_attempt_at = ?, finished_at = NULL,
           error_json = NULL, phase = ?, updated_at = ? WHERE seq = ? AND status IN ('failed', 'unknown')`,
      )
      .run(now, phase, now, seq).changes;
    return changed > 0;
  }

  async recover(now: number, singleInstance: boolean): Promise<number> {
    const sql = singleInstance
      ? "UPDATE mail_outbox SET status = 'queued', lease_owner = NULL, lease_until = NULL, next_attempt_at = ?, updated_at = ? WHERE status = 'sending'"
      : "UPDATE mail_outbox SET status = 'queued', lease_owner = NULL, lease_until = NULL, next_attempt_at = ?, updated_at = ? WHERE status = 'sending' AND lease_until < ?";
    const params = singleInstance ? [now, now] : [now, now, now];
    return this.db.prepare(sql).run(...params).changes;
  }

  async nextDueAt(skipConfigs: readonly string[] = []): Promise<number | null> {
    if (skipConfigs.length === 0) return (this.db.prepare("SELECT min(next_attempt_at) AS at FROM mail_outbox WHERE status = 'queued'").get() as { at: number | null }).at;
    return (
      this.db
        .prepare("SELECT min(next_attempt_at) AS at FROM mail_outbox WHERE status = 'queued' AND config_id NOT IN (SELECT value FROM json_each(?))")
        .get(JSON.stringify(skipConfigs)) as { at: number | null }
    ).at;
  }

  async claim({ now, owner, leaseMs, skipConfigs = [] }: ClaimInput): Promise<ClaimResult> {
    const take = (pick: string, ...params: unknown[]) =>
      this.db
        .prepare(`UPDATE mail_outbox SET status = 'sending', lease_owner = ?, lease_until = ?, updated_at = ? WHERE seq = (${pick}) RETURNING *`)
        .get(owner, now + leaseMs, now, ...params) as OutboxRow | undefined;
    const skip = skipConfigs.length ? ' AND config_id NOT IN (SELECT value FROM json_each(?))' : '';
    const skipped = skipConfigs.length ? [JSON.stringify(skipConfigs)] : [];
    const row =
      take(`SELECT seq FROM mail_outbox WHERE status = 'sending' AND lease_until < ?${skip} ORDER BY lease_until LIMIT 1`, now, ...skipped) ??
      take(`SELECT seq FROM mail_outbox WHERE status = 'queued' AND next_attempt_at <= ?${skip} ORDER BY next_attempt_at, seq LIMIT 1`, now, ...skipped);
    return { row: row ?? null };
  }

  async reserveBudget({ seq, owner, configId, mailbox, recipients, budget, now }: ReserveInput): Promise<ReserveResult> {
    const { ledger } = this;
    return this.db
      .transaction((): ReserveResult => {
        const { at, day } = ledger.wait(budget, mailbox, recipients, now);
        if (at <= now) return { reservation: ledger.reserve(mailbox, seq, recipients, now) };
        this.db
          .prepare("UPDATE mail_outbox SET status = 'queued', lease_owner = NULL, lease_until = NULL, next_attempt_at = ?, updated_at = ? WHERE seq = ? AND lease_owner = ?")
          .run(at, now, seq, owner);
        this.db.prepare("UPDATE mail_outbox SET next_attempt_at = ?, updated_at = ? WHERE status = 'queued' AND config_id = ? AND next_attempt_at < ?").run(at, now, configId, at);
        return { reservation: null, until: at, day };
      })
      .immediate();
  }

  async releaseReservation(reservation: number): Promise<void> {
    this.ledger.release(reservation);
  }

  async recipientsUsed(mailbox: string, now: number): Promise<number> {
    return this.ledger.recipientsUsed(mailbox, now);
  }

  async pruneBudget(now: number): Promise<void> {
    this.ledger.prune(now);
  }

  async savePhase(seq: number, owner: string, patch: PhasePatch, now: number): Promise<void> {
    this.db
      .prepare('UPDATE mail_outbox SET phase = ?, path = ?, draft_id = ?, draft_user = ?, send_requested_at = ?, updated_at = ? WHERE seq = ? AND lease_owner = ?')
      .run(patch.phase, patch.path, patch.draft_id, patch.draft_user, patch.send_requested_at, now, seq, owner);
  }

  async heartbeat(seq: number, owner: string, leaseUntil: number): Promise<void> {
    this.db.prepare('UPDATE mail_outbox SET lease_until = ? WHERE seq = ? AND lease_owner = ?').run(leaseUntil, seq, owner);
  }

  async postpone(seq: number, owner: string, until: number, now: number): Promise<void> {
    this.db
      .prepare("UPDATE mail_outbox SET status = 'queued', next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE seq = ? AND lease_owner = ?")
      .run(until, now, seq, owner);
  }

  async bringForward(configId: string, before: number, now: number): Promise<void> {
    this.db
      .prepare("UPDATE mail_outbox SET next_attempt_at = ?, updated_at = ? WHERE status = 'queued' AND config_id = ? AND next_attempt_at > ? AND next_attempt_at <= ?")
      .run(now, now, configId, now, before);
  }

  async finishAttempt(seq: number, attempt: AttemptRecord, result: AttemptResult): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO mail_attempts (message_seq, at, outcome, http_status, request_id, client_request_id, error_json, ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(seq, attempt.at, attempt.outcome, attempt.httpStatus, attempt.requestId, attempt.clientRequestId, attempt.error ? JSON.stringify(attempt.error) : null, attempt.ms);
      this.db
        .prepare(
          `UPDATE mail_outbox SET status = ?, attempts = ?, window_start = ?, next_attempt_at = ?, finished_at = ?, duration_ms = ?, error_json = ?,
             lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE seq = ?`,
        )
        .run(result.status, result.attempts, result.window_start, result.next_attempt_at, result.finished_at, result.duration_ms, result.error ? JSON.stringify(result.error) : null, result.updated_at, seq);
    })();
  }

  async meta(key: string): Promise<string | null> {
    const row = this.db.prepare('SELECT value FROM mail_meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? row.value : null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.db.prepare('INSERT INTO mail_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  async swapMeta(key: string, expected: string | null, value: string): Promise<boolean> {
    const written =
      expected === null
        ? this.db.prepare('INSERT INTO mail_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(key, value)
        : this.db.prepare('UPDATE mail_meta SET value = ? WHERE key = ? AND value = ?').run(value, key, expected);
    return written.changes > 0;
  }
}
