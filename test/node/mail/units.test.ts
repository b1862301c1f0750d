import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nextDelay, parseRetryAfter } from '../../../src/server/mail/backoff.js';
import { firstExpectedOffset, graphMessage, GraphMailer, DEFAULT_CHUNK_BYTES, sharedMailbox } from '../../../src/server/mail/graph-mailer.js';
import { delegatedPermissions } from '../../../src/server/connect/flow.js';
import { wasWritten } from '../../../src/server/mail/graph-call.js';
import { KeyedSemaphore } from '../../../src/server/mail/semaphore.js';
import { mailOptionsFromEnv } from '../../../src/server/mail/runtime.js';
import { tokenMatches } from '../../../src/server/mail/routes.js';
import { decodeCursor, encodeCursor } from '../../../src/server/mail/log-store.js';
import { dateBounds } from '../../../src/services/log-query.js';

describe('Retry-After and backoff', () => {
  it('reads seconds and HTTP dates, and ignores garbage', () => {
    const now = Date.parse('2024-05-01T10:00:00Z');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Wed, 01 May 2024 10:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 01 May 2024 09:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
    assert.equal(parseRetryAfter('', now), undefined);
  });

  it('uses full jitter under an exponential bound, capped, and lets Retry-After win up to the cap', () => {
    const policy = { baseMs: 1000, maxMs: 900_000 };
    assert.equal(nextDelay(1, policy, undefined, () => 0.999999), 999);
    assert.equal(nextDelay(4, policy, undefined, () => 0.5), 4000);
    assert.equal(nextDelay(40, policy, undefined, () => 0.5), 450_000);
    assert.equal(nextDelay(3, policy, undefined, () => 0), 0);
    assert.equal(nextDelay(3, policy, 5000, () => 0), 5000);
    assert.equal(nextDelay(3, policy, 3_600_000, () => 0), 900_000);
    const spread = new Set(Array.from({ length: 50 }, () => nextDelay(6, policy)));
    assert.ok(spread.size > 40, 'delays are spread, not in step');
  });
});

describe('KeyedSemaphore', () => {
  it('lets at most N tasks per key run at once, and keys do not share permits', async () => {
    const semaphore = new KeyedSemaphore(4);
    let running = 0;
    let peak = 0;
    const task = () =>
      semaphore.run('mailbox-a', async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
      });
    const other = semaphore.acquire('mailbox-b');
    await Promise.all(Array.from({ length: 20 }, task));
    assert.equal(peak, 4);
    (await other)();
    assert.equal(semaphore.active('mailbox-a'), 0);
    assert.equal(semaphore.active('mailbox-b'), 0);
  });

  it('releases a permit once, however often release is called', async () => {
    const semaphore = new KeyedSemaphore(1);
    const release = await semaphore.acquire('k');
    release();
    release();
    const a = await semaphore.acquire('k');
    let second = false;
    const b = semaphore.acquire('k').then((r) => {
      second = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(second, false);
    a();
    (await b)();
  });
});

describe('Graph request details', () => {
  it('builds the message resource with recipients, body type and sender', () => {
    const body = graphMessage({ to: ['a@x.com'], cc: ['b@x.com'], subject: 'S', html: '<p>x</p>', replyTo: ['r@x.com'] }, { fromAddress: 'from@x.com', fromName: 'App' });
    assert.deepEqual(body, {
      subject: 'S',
      body: { contentType: 'HTML', content: '<p>x</p>' },
      toRecipients: [{ emailAddress: { address: 'a@x.com' } }],
      ccRecipients: [{ emailAddress: { address: 'b@x.com' } }],
      replyTo: [{ emailAddress: { address: 'r@x.com' } }],
      from: { emailAddress: { address: 'from@x.com', name: 'App' } },
    });
    assert.deepEqual(graphMessage({ to: ['a@x.com'], subject: 'S', text: 't' }, { fromAddress: '', fromName: '' }).body, { contentType: 'Text', content: 't' });
  });

  it('reads nextExpectedRanges', () => {
    assert.equal(firstExpectedOffset(['3932160-']), 3932160);
    assert.equal(firstExpectedOffset(['0-1023', '2048-']), 0);
    assert.equal(firstExpectedOffset([]), undefined);
    assert.equal(firstExpectedOffset('12-'), undefined);
  });

  it('chunks are a multiple of 320 KiB and under 4 MB', () => {
    assert.equal(DEFAULT_CHUNK_BYTES % (320 * 1024), 0);
    assert.ok(DEFAULT_CHUNK_BYTES < 4_000_000);
    const tokens = { getAccessToken: async () => ({ accessToken: 'x', scopes: [] }) };
    assert.throws(() => new GraphMailer(tokens, { uploadChunkBytes: 1_000_000 }), /320 KiB/);
    assert.throws(() => new GraphMailer(tokens, { uploadChunkBytes: 13 * 320 * 1024 }), /under 4 MB/);
  });

  it('tells requests that never left from ones that may have been processed', () => {
    assert.equal(wasWritten(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })), false);
    assert.equal(wasWritten(Object.assign(new TypeError('fetch failed'), { cause: { code: 'UND_ERR_SOCKET' } })), true);
    assert.equal(wasWritten(new DOMException('timed out', 'TimeoutError')), true);
  });
});

