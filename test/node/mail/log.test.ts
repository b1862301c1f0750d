import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LogEntry, LogStatus } from '../../../src/services/contract.js';
import { csvCell, logCsvStream } from '../../../src/server/mail/csv.js';
import { GraphMailer } from '../../../src/server/mail/graph-mailer.js';
import { InvalidCursorError, LogStore, TEXT_COUNT_CAP } from '../../../src/server/mail/log-store.js';
import { SqliteMailStore } from '../../../src/server/mail/sqlite-store.js';
import { Outbox } from '../../../src/server/mail/outbox.js';
import type { Db } from '../../../src/server/mail/types.js';
import { tempStore, type TestStore } from '../helpers/mail-db.js';
import { DEFAULT_CONFIG_ID } from '../../../src/server/store/types.js';

const unusedTokens = { getAccessToken: async () => Promise.reject(new Error('no Graph in this test')) };
const noConfig = { getEffectiveConfig: () => null };

/** Rows inserted directly: the log reads what the outbox wrote, so the shape is the outbox's own. */
function insertRows(db: Db, rows: Array<{ id?: string; createdAt: number; status?: LogStatus; to?: string[]; subject?: string; source?: 'app' | 'test' }>): void {
  const insert = db.prepare(
    `INSERT INTO mail_outbox (id, created_at, updated_at, source, status, recipients, to_json, subject, message_json, next_attempt_at, finished_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ?)`,
  );
  db.transaction(() => {
    let n = 0;
    for (const row of rows) {
      const to = row.to ?? ['someone@contoso.com'];
      const status = row.status ?? 'sent';
      const id = row.id ?? `00000000-0000-4000-8000-${String(n++).padStart(12, '0')}${Math.random().toString(16).slice(2, 6)}`.slice(0, 36);
      insert.run(id, row.createdAt, row.createdAt, row.source ?? 'app', status, to.join(', '), JSON.stringify(to), row.subject ?? 'Hello', row.createdAt, status === 'queued' ? null : row.createdAt);
    }
  })();
}

const groupCounts = (db: Db) =>
  Object.fromEntries((db.prepare('SELECT status, count(*) AS n FROM mail_outbox GROUP BY status').all() as Array<{ status: string; n: number }>).map((row) => [row.status, row.n]));

/** Decodes keeping the byte order mark, which `Response.text()` would drop. */
async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
}

