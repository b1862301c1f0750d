/**
 * 2. Log queries on a million rows: p50 and p95 of the first page, a status filter, text searches, a
 * date range and a page 5,000 rows deep, in the store alone (`SqliteMailStore.query`) and through the HTTP
 * route of the reference server on a socket (`GET /api/mail/log`).
 *
 * The rows are generated (recipients from a few tenants, subjects from templates, a sending system's
 * status mix, a year of history) into a database made by the server's own migrations; the FTS5 trigram
 * index, the per-status and the per-day counts hold what the triggers would have written (see
 * `derivedTablesOff`), and the triggers are in place when the queries run.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverMigrations } from '../src/server/app.js';
import { migrate, openDatabase, type Db } from '../src/server/db.js';
import { SqliteMailStore } from '../src/server/mail/sqlite-store.js';
import { DEFAULT_CONFIG_ID } from '../src/server/store/types.js';
import { MAIL_MIGRATIONS } from '../src/server/mail/migrations.js';
import { startServer } from '../src/server/start.js';
import type { LogQuery } from '../src/services/contract.js';
import { percentile, round, time, type Report } from './lib.js';
// The MemoryAdapter's seeded generator (mulberry32): every run writes the same rows.
import { random as seededRandom } from '../src/services/memory-log.js';

const WARMUP = 3;
const RUNS = 30;

const FIRST = ['adele', 'alex', 'megan', 'lee', 'nestor', 'patti', 'pradeep', 'diego', 'isaiah', 'joni', 'lidia', 'lynne', 'miriam', 'grady', 'johanna', 'henrietta'];
const LAST = ['vance', 'wilber', 'bowen', 'gu', 'wilke', 'fernandez', 'gupta', 'siciliani', 'langer', 'sherman', 'holloway', 'robbins', 'graham', 'archie', 'lorenz', 'mueller'];
const DOMAINS = ['contoso.com', 'fabrikam.com', 'northwindtraders.com', 'adatum.com', 'litware.com', 'tailspintoys.com'];
const SUBJECTS = [
  (n: number, who: string) => `Timesheet for week ${n % 52} awaits your approval (${who})`,
  (n: number) => `Leave request #${n} approved`,
  (n: number) => `Reminder: submit your hours before Friday (${n % 28} days left this period)`,
  (n: number, who: string) => `Shift swap accepted by ${who}`,
  (n: number) => `Overtime report ${2026 - (n % 3)}-Q${(n % 4) + 1}`,
  (n: number) => `Ticket #${n}: status changed to Resolved`,
];


/** Version-4-shaped ids from a seeded generator: the outbox's ids are random UUIDs. */
function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = '89ab'[Math.floor(random() * 4)];
  const text = hex.join('');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}

/**
 * Row by row, the insert triggers (per-status counts, per-day counts, the trigram index) cost about
 * 150 µs a row on this machine: two and a half minutes of a million-row fill. What they write depends
 * only on the rows, so they are switched off for the fill and their tables filled once at the end —
 * the counts with the GROUP BY of the daily-counts migration, the index with FTS5's own `rebuild`;
 * the live feed's change list stays empty, as for rows that changed long ago — and the triggers are
 * put back exactly as they were.
 */
function derivedTablesOff(db: Db): () => void {
  const triggers = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ('mail_outbox_ai', 'mail_daily_ai', 'mail_changes_ai')").all() as Array<{ name: string; sql: string }>;
  for (const trigger of triggers) db.exec(`DROP TRIGGER ${trigger.name}`);
  return () => {
    db.exec("INSERT INTO mail_fts (mail_fts) VALUES ('rebuild')");
    db.exec('DELETE FROM mail_counts');
    db.exec('INSERT INTO mail_counts (config_id, status, n) SELECT config_id, status, count(*) FROM mail_outbox GROUP BY 1, 2');
    db.exec('DELETE FROM mail_daily_counts');
    db.exec('INSERT INTO mail_daily_counts (config_id, day, status, n) SELECT config_id, created_at / 86400000, status, count(*) FROM mail_outbox GROUP BY 1, 2, 3');
    for (const trigger of triggers) db.exec(trigger.sql);
  };
}

