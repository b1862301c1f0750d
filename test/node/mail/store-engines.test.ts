/**
 * One suite, both engines: every behaviour of the mail store interface (`MailStore`) the outbox, the
 * log and the live feed rely on, run against SQLite (always) and PostgreSQL (where one answers; CI
 * provides it). Concurrent claimers are real ones: separate stores on separate connections.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import type { LogEntry, LogError, LogQuery, LogStatus } from '../../../src/services/contract.js';
import { PG_MAIL_MIGRATIONS } from '../../../src/server/mail/pg-migrations.js';
import { PgMailStore } from '../../../src/server/mail/pg-store.js';
import { SqliteMailStore } from '../../../src/server/mail/sqlite-store.js';
import { InvalidCursorError, type AttemptRecord, type AttemptResult, type MailStore, type NewOutboxRow } from '../../../src/server/mail/store.js';
import { PG_CONNECT_MIGRATIONS } from '../../../src/server/connect/pg-state-store.js';
import { appliedPgMigrations } from '../../../src/server/store/pg-migrations.js';
import { PgStore } from '../../../src/server/store/pg-store.js';
import { openMailDb, tempStore } from '../helpers/mail-db.js';
import { POSTGRES_URL, postgresUnavailable, scratchSchema } from '../helpers/postgres.js';
import { DEFAULT_CONFIG_ID } from '../../../src/server/store/types.js';

const DAY = 86_400_000;
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);

interface Opened {
  store: MailStore;
  /** Another store on the same database over a connection of its own (another instance). */
  another(): Promise<MailStore>;
  /** A plain connection to the same tables (PostgreSQL only). */
  raw?(): Promise<pg.Client>;
}

interface Engine {
  name: string;
  skip: () => Promise<string | null>;
  open: () => Promise<Opened>;
}