/** A minimal RFC 4180 reader, so the test checks what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 1;
    } else cell += char;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

describe('notification log queries', () => {
  let store: TestStore;
  let log: SqliteMailStore;
  const base = Date.parse('2024-05-01T00:00:00Z');

  before(async () => {
    store = await tempStore();
    log = new SqliteMailStore(store.db);
    const rows = [];
    // 450 rows, two per millisecond so that the id decides the order between equal times.
    for (let i = 0; i < 450; i += 1) {
      const status: LogStatus = i % 10 === 0 ? 'failed' : i % 15 === 0 ? 'unknown' : i % 7 === 0 ? 'queued' : 'sent';
      rows.push({
        createdAt: base + Math.floor(i / 2) * 60_000,
        status,
        to: i % 3 === 0 ? [`Payroll.Team${i}@Contoso.com`] : [`worker${i}@fabrikam.com`, 'cc@fabrikam.com'],
        subject: i % 5 === 0 ? `Timesheet reminder ${i}` : `Approval needed ${i}`,
      });
    }
    insertRows(store.db, rows);
  });
  after(() => store.close());

  it('pages newest first with a keyset cursor, without gaps or repeats', async () => {
    const seen: LogEntry[] = [];
    let cursor: string | undefined;
    const sizes: number[] = [];
    for (let page = 0; page < 10; page += 1) {
      const result = await log.query(DEFAULT_CONFIG_ID, { limit: 200, cursor });
      sizes.push(result.items.length);
      seen.push(...result.items);
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    assert.deepEqual(sizes, [200, 200, 50]);
    assert.equal(new Set(seen.map((entry) => entry.id)).size, 450);
    for (let i = 1; i < seen.length; i += 1) {
      const a = seen[i - 1];
      const b = seen[i];
      assert.ok(a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id), `row ${i} out of order`);
    }
  });

  it('counts follow every filter but status, and the status filter narrows the items', async () => {
    const all = await log.query(DEFAULT_CONFIG_ID, {});
    assert.deepEqual(all.counts, { queued: 0, sending: 0, ...groupCounts(store.db) } as typeof all.counts);
    const failed = await log.query(DEFAULT_CONFIG_ID, { status: 'failed', limit: 200 });
    assert.ok(failed.items.length > 0 && failed.items.every((entry) => entry.status === 'failed'));
    assert.deepEqual(failed.counts, all.counts, 'the status filter does not change the counts');
    assert.equal(failed.items.length, all.counts.failed);

    const text = await log.query(DEFAULT_CONFIG_ID, { q: 'timesheet', limit: 200 });
    const expected = (store.db.prepare("SELECT status, count(*) AS n FROM mail_outbox WHERE subject LIKE '%timesheet%' GROUP BY status").all() as Array<{ status: LogStatus; n: number }>);
    for (const row of expected) assert.equal(text.counts[row.status], row.n);
    assert.equal(text.items.length, 90);
    assert.ok(text.items.every((entry) => /Timesheet/.test(entry.subject)));
  });

  it('finds a case-insensitive substring of a recipient through the trigram index', async () => {
    const page = await log.query(DEFAULT_CONFIG_ID, { q: 'payroll.TEAM3', limit: 200 });
    // Team3, Team30..Team39 (i % 3 === 0 only), Team300..Team399 (same)
    const ids = page.items.map((entry) => entry.to[0]);
    assert.ok(ids.length > 0);
    assert.ok(ids.every((to) => to.toLowerCase().includes('payroll.team3')));
    const plan = store.db.prepare("EXPLAIN QUERY PLAN SELECT seq FROM mail_outbox WHERE seq IN (SELECT rowid FROM mail_fts WHERE mail_fts MATCH '\"payroll\"')").all() as Array<{ detail: string }>;
    assert.ok(plan.some((step) => /VIRTUAL TABLE INDEX/.test(step.detail)), 'the text filter uses the FTS index');
  });

  it('matches one or two characters with LIKE, and treats LIKE wildcards in the query as text', async () => {
    const short = await log.query(DEFAULT_CONFIG_ID, { q: '99', limit: 200 });
    assert.ok(short.items.length > 0);
    assert.ok(short.items.every((entry) => entry.subject.includes('99') || entry.to.some((to) => to.includes('99'))));
    assert.equal((await log.query(DEFAULT_CONFIG_ID, { q: '%' })).items.length, 0);
    assert.equal((await log.query(DEFAULT_CONFIG_ID, { q: '_' })).items.length, 0);
    assert.equal((await log.query(DEFAULT_CONFIG_ID, { q: '"%_' })).items.length, 0);
  });

  it('filters by date range: from inclusive, a bare to date covers its whole day', async () => {
    const day = await log.query(DEFAULT_CONFIG_ID, { from: '2024-05-01', to: '2024-05-01', limit: 200 });
    // 225 distinct minutes from midnight: all within the first day (225 min < 24 h).
    assert.equal(day.items.length, 200);
    const window = await log.query(DEFAULT_CONFIG_ID, { from: '2024-05-01T00:10:00Z', to: '2024-05-01T00:20:00Z', limit: 200 });
    assert.equal(window.items.length, 20);
    assert.ok(window.items.every((entry) => entry.createdAt >= '2024-05-01T00:10:00.000Z' && entry.createdAt < '2024-05-01T00:20:00.000Z'));
    const sum = Object.values(window.counts).reduce((a, b) => a + b, 0);
    assert.equal(sum, 20);
    assert.equal((await log.query(DEFAULT_CONFIG_ID, { from: '2024-06-01' })).items.length, 0);
  });

  it('refuses a cursor it did not issue', async () => {
    await assert.rejects(log.query(DEFAULT_CONFIG_ID, { cursor: 'bm90LWEtY3Vyc29y' }), InvalidCursorError);
  });

  it('keeps per-status counts in step through inserts, status changes and deletes', async () => {
    const db = store.db;
    db.prepare("UPDATE mail_outbox SET status = 'sending' WHERE status = 'queued'").run();
    db.prepare("UPDATE mail_outbox SET status = 'failed' WHERE rowid % 11 = 0").run();
    db.prepare('DELETE FROM mail_outbox WHERE rowid % 13 = 0').run();
    const counted = groupCounts(db);
    const kept = await log.counts(DEFAULT_CONFIG_ID);
    for (const status of ['queued', 'sending', 'sent', 'failed', 'unknown'] as const) assert.equal(kept[status], counted[status] ?? 0, status);
  });
});

describe('CSV export', () => {
  let store: TestStore;
  before(async () => {
    store = await tempStore();
    const rows = [
      { createdAt: 1_000, subject: '=HYPERLINK("http://evil.test","click")', to: ['a@contoso.com'] },
      { createdAt: 2_000, subject: '+1+1', to: ['b@contoso.com'] },
      { createdAt: 3_000, subject: '-2', to: ['c@contoso.com'] },
      { createdAt: 4_000, subject: '@SUM(A1)', to: ['d@contoso.com'] },
      { createdAt: 5_000, subject: '\tTabbed', to: ['e@contoso.com'] },
      { createdAt: 6_000, subject: 'Line\nbreak, "quoted"', to: ['f@contoso.com'] },
    ];
    for (let i = 0; i < 450; i += 1) rows.push({ createdAt: 10_000 + i, subject: `Bulk ${i}`, to: ['bulk@contoso.com'] });
    insertRows(store.db, rows);
  });
  after(() => store.close());

  it('neutralises formula cells and quotes what needs quoting', () => {
    assert.equal(csvCell('=1+1'), "'=1+1");
    assert.equal(csvCell('+1'), "'+1");
    assert.equal(csvCell('-1'), "'-1");
    assert.equal(csvCell('@x'), "'@x");
    assert.equal(csvCell('\tx'), "'\tx");
    assert.equal(csvCell('\rx'), `"'\rx"`);
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('plain'), 'plain');
  });

  it('streams every matching row across pages, with the filters of /log', async () => {
    const text = await readAll(logCsvStream(new SqliteMailStore(store.db), DEFAULT_CONFIG_ID, {}, 100));
    assert.ok(text.startsWith('\uFEFFid,createdAt,status'));
    const rows = parseCsv(text.slice(1));
    assert.equal(rows.length, 1 + 456);
    const subjects = rows.slice(1).map((row) => row[5]);
    for (const subject of subjects) assert.ok(!/^[=+\-@\t\r]/.test(subject), `unsafe cell ${JSON.stringify(subject)}`);
    assert.ok(subjects.includes(`'=HYPERLINK("http://evil.test","click")`));
    assert.ok(subjects.includes('Line\nbreak, "quoted"'));
    const filtered = parseCsv((await readAll(logCsvStream(new SqliteMailStore(store.db), DEFAULT_CONFIG_ID, { q: 'bulk 44' }))).slice(1));
    assert.deepEqual(filtered.slice(1).map((row) => row[5]).sort(), ['Bulk 44', ...Array.from({ length: 10 }, (_, i) => `Bulk 44${i}`)].sort());
  });
});

describe('an outbox of one configuration', () => {
  it('queues, warns and shows changes for its configuration only', async () => {
    const store = await tempStore();
    try {
      const mailStore = new SqliteMailStore(store.db);
      const outbox = new Outbox(mailStore, new GraphMailer(unusedTokens), noConfig, { dataDir: store.dataDir, configId: 'customer-a' });
      const other = new Outbox(mailStore, new GraphMailer(unusedTokens), noConfig, { dataDir: store.dataDir });
      const events: string[] = [];
      const stop = outbox.onChange((event) => events.push(event.type === 'log' ? event.entry.id : event.warning.code));
      const stopOther = other.onChange(() => {});
      try {
        const id = await outbox.enqueue({ to: ['a@contoso.com'], subject: 'For A', text: 'x' });
        const otherId = await other.enqueue({ to: ['d@contoso.com'], subject: 'For the default', text: 'x' });
        await outbox.warn('A_WARNING', 'For A.', 'Nothing.');
        await other.warn('DEFAULT_WARNING', 'For the default.', 'Nothing.');
        assert.equal((await outbox.row(id))?.config_id, 'customer-a');
        assert.equal((await other.row(otherId))?.config_id, DEFAULT_CONFIG_ID);
        assert.deepEqual((await outbox.log.query('customer-a', {})).items.map((entry) => entry.id), [id]);
        assert.deepEqual((await outbox.log.query(DEFAULT_CONFIG_ID, {})).items.map((entry) => entry.id), [otherId]);
        assert.equal(await outbox.entry(otherId), null, "the outbox does not read another configuration's entry");
        assert.deepEqual((await outbox.log.warnings('customer-a')).map((item) => item.code), ['A_WARNING']);
        assert.deepEqual(events, [id, 'A_WARNING'], 'its own changes and warnings only');
      } finally {
        stop();
        stopOther();
      }
    } finally {
      await store.close();
    }
  });
});

describe('retention', () => {
  it('purges finished rows older than the setting, with their attempts and files, and keeps unsent ones', async () => {
    const store = await tempStore();
    try {
      const outbox = new Outbox(new SqliteMailStore(store.db), new GraphMailer(unusedTokens), noConfig, { dataDir: store.dataDir });
      const old = await outbox.enqueue({ to: ['old@contoso.com'], subject: 'Old report', text: 'x' }, [{ name: 'a.txt', contentType: 'text/plain', contentBase64: Buffer.from('hello').toString('base64') }]);
      const oldQueued = await outbox.enqueue({ to: ['queued@contoso.com'], subject: 'Old but unsent', text: 'x' });
      const recent = await outbox.enqueue({ to: ['new@contoso.com'], subject: 'New report', text: 'x' }, [{ name: 'b.txt', contentType: 'text/plain', contentBase64: 'aGk=' }]);
      const longAgo = Date.now() - 100 * 86_400_000;
      store.db.prepare("UPDATE mail_outbox SET created_at = ?, status = 'failed' WHERE id = ?").run(longAgo, old);
      store.db.prepare('UPDATE mail_outbox SET created_at = ? WHERE id = ?').run(longAgo, oldQueued);
      store.db.prepare("INSERT INTO mail_attempts (message_seq, at, outcome, ms) SELECT seq, 1, 'failed', 1 FROM mail_outbox WHERE id = ?").run(old);
      assert.ok(existsSync(join(store.dataDir, 'attachments', old)));

      const removed = await outbox.purge(90);
      assert.equal(removed, 1);
      assert.equal(await outbox.row(old), undefined);
      assert.ok(await outbox.row(oldQueued));
      assert.ok(await outbox.row(recent));
      assert.ok(!existsSync(join(store.dataDir, 'attachments', old)));
      assert.ok(existsSync(join(store.dataDir, 'attachments', recent)));
      assert.equal((store.db.prepare('SELECT count(*) AS n FROM mail_attempts').get() as { n: number }).n, 0);
      assert.equal((await outbox.log.query(DEFAULT_CONFIG_ID, { q: 'Old report' })).items.length, 0, 'the text index forgets purged rows');
      assert.equal((await outbox.log.counts(DEFAULT_CONFIG_ID)).failed, 0);
      assert.equal((await outbox.log.counts(DEFAULT_CONFIG_ID)).queued, 2);
    } finally {
      store.close();
    }
  });
});

describe('untrusted text', () => {
  it('is stored and returned exactly as sent', async () => {
    const store = await tempStore();
    try {
      const outbox = new Outbox(new SqliteMailStore(store.db), new GraphMailer(unusedTokens), noConfig, { dataDir: store.dataDir });
      const subject = '<script>alert(1)</script> \u202Egnp.exe \u0000?';
      const id = await outbox.enqueue({ to: ['x@contoso.com'], subject: subject.replace('\u0000', ''), html: '<b>hi</b>' });
      assert.equal((await outbox.log.entry(DEFAULT_CONFIG_ID, id))?.subject, subject.replace('\u0000', ''));
    } finally {
      store.close();
    }
  });
});

describe('text search on many rows', () => {
  let store: TestStore;
  let log: SqliteMailStore;
  const start = Date.parse('2023-01-01T00:00:00Z');
  const total = 6000;

  before(async () => {
    store = await tempStore();
    log = new SqliteMailStore(store.db);
    const rows = [];
    for (let i = 0; i < total; i += 1) {
      rows.push({
        createdAt: start + i * 30_000,
        status: (i % 50 === 0 ? 'failed' : i % 7 === 0 ? 'unknown' : 'sent') as LogStatus,
        to: [`user${i % 500}@contoso.com`],
        subject: `Invoice ${i} for project ${i % 97}`,
      });
    }
    insertRows(store.db, rows);
  });
  after(() => store.close());

  /** What a text search must answer, newest first, by a plain scan of the table. */
  const scan = (like: string, where = '1') =>
    store.db
      .prepare(`SELECT id, status FROM mail_outbox WHERE (subject LIKE ? OR recipients LIKE ?) AND ${where} ORDER BY seq DESC`)
      .all(`%${like}%`, `%${like}%`) as Array<{ id: string; status: LogStatus }>;

  it('pages a trigram search newest first across cursors, with status and date filters, without gaps or repeats', async () => {
    const cases: Array<[Parameters<SqliteMailStore['query']>[1], string]> = [
      [{ q: 'contoso' }, '1'],
      [{ q: 'contoso', status: 'failed' }, "status = 'failed'"],
      [{ q: 'user42@' }, '1'],
      [{ q: 'project 1', from: new Date(start + 1000 * 30_000).toISOString(), to: new Date(start + 4000 * 30_000).toISOString() }, `created_at >= ${start + 1000 * 30_000} AND created_at < ${start + 4000 * 30_000}`],
    ];
    for (const [query, where] of cases) {
      const expected = scan(query.q!, where).map((row) => row.id);
      assert.ok(expected.length > 0, `the fixture has matches for ${JSON.stringify(query)}`);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 500; page += 1) {
        const result = await log.query(DEFAULT_CONFIG_ID, { ...query, limit: 37, cursor });
        seen.push(...result.items.map((entry) => entry.id));
        if (!result.nextCursor) break;
        cursor = result.nextCursor;
      }
      assert.deepEqual(seen, expected, JSON.stringify(query));
    }
  });

  it('stops counting a text search at TEXT_COUNT_CAP matches, newest first, and says the counts are lower bounds', async () => {
    const all = scan('contoso');
    assert.ok(all.length > TEXT_COUNT_CAP);
    const page = await log.query(DEFAULT_CONFIG_ID, { q: 'contoso', limit: 10 });
    assert.equal(page.countsCapped, true);
    const newest = all.slice(0, TEXT_COUNT_CAP);
    for (const status of ['sent', 'failed', 'unknown'] as const) {
      assert.equal(page.counts[status], newest.filter((row) => row.status === status).length, status);
    }
    assert.equal(Object.values(page.counts).reduce((sum, n) => sum + n, 0), TEXT_COUNT_CAP);

    // Under the cap the counts are exact and the flag is absent; short text (LIKE) is capped the same way.
    const few = await log.query(DEFAULT_CONFIG_ID, { q: 'user42@' });
    assert.equal(few.countsCapped, undefined);
    assert.equal(few.counts.sent + few.counts.failed + few.counts.unknown, scan('user42@').length);
    const short = await log.query(DEFAULT_CONFIG_ID, { q: '7' });
    assert.equal(short.countsCapped, true);
    assert.equal(Object.values(short.counts).reduce((sum, n) => sum + n, 0), TEXT_COUNT_CAP);
    assert.equal((await log.query(DEFAULT_CONFIG_ID, {})).countsCapped, undefined, 'counts without text are exact');
  });

  it('walks the trigram index in rowid order, so a page stops early instead of sorting every match', () => {
    const plan = (query: Parameters<SqliteMailStore['query']>[1]) => {
      const statements: string[] = [];
      const prepare = store.db.prepare.bind(store.db);
      const spy = Object.assign(Object.create(store.db) as Db, {
        prepare: (sql: string) => {
          statements.push(sql);
          return prepare(sql);
        },
      });
      new LogStore(spy).query(DEFAULT_CONFIG_ID, query);
      return statements.map((sql) =>
        (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 1)) as Array<{ detail: string }>).map((row) => row.detail).join(' | '),
      );
    };
    for (const detail of plan({ q: 'contoso', status: 'failed' })) {
      assert.match(detail, /^SCAN mail_fts VIRTUAL TABLE INDEX [^|]*\| SEARCH o USING INTEGER PRIMARY KEY/, `the index drives the loop: ${detail}`);
      assert.doesNotMatch(detail, /TEMP B-TREE/, `no sort of every match: ${detail}`);
    }
  });

  it('still reads a cursor issued before cursors carried the arrival order', async () => {
    const first = await log.query(DEFAULT_CONFIG_ID, { q: 'contoso', limit: 5 });
    const last = first.items[4];
    const legacy = Buffer.from(`${Date.parse(last.createdAt)}:${last.id}`, 'utf8').toString('base64url');
    const next = await log.query(DEFAULT_CONFIG_ID, { q: 'contoso', limit: 5, cursor: legacy });
    assert.deepEqual(next.items.map((entry) => entry.id), scan('contoso').slice(5, 10).map((row) => row.id));
  });
});
