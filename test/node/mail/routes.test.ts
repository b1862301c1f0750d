import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HealthView, LogEntryDetail, LogPage, Problem } from '../../../src/services/contract.js';
import { defaultEndpoints } from '../../../src/services/endpoints.js';
import type { MailConfig } from '../../../src/server/mail/types.js';
import { SettableConfig, startMailApp, type MailApp } from '../helpers/mail-app.js';
import { tempStore, type TestStore } from '../helpers/mail-db.js';

const TOKEN = 'service-token-0123456789abcdef';
const message = { to: ['someone@contoso.com'], subject: 'Report ready', text: 'See attached.' };
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const appConfig: MailConfig = {
  mode: 'application',
  cloud: 'global',
  tenantId: 'contoso.onmicrosoft.com',
  clientId: '11111111-2222-3333-4444-555555555555',
  fromName: 'Timesheets',
  fromAddress: 'timesheets@contoso.com',
  saveToSentItems: true,
  endpoints: defaultEndpoints('global'),
};

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

describe('POST /send', () => {
  let store: TestStore;
  let app: MailApp;
  before(async () => {
    store = await tempStore();
    // Workers are not started: these tests are about accepting messages, not sending them.
    app = await startMailApp(store, { serviceToken: TOKEN, outbox: { maxAttachmentBytes: 5 * 1024 * 1024, maxMessageBytes: 8 * 1024 * 1024 }, maxJsonBodyBytes: 256 * 1024 });
  });
  after(async () => {
    await app.close();
    store.close();
  });

  const send = (body: BodyInit, headers: Record<string, string> = {}) => fetch(`${app.url}/send`, { method: 'POST', body, headers });

  it('answers 401 without the service token, or with a wrong one', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, `Bearer ${TOKEN.slice(0, -1)}`]) {
      const response = await send(JSON.stringify(message), { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) });
      assert.equal(response.status, 401, String(authorization));
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
      assert.equal(response.headers.get('www-authenticate'), 'Bearer');
    }
    assert.equal((store.db.prepare('SELECT count(*) AS n FROM mail_outbox').get() as { n: number }).n, 0);
  });

  it('queues a JSON message with base64 attachments and answers 202 with its id', async () => {
    const bytes = randomBytes(2000);
    const response = await send(JSON.stringify({ ...message, attachments: [{ name: 'data.bin', contentType: 'application/octet-stream', contentBase64: bytes.toString('base64') }] }), {
      'content-type': 'application/json',
      authorization: `Bearer ${TOKEN}`,
    });
    assert.equal(response.status, 202);
    const { id } = await json<{ id: string }>(response);
    const detail = await json<LogEntryDetail>(await fetch(`${app.url}/log/${id}`));
    assert.equal(detail.status, 'queued');
    assert.deepEqual(detail.to, message.to);
    assert.deepEqual(detail.history, []);
    const file = join(store.dataDir, 'attachments', id, '0');
    assert.equal(sha(readFileSync(file)), sha(bytes));
  });

  it('answers 400 problem+json with field paths for an invalid message', async () => {
    const response = await send(JSON.stringify({ to: ['not-an-address'], subject: 'x' }), { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    const body = await json<Problem>(response);
    const paths = body.errors?.map((error) => error.path) ?? [];
    assert.ok(paths.includes('to.0'), paths.join());
    assert.ok(paths.includes('text'), paths.join());
  });

  it('refuses a JSON body over the limit (413) and other media types (415)', async () => {
    const big = JSON.stringify({ ...message, attachments: [{ name: 'big.bin', contentType: 'application/octet-stream', contentBase64: randomBytes(300 * 1024).toString('base64') }] });
    const tooLarge = await send(big, { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` });
    assert.equal(tooLarge.status, 413);
    const text = await send('hello', { 'content-type': 'text/plain', authorization: `Bearer ${TOKEN}` });
    assert.equal(text.status, 415);
  });

  it('streams multipart file parts to disk and queues the message', async () => {
    const small = randomBytes(10_000);
    const large = randomBytes(4 * 1024 * 1024 + 123);
    const form = new FormData();
    form.append('message', JSON.stringify({ ...message, subject: 'Multipart' }));
    form.append('file', new Blob([small], { type: 'text/csv' }), 'report.csv');
    form.append('file', new Blob([large], { type: 'application/pdf' }), 'scan #1.pdf');
    const response = await send(form, { authorization: `Bearer ${TOKEN}` });
    assert.equal(response.status, 202, await response.clone().text());
    const { id } = await json<{ id: string }>(response);
    const row = store.db.prepare('SELECT attachments_json, total_bytes FROM mail_outbox WHERE id = ?').get(id) as { attachments_json: string; total_bytes: number };
    const records = JSON.parse(row.attachments_json) as Array<{ name: string; contentType: string; size: number; file: string }>;
    assert.deepEqual(
      records.map((record) => [record.name, record.contentType, record.size]),
      [
        ['report.csv', 'text/csv', small.length],
        ['scan #1.pdf', 'application/pdf', large.length],
      ],
    );
    assert.equal(row.total_bytes, small.length + large.length);
    assert.equal(sha(readFileSync(join(store.dataDir, records[1].file))), sha(large));
    assert.deepEqual(existsSync(join(store.dataDir, 'incoming')) ? readdirSync(join(store.dataDir, 'incoming')) : [], [], 'the spool folder is emptied');
  });

  it('refuses a multipart file over the per-file limit with 413 naming the part, and leaves nothing behind', async () => {
    const before = (store.db.prepare('SELECT count(*) AS n FROM mail_outbox').get() as { n: number }).n;
    const form = new FormData();
    form.append('message', JSON.stringify(message));
    form.append('file', new Blob([randomBytes(1000)]), 'ok.bin');
    form.append('file', new Blob([randomBytes(5 * 1024 * 1024 + 1)]), 'huge.bin');
    const response = await send(form, { authorization: `Bearer ${TOKEN}` });
    assert.equal(response.status, 413);
    const body = await json<Problem>(response);
    assert.equal(body.errors?.[0]?.path, 'attachments.1');
    assert.match(body.errors?.[0]?.message ?? '', /larger than 5 MB/);
    assert.equal((store.db.prepare('SELECT count(*) AS n FROM mail_outbox').get() as { n: number }).n, before);
    assert.deepEqual(readdirSync(join(store.dataDir, 'incoming')), []);
  });

  it('refuses multipart attachments that exceed the message limit together', async () => {
    const form = new FormData();
    form.append('message', JSON.stringify(message));
    for (let i = 0; i < 3; i += 1) form.append('file', new Blob([randomBytes(3 * 1024 * 1024)]), `part${i}.bin`);
    const response = await send(form, { authorization: `Bearer ${TOKEN}` });
    assert.equal(response.status, 413);
    assert.match((await json<Problem>(response)).errors?.[0]?.message ?? '', /together/);
  });

  it('needs a message part in multipart bodies', async () => {
    const form = new FormData();
    form.append('file', new Blob([randomBytes(10)]), 'a.bin');
    const response = await send(form, { authorization: `Bearer ${TOKEN}` });
    assert.equal(response.status, 400);
    assert.equal((await json<Problem>(response)).errors?.[0]?.path, 'message');
  });
});

describe('POST /send without a configured service token', () => {
  it('answers 401 to everyone', async () => {
    const store = await tempStore();
    const app = await startMailApp(store, {});
    try {
      for (const authorization of ['Bearer ', 'Bearer undefined', 'Bearer null', `Bearer ${TOKEN}`]) {
        const response = await fetch(`${app.url}/send`, { method: 'POST', body: JSON.stringify(message), headers: { 'content-type': 'application/json', authorization } });
        assert.equal(response.status, 401);
      }
    } finally {
      await app.close();
      store.close();
    }
  });
});

describe('the log routes', () => {
  let store: TestStore;
  let app: MailApp;
  const ids: string[] = [];
  before(async () => {
    store = await tempStore();
    app = await startMailApp(store, { serviceToken: TOKEN, sseKeepAliveMs: 200 });
    for (let i = 0; i < 5; i += 1) {
      const response = await fetch(`${app.url}/send`, {
        method: 'POST',
        body: JSON.stringify({ ...message, subject: `Entry ${i}` }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      });
      ids.push((await json<{ id: string }>(response)).id);
    }
  });
  after(async () => {
    await app.close();
    store.close();
  });

  it('lists, filters and validates queries', async () => {
    const page = await json<LogPage>(await fetch(`${app.url}/log?limit=2`));
    assert.equal(page.items.length, 2);
    assert.ok(page.nextCursor);
    assert.equal(page.counts.queued, 5);
    const next = await json<LogPage>(await fetch(`${app.url}/log?limit=2&cursor=${page.nextCursor}`));
    assert.equal(next.items.length, 2);
    assert.notEqual(next.items[0].id, page.items[0].id);
    const searched = await json<LogPage>(await fetch(`${app.url}/log?q=entry%203&status=`));
    assert.deepEqual(searched.items.map((item) => item.subject), ['Entry 3']);
    for (const bad of ['limit=500', 'status=lost', 'from=yesterday', 'cursor=%2F%2F']) {
      const response = await fetch(`${app.url}/log?${bad}`);
      assert.equal(response.status, 400, bad);
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
    }
  });

  it('answers 404 for an unknown entry and 409 when retrying one that is not failed or unknown', async () => {
    assert.equal((await fetch(`${app.url}/log/00000000-0000-4000-8000-000000000000`)).status, 404);
    const retry = await fetch(`${app.url}/log/${ids[0]}/retry`, { method: 'POST' });
    assert.equal(retry.status, 409);
    store.db.prepare("UPDATE mail_outbox SET status = 'failed', attempts = 3, error_json = '{\"code\":\"X\",\"message\":\"m\",\"hint\":\"h\"}' WHERE id = ?").run(ids[0]);
    const again = await fetch(`${app.url}/log/${ids[0]}/retry`, { method: 'POST' });
    assert.equal(again.status, 202);
    const row = store.db.prepare('SELECT status, attempts, attempt_base, error_json FROM mail_outbox WHERE id = ?').get(ids[0]) as Record<string, unknown>;
    assert.deepEqual(row, { status: 'queued', attempts: 3, attempt_base: 3, error_json: null });
  });

  it('serves the CSV as an attachment', async () => {
    const response = await fetch(`${app.url}/log.csv?q=Entry`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.match(response.headers.get('content-disposition') ?? '', /^attachment; filename="notification-log-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = (await response.text()).trim().split('\r\n');
    assert.equal(lines.length, 6);
  });

  it('pushes new rows and status changes as server-sent events, with keep-alive comments', async () => {
    const controller = new AbortController();
    const response = await fetch(`${app.url}/log/stream`, { signal: controller.signal });
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = async (predicate: () => boolean) => {
      const deadline = Date.now() + 5000;
      while (!predicate() && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
    };
    const sent = await fetch(`${app.url}/send`, {
      method: 'POST',
      body: JSON.stringify({ ...message, subject: 'Live one' }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    });
    const { id } = await json<{ id: string }>(sent);
    await until(() => text.includes('Live one'));
    const event = text.split('\n\n').find((block) => block.includes('Live one'))!;
    assert.match(event, /^event: log\ndata: /m);
    const entry = JSON.parse(event.split('\n').find((line) => line.startsWith('data: '))!.slice(6));
    assert.equal(entry.id, id);
    assert.equal(entry.status, 'queued');
    await until(() => text.includes(': keep-alive'));
    assert.ok(text.includes(': keep-alive'));
    controller.abort();
  });
});

describe('GET /health', () => {
  it('is 503 until configured, 200 when sending can work, 503 on reconnect or an expired secret', async () => {
    const store = await tempStore();
    const config = new SettableConfig();
    const app = await startMailApp(store, { config });
    const health = async () => {
      const response = await fetch(`${app.url}/health`);
      return { status: response.status, body: await json<HealthView>(response) };
    };
    try {
      let result = await health();
      assert.equal(result.status, 503);
      assert.equal(result.body.ok, false);
      assert.equal(result.body.connection.state, 'disconnected');
      assert.deepEqual(result.body.outbox, { queued: 0, failedLastHour: 0 });
      assert.equal(result.body.lastSentAt, null);

      config.config = appConfig;
      const inTenDays = new Date(Date.now() + 10.5 * 86_400_000).toISOString();
      config.status = { connection: { state: 'connected', account: 'timesheets@contoso.com', connectedAt: '' }, secretExpiresAt: inTenDays };
      result = await health();
      assert.equal(result.status, 200);
      assert.equal(result.body.ok, true);
      assert.equal(result.body.secretExpiresInDays, 10);

      config.config = { ...appConfig, mode: 'delegated' };
      config.status = { connection: { state: 'needs-reconnect', account: 'a@contoso.com', connectedAt: '', reason: 'invalid_grant' }, secretExpiresAt: inTenDays };
      result = await health();
      assert.equal(result.status, 503);
      assert.equal(result.body.connection.state, 'needs-reconnect');

      config.config = appConfig;
      config.status = { connection: { state: 'connected', account: '', connectedAt: '' }, secretExpiresAt: new Date(Date.now() - 86_400_000 * 2).toISOString() };
      result = await health();
      assert.equal(result.status, 503);
      assert.ok((result.body.secretExpiresInDays ?? 0) < 0);

      const now = Date.now();
      store.db
        .prepare(
          `INSERT INTO mail_outbox (id, created_at, updated_at, source, status, recipients, to_json, subject, message_json, next_attempt_at, finished_at)
           VALUES ('f1', ?, ?, 'app', 'failed', 'a', '["a"]', 's', '{}', 0, ?), ('f2', ?, ?, 'app', 'failed', 'a', '["a"]', 's', '{}', 0, ?),
                  ('s1', ?, ?, 'app', 'sent', 'a', '["a"]', 's', '{}', 0, ?), ('q1', ?, ?, 'app', 'queued', 'a', '["a"]', 's', '{}', 0, NULL)`,
        )
        .run(now, now, now - 60_000, now, now, now - 2 * 3_600_000, now, now, now - 5_000, now, now);
      config.status = null;
      result = await health();
      assert.equal(result.status, 200);
      assert.deepEqual(result.body.outbox, { queued: 1, failedLastHour: 1 });
      assert.equal(result.body.lastSentAt, new Date(now - 5_000).toISOString());
    } finally {
      await app.close();
      store.close();
    }
  });
});