/** Realistic rows in one transaction, through the server's own migrations and triggers. */
export function fillLog(file: string, rows: number, now = Date.now()): void {
  const db = openDatabase(file);
  migrate(db, serverMigrations({ migrations: MAIL_MIGRATIONS }));
  // Filling only: a bigger page cache keeps the indexes' pages in memory during the one transaction.
  db.pragma('cache_size = -262144');
  const restore = derivedTablesOff(db);
  const insert = db.prepare(
    `INSERT INTO mail_outbox (id, created_at, updated_at, source, status, recipients, to_json, subject, message_json, attachments_json, total_bytes, attempts, next_attempt_at, finished_at, duration_ms, path, phase, error_json)
     VALUES (?, ?, ?, 'app', ?, ?, ?, ?, ?, '[]', 0, ?, ?, ?, ?, 'draft', ?, ?)`,
  );
  const random = seededRandom(42);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  db.transaction(() => {
    for (let i = 0; i < rows; i += 1) {
      const name = `${pick(FIRST)}.${pick(LAST)}`;
      const to = [`${name}@${pick(DOMAINS)}`];
      if (random() < 0.1) to.push(`${pick(FIRST)}.${pick(LAST)}@${pick(DOMAINS)}`);
      const r = random();
      // Only the newest messages can still be waiting; a year's history is sent, failed or unknown.
      const status = i >= rows - 40 ? (i % 2 ? 'queued' : 'sending') : r < 0.95 ? 'sent' : r < 0.99 ? 'failed' : 'unknown';
      // A year of history, oldest first, as the outbox writes it; a few per second at the busiest.
      const created = now - Math.floor(((rows - i) / rows) * 365 * 86_400_000) - Math.floor(random() * 1000);
      const subject = pick(SUBJECTS)(i, name.replace('.', ' '));
      const attempts = status === 'failed' ? 8 : status === 'queued' ? 0 : random() < 0.05 ? 2 : 1;
      const error = status === 'failed' || status === 'unknown'
        ? JSON.stringify({ code: status === 'failed' ? 'ErrorAccessDenied' : 'GatewayTimeout', message: status === 'failed' ? 'Access is denied. Check credentials and try again.' : 'The send was accepted or not: the answer was lost.', hint: 'Grant Mail.Send and admin consent.', requestId: uuidFrom(random) })
        : null;
      const finished = status === 'sent' || status === 'failed' || status === 'unknown' ? created + 800 : null;
      insert.run(
        uuidFrom(random),
        created,
        finished ?? created,
        status,
        to.join(', '),
        JSON.stringify(to),
        subject,
        JSON.stringify({ to, subject, text: 'Open the portal to see the details.' }),
        attempts,
        created,
        finished,
        600 + Math.floor(random() * 900),
        status === 'queued' ? 'new' : 'send-requested',
        error,
      );
    }
    restore();
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

export async function benchLogQueries(report: Report): Promise<void> {
  const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'graph-mail-bench-log-'));
  const file = join(dir, 'graph-mail.sqlite');
  try {
    const fill = await time(() => fillLog(file, rows));
    report({ name: `log: write ${rows.toLocaleString('en')} rows (one transaction, counts and index built at the end)`, value: round(fill / 1000, 1), unit: 's', target: null, better: 'lower' });
    const db = openDatabase(file);
    const store = new SqliteMailStore(db);
    const day = 86_400_000;
    const weekFrom = new Date(Date.now() - 37 * day).toISOString();
    const weekTo = new Date(Date.now() - 30 * day).toISOString();
    // 5,000 rows deep: 100 pages of 50, each cursor taken from the page before.
    let cursor: string | undefined;
    for (let page = 0; page < 100; page += 1) cursor = (await store.query(DEFAULT_CONFIG_ID, { limit: 50, cursor })).nextCursor ?? undefined;
    if (!cursor) throw new Error('the log ended before 5,000 rows');
    const queries: Array<[string, LogQuery]> = [
      ['first page', { limit: 50 }],
      ['status filter (failed)', { status: 'failed', limit: 50 }],
      ['text search (a recipient)', { q: 'nestor.wilke', limit: 50 }],
      ['text search (a phrase)', { q: 'Overtime report 2024-Q3', limit: 50 }],
      ['date range (one week, a month ago)', { from: weekFrom, to: weekTo, limit: 50 }],
      ['page 5,000 rows deep', { limit: 50, cursor }],
    ];
    for (const [name, query] of queries) {
      const probe = await store.query(DEFAULT_CONFIG_ID, query);
      const matches = `${Object.values(probe.counts).reduce((sum, n) => sum + n, 0).toLocaleString('en')}${probe.countsCapped ? '+' : ''}`;
      for (let i = 0; i < WARMUP; i += 1) await store.query(DEFAULT_CONFIG_ID, query);
      const samples: number[] = [];
      for (let i = 0; i < RUNS; i += 1) samples.push(await time(() => store.query(DEFAULT_CONFIG_ID, query)));
      const label = `${name}${query.q ? `, ${matches} matches` : ''}`;
      report({ name: `log store: ${label}, p50`, value: round(percentile(samples, 50)), unit: 'ms', target: null, better: 'lower' });
      report({ name: `log store: ${label}, p95`, value: round(percentile(samples, 95)), unit: 'ms', target: 20, better: 'lower' });
    }
    db.close();

    // Retention off: the rows span a year, and the default 90-day purge would shrink the table under test.
    const running = await startServer({ production: false, port: 0, dataDir: dir, databaseFile: file, key: randomBytes(32).toString('base64'), log: () => undefined, mail: { keepAliveCheckMs: 3_600_000, retentionDays: 0, outbox: { sendBudget: 'off' } } });
    try {
      for (const [name, query] of queries) {
        const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
        const url = `${running.apiUrl}/log?${search}`;
        const check = await fetch(url);
        const body = (await check.json()) as { items?: unknown[] };
        if (!check.ok || !Array.isArray(body.items) || body.items.length === 0) throw new Error(`GET /log?${search} answered ${check.status}: ${JSON.stringify(body).slice(0, 200)}`);
        for (let i = 0; i < WARMUP; i += 1) await (await fetch(url)).arrayBuffer();
        const samples: number[] = [];
        for (let i = 0; i < RUNS; i += 1) samples.push(await time(async () => (await fetch(url)).arrayBuffer()));
        report({ name: `log HTTP: ${name}, p50`, value: round(percentile(samples, 50)), unit: 'ms', target: null, better: 'lower' });
        report({ name: `log HTTP: ${name}, p95`, value: round(percentile(samples, 95)), unit: 'ms', target: 20, better: 'lower' });
      }
    } finally {
      await running.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
