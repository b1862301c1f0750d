/**
 * `npm run bench` (not part of `npm test`): each figure measured once on this machine, printed as a
 * table and written to bench/results.json. Targets are goals; a missed one is reported, not hidden.
 *
 *   npm run bench                 every benchmark
 *   npm run bench -- --only=log   one of: bundle, log
 *   BENCH_ROWS=200000 npm run bench -- --only=log   a smaller log (the target is stated for 1,000,000)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { openDatabase, migrate } from '../src/server/db.js';
import { serverMigrations } from '../src/server/app.js';
import { startServer } from '../src/server/start.js';
import { LogStore } from '../src/server/mail/log-store.js';
import { MAIL_MIGRATIONS } from '../src/server/mail/migrations.js';
import type { LogQuery } from '../src/services/contract.js';

const ROOT = resolve(import.meta.dirname, '..');

interface Result {
  name: string;
  value: number;
  unit: string;
  target: number | null;
  better: 'lower' | 'higher';
  baseline?: number;
  ratio?: number;
}

const results: Result[] = [];
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const wanted = (name: string) => !only || only.split(',').includes(name);
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function time<T>(run: () => T | Promise<T>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** 1. The one-tag bundle, with Lit's own size beside it as the floor. */
async function benchBundle(): Promise<void> {
  const bundle = join(ROOT, 'dist', 'graph-mail-elements.bundle.js');
  // Built fresh, so the figure is the source's and not an older dist/.
  await build({ configFile: join(ROOT, 'vite.config.ts'), mode: 'bundle', logLevel: 'silent' });
  const code = readFileSync(bundle);
  const gz = (bytes: Buffer | string) => gzipSync(bytes, { level: 9 }).length / 1024;
  // Lit alone, minified the same way: one element with a property and a template.
  const dir = mkdtempSync(join(ROOT, '.bench-lit-'));
  try {
    writeFileSync(
      join(dir, 'entry.ts'),
      "import { LitElement, html, css } from 'lit';\nclass X extends LitElement { static styles = css`:host{display:block}`; static properties = { a: {} }; declare a: string; render() { return html`<p>${this.a}</p>`; } }\ncustomElements.define('x-x', X);\n",
    );
    await build({
      configFile: false,
      root: ROOT,
      logLevel: 'silent',
      build: { outDir: join(dir, 'out'), minify: true, lib: { entry: join(dir, 'entry.ts'), formats: ['iife'], name: 'X', fileName: () => 'lit.js' } },
    });
    const lit = gz(readFileSync(join(dir, 'out', 'lit.js')));
    const size = gz(code);
    results.push({ name: 'bundle: min+gzip, four elements with Lit', value: round(size), unit: 'kB', target: 40, better: 'lower', baseline: round(lit), ratio: round(size / lit) });
    results.push({ name: 'bundle: Lit alone (the floor)', value: round(lit), unit: 'kB', target: null, better: 'lower' });
    const msal = ['@azure/msal', 'BrowserAuthError', 'InteractionRequiredAuthError'].some((marker) => code.includes(marker));
    results.push({ name: 'bundle: msal-browser markers present', value: msal ? 1 : 0, unit: 'yes=1', target: 0, better: 'lower' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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

/** Realistic rows: recipients from a few tenants, subjects from templates, a sending system's status mix. */
function fillLog(file: string, rows: number): void {
  const db = openDatabase(file);
  migrate(db, serverMigrations({ migrations: MAIL_MIGRATIONS }));
  const insert = db.prepare(
    `INSERT INTO mail_outbox (id, created_at, updated_at, source, status, recipients, to_json, subject, message_json, attachments_json, total_bytes, attempts, next_attempt_at, finished_at, duration_ms, error_json)
     VALUES (?, ?, ?, 'app', ?, ?, ?, ?, '{}', '[]', 0, ?, ?, ?, ?, ?)`,
  );
  const now = Date.now();
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  db.transaction(() => {
    for (let i = 0; i < rows; i += 1) {
      const name = `${pick(FIRST)}.${pick(LAST)}`;
      const to = [`${name}@${pick(DOMAINS)}`];
      if (random() < 0.1) to.push(`${pick(FIRST)}.${pick(LAST)}@${pick(DOMAINS)}`);
      const r = random();
      const status = r < 0.93 ? 'sent' : r < 0.97 ? 'failed' : r < 0.98 ? 'unknown' : r < 0.99 ? 'queued' : 'sending';
      const created = now - Math.floor(((rows - i) / rows) * 365 * 86_400_000);
      const error = status === 'failed' ? JSON.stringify({ code: 'ErrorAccessDenied', message: 'Access is denied.', hint: 'Grant Mail.Send.', requestId: randomBytes(8).toString('hex') }) : null;
      insert.run(`m${i.toString(36)}${randomBytes(4).toString('hex')}`, created, created, status, to.join(', '), JSON.stringify(to), pick(SUBJECTS)(i, name.replace('.', ' ')), 1, created, status === 'sent' || status === 'failed' ? created + 800 : null, 600 + Math.floor(random() * 900), error);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** 2. Log queries on a million rows, in the store alone and through the HTTP route. */
async function benchLog(): Promise<void> {
  const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'graph-mail-bench-'));
  const file = join(dir, 'graph-mail.sqlite');
  try {
    const fill = await time(() => fillLog(file, rows));
    results.push({ name: `log: write ${rows.toLocaleString('en')} rows (one transaction)`, value: round(fill / 1000, 1), unit: 's', target: null, better: 'lower' });
    const db = openDatabase(file);
    const store = new LogStore(db);
    const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString();
    const monthAgo = new Date(Date.now() - 37 * 86_400_000).toISOString();
    let deep: string | null = null;
    {
      let cursor: string | undefined;
      for (let page = 0; page < 100; page += 1) {
        const result = store.query({ limit: 50, cursor });
        cursor = result.nextCursor ?? undefined;
      }
      deep = cursor ?? null;
    }
    const queries: Array<[string, LogQuery]> = [
      ['first page', { limit: 50 }],
      ['status filter (failed)', { status: 'failed', limit: 50 }],
      ['text search (a name)', { q: 'nestor.wilke', limit: 50 }],
      ['text search (rare)', { q: 'Overtime report 2024-Q3', limit: 50 }],
      ['date range (one week, a month ago)', { from: monthAgo, to: weekAgo, limit: 50 }],
      ['page 5,000 rows deep', { limit: 50, ...(deep ? { cursor: deep } : {}) }],
    ];
    for (const [name, query] of queries) {
      for (let i = 0; i < 3; i += 1) store.query(query);
      const samples: number[] = [];
      for (let i = 0; i < 30; i += 1) samples.push(await time(() => store.query(query)));
      results.push({ name: `log store: ${name}, p50`, value: round(percentile(samples, 50)), unit: 'ms', target: null, better: 'lower' });
      results.push({ name: `log store: ${name}, p95`, value: round(percentile(samples, 95)), unit: 'ms', target: 20, better: 'lower' });
    }
    db.close();

    // Retention off: the rows span a year, and the default 90-day purge would shrink the table under test.
    const running = await startServer({ port: 0, dataDir: dir, databaseFile: file, key: randomBytes(32).toString('base64'), log: () => undefined, mail: { keepAliveCheckMs: 3_600_000, retentionDays: 0 } });
    try {
      for (const [name, query] of queries) {
        const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
        const url = `${running.apiUrl}/log?${search}`;
        const check = await fetch(url);
        const body = (await check.json()) as { items?: unknown[] };
        if (!check.ok || !Array.isArray(body.items)) throw new Error(`GET /log?${search} answered ${check.status}: ${JSON.stringify(body).slice(0, 200)}`);
        for (let i = 0; i < 3; i += 1) await (await fetch(url)).arrayBuffer();
        const samples: number[] = [];
        for (let i = 0; i < 30; i += 1) samples.push(await time(async () => (await fetch(url)).arrayBuffer()));
        results.push({ name: `log HTTP: ${name}, p95`, value: round(percentile(samples, 95)), unit: 'ms', target: 20, better: 'lower' });
      }
    } finally {
      await running.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (wanted('bundle')) await benchBundle();
if (wanted('log')) await benchLog();

const met = (r: Result) => (r.target === null ? '' : (r.better === 'lower' ? r.value <= r.target : r.value >= r.target) ? 'met' : 'MISSED');
const widths = [Math.max(...results.map((r) => r.name.length)), 10, 6, 8, 7];
console.log(['benchmark'.padEnd(widths[0]), 'value'.padStart(widths[1]), 'unit'.padEnd(widths[2]), 'target'.padStart(widths[3]), ''].join('  '));
for (const r of results) {
  console.log([r.name.padEnd(widths[0]), String(r.value).padStart(widths[1]), r.unit.padEnd(widths[2]), (r.target === null ? '' : `${r.better === 'lower' ? '≤' : '≥'} ${r.target}`).padStart(widths[3]), met(r)].join('  '));
}
writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwritten: bench/results.json (${results.length} figures)`);