/** Run in order at the end: the extra connections (added at the front) before the stores and their schemas. */
const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const engines: Engine[] = [
  {
    name: 'SQLite',
    skip: async () => null,
    async open() {
      const temp = await tempStore('mail-engines-');
      cleanups.push(() => temp.close());
      return {
        store: new SqliteMailStore(temp.db),
        async another() {
          const db = await openMailDb(temp.dir);
          cleanups.unshift(() => void db.close());
          return new SqliteMailStore(db);
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    skip: postgresUnavailable,
    async open() {
      const scratch = scratchSchema();
      const core = await PgStore.open({ connectionString: POSTGRES_URL, schema: scratch.schema, max: 4, migrations: PG_MAIL_MIGRATIONS });
      cleanups.push(async () => {
        await core.close();
        await scratch.drop();
      });
      return {
        store: new PgMailStore(core.pool),
        async another() {
          const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2, options: `-c search_path=${scratch.schema}` });
          cleanups.unshift(() => pool.end());
          return new PgMailStore(pool);
        },
        async raw() {
          const client = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${scratch.schema}` });
          await client.connect();
          cleanups.unshift(() => client.end());
          return client;
        },
      };
    },
  },
];

function message(id: string, createdAt: number, overrides: Partial<NewOutboxRow> & { to?: string[]; cc?: string[] } = {}): NewOutboxRow {
  const { to = [`${id}@contoso.com`], cc = [], ...rest } = overrides;
  return {
    id,
    config_id: DEFAULT_CONFIG_ID,
    created_at: createdAt,
    source: 'app',
    recipients: [...to, ...cc].join(' '),
    to_json: JSON.stringify(to),
    subject: `Subject of ${id}`,
    message_json: JSON.stringify({ to, cc, subject: `Subject of ${id}` }),
    attachments_json: '[]',
    total_bytes: 10,
    next_attempt_at: createdAt,
    ...rest,
  };
}

const UPSTREAM: LogError = { code: 'upstream', message: 'Graph was unavailable', hint: 'It is tried again.' };

const attempt = (at: number, outcome: 'sent' | 'failed' | 'retry' = 'sent'): AttemptRecord => ({
  at,
  outcome,
  httpStatus: outcome === 'sent' ? 202 : 503,
  requestId: `req-${at}`,
  clientRequestId: null,
  error: outcome === 'sent' ? null : UPSTREAM,
  ms: 12,
});

const result = (status: AttemptResult['status'], at: number, attempts = 1): AttemptResult => ({
  status,
  attempts,
  window_start: at,
  next_attempt_at: status === 'queued' ? at + MINUTE : at,
  finished_at: status === 'queued' ? null : at,
  duration_ms: 12,
  error: status === 'failed' || status === 'unknown' ? UPSTREAM : null,
  updated_at: at,
});

/** Gives a stored message the status `status` through an attempt (no lease needed for this). */
async function settle(store: MailStore, id: string, status: LogStatus, at = T0): Promise<void> {
  const row = (await store.row(id))!;
  if (status === 'queued') return;
  if (status === 'sending') {
    const claimed = await store.claim({ now: row.next_attempt_at, owner: 'settle', leaseMs: MINUTE });
    assert.equal(claimed.row?.id, id, 'the message to set sending is the next due one');
    return;
  }
  await store.finishAttempt(row.seq, attempt(at, status === 'sent' ? 'sent' : 'failed'), result(status, at));
}

/** Every page of a query, following the cursors. */
async function allPages(store: MailStore, query: LogQuery): Promise<LogEntry[]> {
  const items: LogEntry[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages += 1) {
    const page = await store.query(DEFAULT_CONFIG_ID, { ...query, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    if (!page.nextCursor) return items;
    cursor = page.nextCursor;
  }
  throw new Error('the cursors never ended');
}

/** Every page of one configuration's log. */
async function allPagesOf(store: MailStore, configId: string, query: LogQuery): Promise<LogEntry[]> {
  const items: LogEntry[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages += 1) {
    const page = await store.query(configId, { ...query, limit: 1, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    if (!page.nextCursor) return items;
    cursor = page.nextCursor;
  }
  throw new Error('the cursors never ended');
}

for (const engine of engines) {
  describe(`mail store on ${engine.name}`, async () => {
    const skip = (await engine.skip()) ?? false;

    it('commits a message and reads it back as a row, a log entry and a detail; a second id is refused whole', { skip }, async () => {
      const { store } = await engine.open();
      await store.insertMessage(message('m1', T0, { to: ['Ann@Contoso.com'], cc: ['bob@contoso.com'] }));
      const row = (await store.row('m1'))!;
      assert.equal(row.status, 'queued');
      assert.equal(row.phase, 'new');
      assert.equal(row.attempts, 0);
      assert.equal(row.created_at, T0, 'times are numbers');
      assert.equal(row.updated_at, T0);
      assert.equal(row.lease_owner, null);
      assert.equal(typeof row.seq, 'number');
      assert.equal(await store.hasMessage('m1'), true);
      assert.equal(await store.hasMessage('nope'), false);
      assert.equal(await store.row('nope'), undefined);
      assert.deepEqual(await store.entry(DEFAULT_CONFIG_ID, 'm1'), {
        id: 'm1',
        createdAt: new Date(T0).toISOString(),
        to: ['Ann@Contoso.com'],
        subject: 'Subject of m1',
        status: 'queued',
        attempts: 0,
        durationMs: 0,
        source: 'app',
      });
      assert.deepEqual((await store.detail(DEFAULT_CONFIG_ID, 'm1'))?.history, []);
      assert.equal(await store.detail(DEFAULT_CONFIG_ID, 'nope'), null);
      await assert.rejects(store.insertMessage(message('m1', T0 + 1)));
      assert.equal((await store.counts(DEFAULT_CONFIG_ID)).queued, 1, 'the refused insert counted nothing');
      await store.insertMessage(message('m2', T0 + 1));
      assert.ok((await store.row('m2'))!.seq > row.seq, 'seq follows arrival');
    });

    it('lets only the lease owner write phases, heartbeats and postponements; an expired lease is taken over first', { skip }, async () => {
      const { store } = await engine.open();
      await store.insertMessage(message('a', T0));
      await store.insertMessage(message('b', T0 + 1));
      const claim = (owner: string, now: number) => store.claim({ now, owner, leaseMs: MINUTE });
      const first = await claim('A', T0 + 10);
      assert.equal(first.row?.id, 'a');
      assert.equal(first.row?.status, 'sending');
      assert.equal(first.row?.lease_owner, 'A');
      assert.equal(first.row?.lease_until, T0 + 10 + MINUTE);
      const seq = first.row!.seq;
      const patch = { phase: 'draft' as const, path: 'draft' as const, draft_id: 'd-1', draft_user: 'ann', send_requested_at: null };
      await store.savePhase(seq, 'B', patch, T0 + 20);
      assert.equal((await store.row('a'))!.phase, 'new', 'a non-owner writes nothing');
      await store.savePhase(seq, 'A', patch, T0 + 20);
      const saved = (await store.row('a'))!;
      assert.deepEqual([saved.phase, saved.path, saved.draft_id, saved.draft_user], ['draft', 'draft', 'd-1', 'ann']);
      await store.heartbeat(seq, 'B', T0 + 10 * MINUTE);
      assert.equal((await store.row('a'))!.lease_until, T0 + 10 + MINUTE);
      await store.heartbeat(seq, 'A', T0 + 2 * MINUTE);
      assert.equal((await store.row('a'))!.lease_until, T0 + 2 * MINUTE);

      // Past the lease, another instance takes the row over before any queued one.
      const second = await claim('B', T0 + 3 * MINUTE);
      assert.equal(second.row?.id, 'a', 'the expired lease comes first');
      assert.equal(second.row?.phase, 'draft', 'its phase stays for the reconciliation');
      await store.savePhase(seq, 'A', { ...patch, phase: 'send-requested', send_requested_at: T0 }, T0 + 3 * MINUTE);
      await store.postpone(seq, 'A', T0 + DAY, T0 + 3 * MINUTE);
      const kept = (await store.row('a'))!;
      assert.deepEqual([kept.phase, kept.status, kept.lease_owner], ['draft', 'sending', 'B'], 'the first owner overwrote nothing');
      await store.postpone(seq, 'B', T0 + 5 * MINUTE, T0 + 3 * MINUTE);
      const postponed = (await store.row('a'))!;
      assert.deepEqual([postponed.status, postponed.next_attempt_at, postponed.lease_owner, postponed.lease_until], ['queued', T0 + 5 * MINUTE, null, null]);
      assert.equal(postponed.attempts, 0, 'a postponement is not an attempt');
      assert.equal((await claim('C', T0 + 4 * MINUTE)).row?.id, 'b', 'then the queued row due first');
      assert.equal((await claim('C', T0 + 4 * MINUTE)).row, null, 'nothing else is due yet');
      assert.equal(await store.nextDueAt(), T0 + 5 * MINUTE);
    });

    it('takes queued rows in due order, then arrival order', { skip }, async () => {
      const { store } = await engine.open();
      await store.insertMessage(message('late', T0, { next_attempt_at: T0 + 50 }));
      await store.insertMessage(message('first', T0 + 1, { next_attempt_at: T0 + 10 }));
      await store.insertMessage(message('second', T0 + 2, { next_attempt_at: T0 + 10 }));
      const ids: string[] = [];
      for (;;) {
        const { row } = await store.claim({ now: T0 + 100, owner: 'A', leaseMs: MINUTE });
        if (!row) break;
        ids.push(row.id);
      }
      assert.deepEqual(ids, ['first', 'second', 'late']);
    });

    it('records an attempt and its result together, or neither', { skip }, async () => {
      const { store } = await engine.open();
      await store.insertMessage(message('m', T0));
      const { row } = await store.claim({ now: T0, owner: 'A', leaseMs: MINUTE });
      await store.finishAttempt(row!.seq, attempt(T0 + 1, 'retry'), result('queued', T0 + 1));
      const retried = (await store.row('m'))!;
      assert.deepEqual([retried.status, retried.attempts, retried.lease_owner, retried.next_attempt_at], ['queued', 1, null, T0 + 1 + MINUTE]);
      await assert.rejects(store.finishAttempt(row!.seq, attempt(T0 + 2), { ...result('sent', T0 + 2, 2), status: 'bogus' as AttemptResult['status'] }));
      assert.equal((await store.detail(DEFAULT_CONFIG_ID, 'm'))!.history.length, 1, 'the attempt of a refused result was not kept');
      assert.equal((await store.row('m'))!.status, 'queued');
      await store.finishAttempt(row!.seq, attempt(T0 + 3), result('sent', T0 + 3, 2));
      const detail = (await store.detail(DEFAULT_CONFIG_ID, 'm'))!;
      assert.equal(detail.status, 'sent');
      assert.equal(detail.attempts, 2);
      assert.deepEqual(
        detail.history.map((item) => [item.outcome, item.at, item.httpStatus, item.requestId]),
        [
          ['retry', new Date(T0 + 1).toISOString(), 503, `req-${T0 + 1}`],
          ['sent', new Date(T0 + 3).toISOString(), 202, `req-${T0 + 3}`],
        ],
      );
      assert.deepEqual(detail.history[0].error, UPSTREAM);
    });

    it('never gives one row to two concurrent claimers on separate connections', { skip }, async () => {
      const { store, another } = await engine.open();
      const total = 60;
      for (let i = 0; i < total; i += 1) await store.insertMessage(message(`c${String(i).padStart(3, '0')}`, T0 + i));
      const claimers = [store, ...(await Promise.all([1, 2, 3, 4, 5].map(() => another())))];
      const taken = new Map<string, number>();
      await Promise.all(
        claimers.map(async (claimer, n) => {
          for (;;) {
            const { row } = await claimer.claim({ now: T0 + DAY, owner: `worker-${n}`, leaseMs: MINUTE });
            if (!row) return;
            taken.set(row.id, (taken.get(row.id) ?? 0) + 1);
          }
        }),
      );
      assert.equal(taken.size, total, 'every row was claimed');
      assert.deepEqual([...new Set(taken.values())], [1], 'each exactly once');
      assert.equal((await store.counts(DEFAULT_CONFIG_ID)).sending, total);
    });

    it('spends the send budget of a claimed row: the minute, the day, a released reservation', { skip }, async () => {
      const { store } = await engine.open();
      const budget = { messagesPerMinute: 2, recipientsPerDay: 7 };
      for (const id of ['b1', 'b2', 'b3', 'b4']) await store.insertMessage(message(id, T0, { to: [`${id}@contoso.com`], cc: ['cc@contoso.com'] }));
      await store.insertMessage(message('other', T0 + 10, { config_id: 'customer-b' }));
      // Leases longer than the test's two days: no row comes back as an expired lease.
      const send = async (now: number) => {
        const { row } = await store.claim({ now, owner: 'A', leaseMs: 3 * DAY, skipConfigs: ['customer-b'] });
        if (!row) return { row, result: null };
        const result = await store.reserveBudget({ seq: row.seq, owner: 'A', configId: row.config_id, mailbox: 'payroll@contoso.com', recipients: 2, budget, now });
        return { row, result };
      };
      const first = await send(T0);
      const second = await send(T0 + 1_000);
      assert.equal(first.row?.id, 'b1');
      assert.equal(second.row?.id, 'b2');
      assert.equal(typeof first.result?.reservation, 'number');
      assert.equal(await store.recipientsUsed('payroll@contoso.com', T0 + 2_000), 4);
      assert.equal(await store.recipientsUsed('other@contoso.com', T0 + 2_000), 0, 'a budget per mailbox');

      const third = await send(T0 + 2_000);
      assert.equal(third.row?.id, 'b3');
      assert.deepEqual(third.result, { reservation: null, until: T0 + MINUTE, day: false }, 'two a minute: the minute, not the day, holds it');
      const b3 = (await store.row('b3'))!;
      assert.equal(b3.status, 'queued', 'back in the queue');
      assert.equal(b3.lease_owner, null);
      assert.equal(b3.next_attempt_at, T0 + MINUTE, 'until the minute has passed');
      assert.equal((await store.row('b4'))!.next_attempt_at, T0 + MINUTE, 'the configuration\'s other due rows wait with it');
      assert.equal((await store.row('other'))!.next_attempt_at, T0 + 10, 'another configuration\'s rows do not');

      assert.equal((await send(T0 + MINUTE)).row?.id, 'b3', 'a minute after the first send, in the order they had');
      const fourth = await send(T0 + 2 * MINUTE);
      assert.equal(fourth.row?.id, 'b4');
      assert.deepEqual(fourth.result, { reservation: null, until: T0 + DAY, day: true }, 'six of seven recipients are spent: two more do not fit today; free once the first reservation is a day old');
      assert.equal((await store.row('b4'))!.next_attempt_at, T0 + DAY);

      await store.releaseReservation(second.result!.reservation!);
      assert.equal(await store.recipientsUsed('payroll@contoso.com', T0 + 2 * MINUTE), 4, 'a released reservation no longer counts');
      const later = await send(T0 + DAY);
      assert.equal(later.row?.id, 'b4');
      assert.equal(typeof later.result?.reservation, 'number');
      await store.pruneBudget(T0 + DAY + 1);
      assert.equal(await store.recipientsUsed('payroll@contoso.com', T0 + DAY + 1), 4, 'only the day-old reservation was dropped');
    });

    it('leaves the rows of paused configurations alone when it claims', { skip }, async () => {
      const { store } = await engine.open();
      await store.insertMessage(message('paused-1', T0, { config_id: 'customer-a' }));
      await store.insertMessage(message('live-1', T0 + 1, { config_id: 'customer-b' }));
      const claim = (skipConfigs: string[]) => store.claim({ now: T0 + DAY, owner: 'A', leaseMs: MINUTE, skipConfigs });
      assert.equal((await claim(['customer-a'])).row?.id, 'live-1', 'the older row of the paused configuration is passed over');
      assert.equal((await claim(['customer-a'])).row, null);
      assert.equal((await claim([])).row?.id, 'paused-1', 'taken once its configuration is no longer paused');
    });

    it('brings forward only the saved configuration\'s rows due within the pause', { skip }, async () => {
      const { store } = await engine.open();
      await store.insertMessage(message('put-back', T0, { config_id: 'customer-a', next_attempt_at: T0 + 15_000 }));
      await store.insertMessage(message('much-later', T0, { config_id: 'customer-a', next_attempt_at: T0 + DAY }));
      await store.insertMessage(message('other', T0, { config_id: 'customer-b', next_attempt_at: T0 + 15_000 }));
      await store.bringForward('customer-a', T0 + 15_000, T0 + 10);
      assert.equal((await store.row('put-back'))!.next_attempt_at, T0 + 10);
      assert.equal((await store.row('much-later'))!.next_attempt_at, T0 + DAY, 'a row waiting for longer (a spent budget) keeps waiting');
      assert.equal((await store.row('other'))!.next_attempt_at, T0 + 15_000, 'another configuration\'s rows are untouched');
    });

    it('never spends the same budget twice under concurrent reservations', { skip }, async () => {
      const { store, another } = await engine.open();
      for (let i = 0; i < 12; i += 1) await store.insertMessage(message(`p${i}`, T0 + i));
      // One recipient each: only the minute's five messages limit them.
      const claimers = [store, ...(await Promise.all([1, 2, 3, 4, 5].map(() => another())))];
      const budget = { messagesPerMinute: 5, recipientsPerDay: 1_000 };
      const results = await Promise.all(
        claimers.map(async (claimer, n) => {
          const { row } = await claimer.claim({ now: T0 + 100, owner: `w${n}`, leaseMs: MINUTE });
          return claimer.reserveBudget({ seq: row!.seq, owner: `w${n}`, configId: row!.config_id, mailbox: 'm', recipients: 1, budget, now: T0 + 100 });
        }),
      );
      assert.equal(results.filter((result) => result.reservation !== null).length, 5, 'five a minute, whichever instance reserves');
      assert.equal(await store.recipientsUsed('m', T0 + 100), 5);
    });

    it('pages the log newest first with cursors, filters by status and dates, and counts by every filter but the status', { skip }, async () => {
      const { store } = await engine.open();
      const statuses: LogStatus[] = ['queued', 'sent', 'failed', 'sent', 'unknown'];
      const made: Array<{ id: string; createdAt: number; status: LogStatus }> = [];
      for (let i = 0; i < 40; i += 1) {
        // Three days of messages, several of them at the same millisecond (the id breaks the tie).
        const createdAt = Date.UTC(2026, 0, 1) + Math.floor(i / 3) * 6 * 3_600_000;
        const id = `log-${String((i * 7) % 40).padStart(2, '0')}`;
        await store.insertMessage(message(id, createdAt, { next_attempt_at: createdAt + 10 * DAY }));
        await settle(store, id, statuses[i % statuses.length]);
        made.push({ id, createdAt, status: statuses[i % statuses.length] });
      }
      const newest = [...made].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
      assert.deepEqual(
        (await allPages(store, { limit: 7 })).map((entry) => entry.id),
        newest.map((row) => row.id),
        'every row once, newest first, across pages',
      );
      assert.deepEqual(
        (await allPages(store, { limit: 3, status: 'sent' })).map((entry) => entry.id),
        newest.filter((row) => row.status === 'sent').map((row) => row.id),
      );
      const from = '2026-01-02T03:00:00.000Z';
      const to = '2026-01-03';
      const inRange = newest.filter((row) => row.createdAt >= Date.parse(from) && row.createdAt < Date.parse(to) + DAY);
      assert.ok(inRange.length > 0 && inRange.length < newest.length);
      assert.deepEqual((await allPages(store, { limit: 4, from, to })).map((entry) => entry.id), inRange.map((row) => row.id));
      const countOf = (rows: typeof made) => Object.fromEntries(['queued', 'sending', 'sent', 'failed', 'unknown'].map((status) => [status, rows.filter((row) => row.status === status).length]));
      const page = await store.query(DEFAULT_CONFIG_ID, { from, to, status: 'failed', limit: 2 });
      assert.deepEqual(page.counts, countOf(inRange), 'the counts ignore the status filter and follow the dates');
      assert.equal(page.countsCapped, undefined);
      assert.deepEqual(page.items.map((entry) => entry.id), inRange.filter((row) => row.status === 'failed').slice(0, 2).map((row) => row.id));
      assert.deepEqual(await store.counts(DEFAULT_CONFIG_ID), countOf(made));
      // Whole days and partial ones, and a range inside one day.
      for (const [a, b] of [
        ['2026-01-01T00:00:00.000Z', '2026-01-05T00:00:00.000Z'],
        ['2026-01-01T07:00:00.000Z', '2026-01-01T19:00:00.000Z'],
        ['2026-01-04T00:00:00.000Z', '2026-01-09'],
      ]) {
        const want = made.filter((row) => row.createdAt >= Date.parse(a) && row.createdAt < (b.length === 10 ? Date.parse(b) + DAY : Date.parse(b)));
        assert.deepEqual(await store.counts(DEFAULT_CONFIG_ID, { from: a, to: b }), countOf(want), `${a} to ${b}`);
      }
      await assert.rejects(store.query(DEFAULT_CONFIG_ID, { cursor: 'bm90IGEgY3Vyc29y' }), InvalidCursorError);
    });

    it('searches subject and recipients for a case-insensitive substring, wildcards taken literally', { skip }, async () => {
      const { store } = await engine.open();
      await store.insertMessage(message('s1', T0, { subject: 'Payslip for March', to: ['ann@contoso.com'] }));
      await store.insertMessage(message('s2', T0 + 1, { subject: 'Invoice 100% paid', to: ['Bob.Smith@Fabrikam.com'] }));
      await store.insertMessage(message('s3', T0 + 2, { subject: 'under_score report', to: ['carol@contoso.com'], cc: ['ann@contoso.com'] }));
      await store.insertMessage(message('s4', T0 + 3, { subject: 'Plain words', to: ['dave@contoso.com'] }));
      await settle(store, 's1', 'sent');
      const ids = async (q: string, extra: LogQuery = {}) => (await allPages(store, { q, limit: 1, ...extra })).map((entry) => entry.id);
      assert.deepEqual(await ids('PAYSLIP'), ['s1']);
      assert.deepEqual(await ids('march'), ['s1']);
      assert.deepEqual(await ids('bob.smith@fabrikam'), ['s2'], 'recipients, any case');
      assert.deepEqual(await ids('ann@contoso'), ['s3', 's1'], 'to or cc, newest first');
      assert.deepEqual(await ids('%'), ['s2'], 'a % is a percent sign');
      assert.deepEqual(await ids('_'), ['s3'], 'an _ is an underscore');
      assert.deepEqual(await ids('0%'), ['s2']);
      assert.deepEqual(await ids('nothing like it'), []);
      assert.deepEqual(await ids('ann', { status: 'sent' }), ['s1']);
      const page = await store.query(DEFAULT_CONFIG_ID, { q: 'ann', status: 'sent' });
      assert.deepEqual(page.counts, { queued: 1, sending: 0, sent: 1, failed: 0, unknown: 0 });
      assert.deepEqual(await store.countsOf(DEFAULT_CONFIG_ID, { q: 'contoso' }), { counts: { queued: 2, sending: 0, sent: 1, failed: 0, unknown: 0 }, capped: false });
    });

    it('caps the counts of a text search at the newest 1,000 matches', { skip }, async () => {
      const { store } = await engine.open();
      for (let i = 0; i < 1_003; i += 1) await store.insertMessage(message(`bulk-${i}`, T0 + i, { subject: `Bulk notice ${i}` }));
      await store.insertMessage(message('other', T0 + 5_000, { subject: 'Something else' }));
      const page = await store.query(DEFAULT_CONFIG_ID, { q: 'bulk notice', limit: 5 });
      assert.equal(page.countsCapped, true);
      assert.equal(page.counts.queued, 1_000);
      assert.deepEqual(page.items.map((entry) => entry.id), ['bulk-1002', 'bulk-1001', 'bulk-1000', 'bulk-999', 'bulk-998']);
      assert.deepEqual(await store.countsOf(DEFAULT_CONFIG_ID, { q: 'bulk notice', from: new Date(T0 + 900).toISOString() }), {
        counts: { queued: 103, sending: 0, sent: 0, failed: 0, unknown: 0 },
        capped: false,
      });
      assert.equal((await store.query(DEFAULT_CONFIG_ID, { limit: 1 })).counts.queued, 1_004, 'without text the counts are exact');
    });

    it('lists every insert and visible change once, in order, with the warnings, from a mark', { skip }, async () => {
      const { store, another } = await engine.open();
      const reader = await another();
      await store.insertMessage(message('before', T0));
      const leased = (await store.claim({ now: T0, owner: 'A', leaseMs: MINUTE })).row!;
      const mark = await reader.changeMark();
      assert.ok(mark.change > 0);
      assert.deepEqual(await reader.changesSince(DEFAULT_CONFIG_ID, mark), { entries: [], warnings: [], mark });
      await store.insertMessage(message('f1', T0 + 1));
      await store.insertMessage(message('f2', T0 + 2));
      const warning = await store.addWarning(DEFAULT_CONFIG_ID, 'budget', 'The day budget is spent.', 'Wait for tomorrow.', T0 + 3);
      const first = await reader.changesSince(DEFAULT_CONFIG_ID, mark, 1);
      assert.deepEqual(first.entries.map((entry) => entry.id), ['f1'], 'a limit stops after that many changes');
      const second = await reader.changesSince(DEFAULT_CONFIG_ID, first.mark);
      assert.deepEqual(second.entries.map((entry) => entry.id), ['f2']);
      assert.deepEqual(first.warnings, [warning]);
      assert.deepEqual(second.warnings, [], 'warnings have a mark of their own');
      await store.heartbeat(leased.seq, 'A', T0 + 2 * MINUTE);
      await store.savePhase(leased.seq, 'A', { phase: 'draft', path: 'draft', draft_id: 'd', draft_user: null, send_requested_at: null }, T0 + 1);
      assert.equal((await store.row('before'))!.phase, 'draft');
      assert.deepEqual((await reader.changesSince(DEFAULT_CONFIG_ID, second.mark)).entries, [], 'lease bookkeeping is not a change');
      await settle(store, 'f1', 'failed', T0 + 10);
      const third = await reader.changesSince(DEFAULT_CONFIG_ID, second.mark);
      assert.deepEqual(
        third.entries.map((entry) => [entry.id, entry.status, entry.attempts]),
        [['f1', 'failed', 1]],
      );
      assert.ok(third.mark.change > second.mark.change);
      assert.ok((await reader.warnings(DEFAULT_CONFIG_ID)).some((item) => item.id === warning.id));
      await store.pruneChanges(Number.MAX_SAFE_INTEGER);
      assert.deepEqual((await reader.changesSince(DEFAULT_CONFIG_ID, mark)).entries, [], 'pruned changes are gone');
    });

    it('keeps two configurations apart: each reads only its own rows, counts, warnings and changes; a claim takes either', { skip }, async () => {
      const { store } = await engine.open();
      const [A, B] = ['customer-a', 'customer-b'];
      const mark = await store.changeMark();
      await store.insertMessage(message('a1', T0, { config_id: A, subject: 'Invoice for Contoso' }));
      await store.insertMessage(message('a2', T0 + DAY, { config_id: A, subject: 'Invoice reminder' }));
      await store.insertMessage(message('b1', T0 + 1, { config_id: B, subject: 'Invoice for Fabrikam' }));
      await settle(store, 'a1', 'sent', T0 + 10);
      await settle(store, 'b1', 'failed', T0 + 20);
      const warningA = await store.addWarning(A, 'a', 'For A.', 'Nothing.', T0 + 30);
      const warningB = await store.addWarning(B, 'b', 'For B.', 'Nothing.', T0 + 31);

      assert.equal((await store.row('b1'))?.config_id, B);
      assert.deepEqual((await allPagesOf(store, A, {})).map((entry) => entry.id), ['a2', 'a1']);
      assert.deepEqual((await allPagesOf(store, B, {})).map((entry) => entry.id), ['b1']);
      assert.deepEqual((await allPagesOf(store, DEFAULT_CONFIG_ID, {})).map((entry) => entry.id), [], 'the default configuration has none of them');
      assert.deepEqual(await store.counts(A), { queued: 1, sending: 0, sent: 1, failed: 0, unknown: 0 });
      assert.deepEqual(await store.counts(B), { queued: 0, sending: 0, sent: 0, failed: 1, unknown: 0 });
      const range = { from: new Date(T0 - DAY).toISOString(), to: new Date(T0 + 2 * DAY + 5).toISOString() };
      assert.deepEqual(await store.counts(A, range), { queued: 1, sending: 0, sent: 1, failed: 0, unknown: 0 }, 'whole days and partial days per configuration');
      assert.deepEqual(await store.counts(B, range), { queued: 0, sending: 0, sent: 0, failed: 1, unknown: 0 });
      assert.deepEqual(await store.countsOf(B, { q: 'invoice' }), { counts: { queued: 0, sending: 0, sent: 0, failed: 1, unknown: 0 }, capped: false }, 'text counts too');
      assert.deepEqual((await store.query(A, { q: 'invoice' })).items.map((entry) => entry.id), ['a2', 'a1']);
      assert.deepEqual((await store.page(B, { status: 'failed' })).rows.map((row) => row.id), ['b1']);

      assert.equal(await store.entry(B, 'a1'), null, "B does not read A's entry");
      assert.equal(await store.detail(B, 'a1'), null, "nor its detail");
      assert.equal((await store.detail(A, 'a1'))?.history.length, 1);
      assert.deepEqual(await store.outboxHealth(A, T0 + 60), { queued: 1, failedLastHour: 0, lastSentAt: new Date(T0 + 10).toISOString() });
      assert.deepEqual(await store.outboxHealth(B, T0 + 60), { queued: 0, failedLastHour: 1, lastSentAt: null });
      assert.deepEqual((await store.warnings(A)).map((item) => item.id), [warningA.id]);
      assert.deepEqual((await store.warnings(B)).map((item) => item.id), [warningB.id]);

      const changesA = await store.changesSince(A, mark);
      const changesB = await store.changesSince(B, mark);
      assert.deepEqual([...new Set(changesA.entries.map((entry) => entry.id))].sort(), ['a1', 'a2']);
      assert.deepEqual(changesB.entries.map((entry) => entry.id), ['b1']);
      assert.deepEqual(changesA.warnings.map((item) => item.id), [warningA.id]);
      assert.deepEqual(changesB.warnings.map((item) => item.id), [warningB.id]);
      assert.deepEqual(changesA.mark, changesB.mark, "each reader's mark passes the other configuration's changes too");
      assert.deepEqual(await store.changesSince(A, changesA.mark), { entries: [], warnings: [], mark: changesA.mark });

      const claimed = await store.claim({ now: T0 + 2 * DAY, owner: 'any', leaseMs: MINUTE });
      assert.deepEqual([claimed.row?.id, claimed.row?.config_id], ['a2', A], 'the claim takes due rows of every configuration, with their configuration');
    });

    it('requeues failed rows with a fresh budget, recovers leased rows, and reports health', { skip }, async () => {
      const { store } = await engine.open();
      const now = T0 + DAY;
      await store.insertMessage(message('ok', T0));
      await store.insertMessage(message('bad', T0 + 1));
      await store.insertMessage(message('lost', T0 + 2));
      await store.insertMessage(message('live', T0 + 3));
      await store.insertMessage(message('wait', T0 + 4, { next_attempt_at: now + DAY }));
      await settle(store, 'ok', 'sent', now - 5_000);
      await settle(store, 'bad', 'failed', now - 1_000);
      assert.equal((await store.claim({ now: now - 2 * MINUTE, owner: 'A', leaseMs: 2 * MINUTE })).row?.id, 'lost');
      assert.equal((await store.claim({ now, owner: 'B', leaseMs: MINUTE })).row?.id, 'live', 'a lease ending now has not expired');
      assert.deepEqual(await store.outboxHealth(DEFAULT_CONFIG_ID, now), { queued: 1, failedLastHour: 1, lastSentAt: new Date(now - 5_000).toISOString() });
      assert.deepEqual((await store.outboxHealth(DEFAULT_CONFIG_ID, now + 2 * 3_600_000)).failedLastHour, 0);

      const bad = (await store.row('bad'))!;
      assert.equal(await store.requeue(bad.seq, 'new', now), true);
      const requeued = (await store.row('bad'))!;
      assert.deepEqual([requeued.status, requeued.attempt_base, requeued.error_json, requeued.finished_at, requeued.next_attempt_at], ['queued', 1, null, null, now]);
      assert.equal(await store.requeue(bad.seq, 'new', now), false, 'no longer failed');
      assert.equal(await store.requeue((await store.row('ok'))!.seq, 'new', now), false, 'a sent row stays sent');

      assert.equal(await store.recover(now + 1, false), 1, 'only the expired lease, with several instances');
      assert.equal((await store.row('lost'))!.status, 'queued');
      assert.equal((await store.row('live'))!.status, 'sending');
      assert.equal(await store.recover(now + 1, true), 1, 'every leased row when alone');
      assert.equal((await store.row('live'))!.lease_owner, null);
      assert.equal(await store.nextDueAt(), now, 'the requeued row is due first');
    });

    it('purges finished rows before a cutoff in batches, with their attempts and old warnings', { skip }, async () => {
      const { store } = await engine.open();
      for (let i = 0; i < 5; i += 1) {
        await store.insertMessage(message(`old-${i}`, T0 + i));
        await settle(store, `old-${i}`, i === 4 ? 'unknown' : 'sent');
      }
      await store.insertMessage(message('old-queued', T0 + 10));
      await store.insertMessage(message('new', T0 + DAY));
      await settle(store, 'new', 'sent');
      await store.addWarning(DEFAULT_CONFIG_ID, 'old', 'old', 'old', T0);
      const recent = await store.addWarning(DEFAULT_CONFIG_ID, 'new', 'new', 'new', T0 + DAY);
      assert.deepEqual(await store.purgeBatch(T0 + 100, 3), ['old-0', 'old-1', 'old-2'], 'oldest first, a batch at a time');
      assert.deepEqual(await store.purgeBatch(T0 + 100, 3), ['old-3', 'old-4']);
      assert.deepEqual(await store.purgeBatch(T0 + 100, 3), []);
      assert.equal(await store.detail(DEFAULT_CONFIG_ID, 'old-0'), null);
      assert.equal(await store.hasMessage('old-queued'), true, 'an unfinished row stays');
      assert.deepEqual((await store.warnings(DEFAULT_CONFIG_ID)).map((item) => item.id), [recent.id]);
      assert.deepEqual(await store.counts(DEFAULT_CONFIG_ID), { queued: 1, sending: 0, sent: 1, failed: 0, unknown: 0 });
    });

    it('keeps settings for the schedules, and writes a once-only key once under concurrent writers', { skip }, async () => {
      const { store, another } = await engine.open();
      assert.equal(await store.meta('keepAlive.last'), null);
      await store.setMeta('keepAlive.last', '1');
      await store.setMeta('keepAlive.last', '2');
      assert.equal(await store.meta('keepAlive.last'), '2');
      const others = await Promise.all([1, 2, 3].map(() => another()));
      const wrote = await Promise.all([store, ...others].map((writer, n) => writer.swapMeta('reminder.2026-01', null, String(n))));
      assert.equal(wrote.filter(Boolean).length, 1);
      assert.equal(await store.meta('reminder.2026-01'), String(wrote.indexOf(true)));
    });

    it('swaps a setting only from the value it expects, one writer winning each change', { skip }, async () => {
      const { store, another } = await engine.open();
      const others = await Promise.all([1, 2].map(() => another()));
      const writers = [store, ...others];
      const first = await Promise.all(writers.map((writer) => writer.swapMeta('alerts.state.x', null, 'working')));
      assert.equal(first.filter(Boolean).length, 1, 'one creates it');
      const second = await Promise.all(writers.map((writer) => writer.swapMeta('alerts.state.x', 'working', 'stopped')));
      assert.equal(second.filter(Boolean).length, 1, 'one moves it on');
      assert.equal(await store.swapMeta('alerts.state.x', 'working', 'unconfigured'), false, 'a stale expectation writes nothing');
      assert.equal(await store.swapMeta('alerts.state.x', null, 'working'), false, 'nor does expecting it absent');
      assert.equal(await store.meta('alerts.state.x'), 'stopped');
    });
  });
}

describe('mail store on PostgreSQL: commit order, text index, migrations', async () => {
  const skip = (await postgresUnavailable()) ?? false;
  const postgres = engines[1];

  it('migrates once when instances start together, beside the connect states', { skip }, async () => {
    const scratch = scratchSchema();
    const migrations = [...PG_CONNECT_MIGRATIONS, ...PG_MAIL_MIGRATIONS];
    const stores = await Promise.all([1, 2, 3].map(() => PgStore.open({ connectionString: POSTGRES_URL, schema: scratch.schema, max: 2, migrations })));
    try {
      const applied = await appliedPgMigrations(stores[0].pool);
      assert.deepEqual(applied.slice(-migrations.length), migrations.map((migration) => migration.id));
      assert.equal(new Set(applied).size, applied.length, 'each step once');
      const mail = new PgMailStore(stores[2].pool);
      await mail.insertMessage(message('after-migration', T0));
      assert.equal((await new PgMailStore(stores[1].pool).entry(DEFAULT_CONFIG_ID, 'after-migration'))?.status, 'queued');
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await scratch.drop();
    }
  });

  it('does not skip a change committed after a later one was read', { skip }, async () => {
    const { store, another, raw } = await postgres.open();
    const reader = await another();
    await store.insertMessage(message('late', T0));
    const mark = await reader.changeMark();
    // A writer that has listed a change (the trigger drew its number) but not committed yet.
    const slow = await raw!();
    await slow.query('BEGIN');
    await slow.query("UPDATE mail_outbox SET status = 'failed', attempts = 1 WHERE id = 'late'");
    let laterDone = false;
    // Another day, so that no per-day count row is shared: only the feed's order makes it wait.
    const later = store.insertMessage(message('later', T0 + 2 * DAY)).then(() => (laterDone = true));
    await sleep(300);
    assert.equal(laterDone, false, 'the later write waits for the earlier one to commit');
    const meanwhile = await reader.changesSince(DEFAULT_CONFIG_ID, mark);
    assert.deepEqual(meanwhile.entries, [], 'nothing uncommitted, and nothing after it, is visible');
    await slow.query('COMMIT');
    await later;
    const seen = await reader.changesSince(DEFAULT_CONFIG_ID, meanwhile.mark);
    assert.deepEqual(
      seen.entries.map((entry) => [entry.id, entry.status]),
      [
        ['late', 'failed'],
        ['later', 'queued'],
      ],
    );
  });

  it('indexes subject and recipients with trigrams when pg_trgm is there', { skip }, async () => {
    const { raw } = await postgres.open();
    const client = await raw!();
    const extension = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'");
    const indexes = await client.query("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE 'mail_outbox_%_trgm' ORDER BY indexname");
    assert.deepEqual(
      indexes.rows.map((row: { indexname: string }) => row.indexname),
      extension.rowCount ? ['mail_outbox_recipients_trgm', 'mail_outbox_subject_trgm'] : [],
    );
  });
});