describe('settings and helpers', () => {
  it('reads the environment settings with their defaults left to the module', () => {
    const options = mailOptionsFromEnv({ GRAPH_MAIL_MAX_ATTEMPTS: '3', GRAPH_MAIL_RETRY_MAX_DELAY_S: '60', GRAPH_MAIL_LOG_RETENTION_DAYS: '30', GRAPH_MAIL_SERVICE_TOKEN: 'tok', GRAPH_MAIL_MAX_MESSAGE_MB: '35' });
    assert.equal(options.serviceToken, 'tok');
    assert.equal(options.retentionDays, 30);
    assert.equal(options.outbox?.maxAttempts, 3);
    assert.equal(options.outbox?.retryMaxDelayMs, 60_000);
    assert.equal(options.outbox?.maxMessageBytes, 35 * 1024 * 1024);
    const empty = mailOptionsFromEnv({ GRAPH_MAIL_MAX_ATTEMPTS: 'many' });
    assert.equal(empty.outbox?.maxAttempts, undefined);
    assert.equal(empty.serviceToken, undefined);
    assert.equal(empty.instances, undefined);
    assert.equal(mailOptionsFromEnv({ GRAPH_MAIL_INSTANCES: 'several' }).instances, 'several');
    assert.throws(() => mailOptionsFromEnv({ GRAPH_MAIL_INSTANCES: '3' }), /GRAPH_MAIL_INSTANCES must be "one" or "several"/);
  });

  it('compares tokens only when one is configured', () => {
    assert.equal(tokenMatches('abc', 'abc'), true);
    assert.equal(tokenMatches('abd', 'abc'), false);
    assert.equal(tokenMatches('abc', undefined), false);
    assert.equal(tokenMatches('', ''), false);
    assert.equal(tokenMatches(undefined, 'abc'), false);
  });

  it('round-trips cursors and reads date bounds', () => {
    const cursor = encodeCursor(1714557600000, '6f1c2a8e-0000-4000-8000-000000000001');
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeCursor(cursor), { createdAt: 1714557600000, id: '6f1c2a8e-0000-4000-8000-000000000001' });
    assert.equal(decodeCursor('AAAA'), null);
    assert.deepEqual(dateBounds({ from: '2024-05-01', to: '2024-05-02' }), { from: Date.parse('2024-05-01'), to: Date.parse('2024-05-03') });
    assert.deepEqual(dateBounds({ to: '2024-05-02T12:00:00Z' }), { to: Date.parse('2024-05-02T12:00:00Z') });
  });
});

describe('sending from a shared mailbox (delegated)', () => {
  const delegated = { mode: 'delegated' as const, fromAddress: 'info@contoso.com', account: 'adele@contoso.com' };

  it('asks for the .Shared permissions whenever a From address is set', () => {
    assert.deepEqual(delegatedPermissions({ useDrafts: true, fromAddress: 'info@contoso.com' }), ['User.Read', 'Mail.Send', 'Mail.ReadWrite', 'Mail.Send.Shared', 'Mail.ReadWrite.Shared']);
    assert.deepEqual(delegatedPermissions({ useDrafts: false, fromAddress: 'info@contoso.com' }), ['User.Read', 'Mail.Send', 'Mail.Send.Shared']);
    assert.deepEqual(delegatedPermissions({ useDrafts: true, fromAddress: ' ' }), ['User.Read', 'Mail.Send', 'Mail.ReadWrite']);
  });

  it('goes through the mailbox itself only with Mail.Send.Shared and another address than the account', () => {
    assert.equal(sharedMailbox(delegated, ['Mail.Send', 'mail.send.shared']), 'info@contoso.com');
    assert.equal(sharedMailbox(delegated, ['Mail.Send']), null, 'without the permission: /me with the From address');
    assert.equal(sharedMailbox({ ...delegated, fromAddress: 'Adele@Contoso.com' }, ['Mail.Send.Shared']), null, 'the account itself');
    assert.equal(sharedMailbox({ ...delegated, fromAddress: '' }, ['Mail.Send.Shared']), null);
    assert.equal(sharedMailbox({ ...delegated, mode: 'application' }, ['Mail.Send.Shared']), null);
  });
});
