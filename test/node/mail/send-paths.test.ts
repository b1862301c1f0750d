/**
 * The Graph send paths against the sandbox cloud in its own process: draft with attachments, upload
 * sessions, sendMail, throttling, a 503 storm, accept-then-504 on both paths, upload resume, and the
 * per-mailbox concurrency limit.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SandboxAppTokens } from '../helpers/mail-core-fakes.js';
import { startHarness, type Harness } from '../helpers/mail-harness.js';
import { startSandbox, type SandboxProcess, type RecordedRequest } from '../helpers/mail-sandbox.js';
import { DEFAULT_CONFIG_ID } from '../../../src/server/store/types.js';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const CHUNK = 3 * 320 * 1024;
const SEND_LAG_MS = 1000;

describe('sending through Graph (sandbox)', { timeout: 120_000 }, () => {
  let sandbox: SandboxProcess;
  let files: string;
  let harness: Harness | undefined;
  let recipient: string;

  before(async () => {
    sandbox = await startSandbox();
    files = mkdtempSync(join(tmpdir(), 'mail-files-'));
    recipient = sandbox.seed.users[1].mail || sandbox.seed.users[1].userPrincipalName;
  });
  after(async () => {
    await sandbox?.stop();
    if (files) rmSync(files, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await sandbox.control.reset();
    await sandbox.control.settings({ sendLagMs: SEND_LAG_MS });
  });
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  const delivered = async (subject: string) => (await sandbox.control.mailbox(recipient)).filter((message) => message.subject === subject);
  const requests = async (method: string, path: RegExp) => (await sandbox.control.requests()).filter((r: RecordedRequest) => r.method === method && path.test(r.path));
  const subject = (label: string) => `${label} ${randomUUID().slice(0, 8)}`;

  it('sends through a draft with immutable ids and small attachments inline', async () => {
    harness = await startHarness(sandbox);
    const small = randomBytes(20_000);
    const onDisk = join(files, 'report.csv');
    const csv = Buffer.from('a,b\n1,2\n');
    writeFileSync(onDisk, csv);
    const title = subject('Draft path');
    const id = await harness.outbox.enqueue({ to: [recipient], subject: title, text: 'Hello' }, [
      { name: 'data.bin', contentType: 'application/octet-stream', contentBase64: small.toString('base64') },
      { name: 'report.csv', contentType: 'text/csv', path: onDisk },
    ]);
    const entry = await harness.settle(id);
    assert.equal(entry.status, 'sent', JSON.stringify(entry));
    assert.equal(entry.history.length, 1);
    assert.equal(entry.history[0].outcome, 'sent');
    assert.match(entry.history[0].clientRequestId ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(entry.history[0].requestId, 'the Graph request-id is recorded');

    const [message] = await delivered(title);
    assert.ok(message, 'delivered');
    assert.deepEqual(
      message.attachments.map((a) => [a.name, a.size, a.sha256]).sort(),
      [
        ['data.bin', small.length, sha(small)],
        ['report.csv', csv.length, sha(csv)],
      ].sort(),
    );
    const drafts = await requests('POST', /\/v1\.0\/users\/[^/]+\/messages$/);
    assert.equal(drafts.length, 1);
    for (const header of ['prefer', 'client-request-id', 'authorization']) assert.ok(drafts[0].headers.includes(header), header);
    assert.equal((await requests('POST', /\/attachments$/)).length, 2);
    assert.equal((await requests('POST', /\/send$/)).length, 1);
    assert.equal((await requests('POST', /sendMail$/)).length, 0);
    assert.ok(!existsSync(join(harness.store.dataDir, 'attachments', id)), 'files go once Graph has the message');
  });

  it('uploads a 10 MB attachment through an upload session, in order, without Authorization', async () => {
    harness = await startHarness(sandbox, { graph: { uploadChunkBytes: CHUNK } });
    const big = randomBytes(10 * 1024 * 1024);
    const path = join(files, 'big.bin');
    writeFileSync(path, big);
    const title = subject('Large attachment');
    const id = await harness.outbox.enqueue({ to: [recipient], subject: title, text: 'Big one' }, [{ name: 'big.bin', contentType: 'application/octet-stream', path }]);
    const entry = await harness.settle(id);
    assert.equal(entry.status, 'sent', JSON.stringify(entry));
    const [message] = await delivered(title);
    assert.equal(message.attachments[0].sha256, sha(big));
    assert.equal(message.attachments[0].size, big.length);
    assert.equal((await requests('POST', /createUploadSession$/)).length, 1);
    const puts = await requests('PUT', /.*/);
    assert.equal(puts.length, Math.ceil(big.length / CHUNK));
    assert.ok(puts.every((put) => !put.headers.includes('authorization')), 'no Authorization header on upload PUTs');
    assert.ok(puts.every((put) => put.status < 300));
  });

  it('resumes an upload after a dropped chunk', async () => {
    harness = await startHarness(sandbox, { graph: { uploadChunkBytes: CHUNK } });
    const big = randomBytes(5 * 1024 * 1024 + 777);
    const path = join(files, 'resume.bin');
    writeFileSync(path, big);
    // The third chunk reaches the session, but its answer is lost: the client must not resend blindly
    // from the wrong offset, nor start over.
    let put = 0;
    await sandbox.control.fault({ match: { method: 'PUT', path: '.' }, status: 503, afterDelivery: true, times: 1, skip: 2 });
    const title = subject('Resume');
    const id = await harness.outbox.enqueue({ to: [recipient], subject: title, text: 'x' }, [{ name: 'resume.bin', contentType: 'application/octet-stream', path }]);
    const entry = await harness.settle(id);
    assert.equal(entry.status, 'sent', JSON.stringify(entry));
    assert.equal(entry.history.length, 1, 'resumed within the attempt');
    const [message] = await delivered(title);
    assert.equal(message.attachments[0].sha256, sha(big));
    put = (await requests('PUT', /.*/)).length;
    assert.ok(put > Math.ceil(big.length / CHUNK), 'a chunk was sent again');
    assert.equal((await requests('POST', /createUploadSession$/)).length, 1, 'the same session was resumed');
  });

  it('sends with sendMail when only Mail.Send is granted, honouring saveToSentItems', async () => {
    harness = await startHarness(sandbox, { tokens: new SandboxAppTokens(sandbox, { dropScopes: ['Mail.ReadWrite'] }), config: { saveToSentItems: false } });
    const title = subject('SendMail path');
    const id = await harness.outbox.enqueue({ to: [recipient], subject: title, html: '<p>Hi</p>' }, [{ name: 'n.txt', contentType: 'text/plain', contentBase64: 'aGVsbG8=' }]);
    const entry = await harness.settle(id);
    assert.equal(entry.status, 'sent', JSON.stringify(entry));
    const [message] = await delivered(title);
    assert.equal(message.saveToSentItems, false);
    assert.equal(message.attachments[0].name, 'n.txt');
    assert.equal((await requests('POST', /\/users\/[^/]+\/sendMail$/)).length, 1);
    assert.equal((await requests('POST', /\/messages$/)).length, 0, 'no draft');
  });

  it('waits for Retry-After after a 429, then sends', async () => {
    harness = await startHarness(sandbox);
    await sandbox.control.fault({
      match: { method: 'POST', path: '/messages$' },
      status: 429,
      headers: { 'Retry-After': '1' },
      body: { error: { code: 'ApplicationThrottled', message: 'Too many requests' } },
      times: 1,
    });
    const id = await harness.outbox.enqueue({ to: [recipient], subject: subject('Throttled'), text: 'x' });
    const entry = await harness.settle(id);
    assert.equal(entry.status, 'sent', JSON.stringify(entry));
    assert.deepEqual(entry.history.map((attempt) => [attempt.outcome, attempt.httpStatus]), [
      ['retry', 429],
      ['sent', 202],
    ]);
    assert.equal(entry.history[0].error?.code, 'ApplicationThrottled');
    const gap = Date.parse(entry.history[1].at) - Date.parse(entry.history[0].at) - entry.history[0].ms;
    assert.ok(gap >= 950, `waited ${gap} ms`);
  });

  it('gives up on a 503 storm after the attempt budget, without a tight loop', async () => {
    harness = await startHarness(sandbox, { outbox: { maxAttempts: 4, backoffBaseMs: 200 } });
    await sandbox.control.fault({ match: { method: 'POST', path: '/messages$' }, status: 503, times: 1000 });
    const started = Date.now();
    const id = await harness.outbox.enqueue({ to: [recipient], subject: subject('Storm'), text: 'x' });
    const entry = await harness.settle(id);
    assert.equal(entry.status, 'failed');
    assert.deepEqual(entry.history.map((attempt) => attempt.outcome), ['retry', 'retry', 'retry', 'failed']);
    assert.match(entry.error?.message ?? '', /after 4 attempts/);
    assert.equal((await requests('POST', /\/messages$/)).length, 4, 'one request per attempt');
    assert.ok(Date.now() - started < 15_000);
  });

  it('delivers exactly once on the draft path when the send is accepted and answered 504', async () => {
    harness = await startHarness(sandbox);
    await sandbox.control.fault({ match: { method: 'POST', path: '/send$' }, status: 504, afterDelivery: true, times: 1 });
    const title = subject('Accepted then 504');
    const id = await harness.outbox.enqueue({ to: [recipient], subject: title, text: 'once' });
    const entry = await harness.settle(id);
    assert.equal(entry.status, 'sent', JSON.stringify(entry));
    assert.equal(entry.history[0].httpStatus, 504);
    assert.equal(entry.history.at(-1)?.outcome, 'reconciled');
    // Past the grace period and the lag: still one delivery, one send request.
    await new Promise((resolve) => setTimeout(resolve, SEND_LAG_MS + 200));
    assert.equal((await delivered(title)).length, 1);
    assert.equal((await requests('POST', /\/send$/)).length, 1);
  });

  it('sends again on the draft path when a 504 send did not go through (still a draft after the grace period)', async () => {
    harness = await startHarness(sandbox);
    await sandbox.control.fault({ match: { method: 'POST', path: '/send$' }, status: 504, times: 1 });
    const title = subject('504 not delivered');
    const started = Date.now();
    const id = await harness.outbox.enqueue({ to: [recipient], subject: title, text: 'once' });
    const entry = await harness.settle(id);
    assert.equal(entry.status, 'sent', JSON.stringify(entry));
    assert.ok(Date.now() - started >= 3_000, 'the grace period was respected');
    assert.equal((await delivered(title)).length, 1);
    assert.equal((await requests('POST', /\/send$/)).length, 2);
  });

  it('ends unknown on the sendMail path when the send is accepted and answered 504, and never resends by itself', async () => {
    harness = await startHarness(sandbox, { tokens: new SandboxAppTokens(sandbox, { dropScopes: ['Mail.ReadWrite'] }) });
    await sandbox.control.fault({ match: { method: 'POST', path: 'sendMail$' }, status: 504, afterDelivery: true, times: 1 });
    const title = subject('SendMail 504');
    const id = await harness.outbox.enqueue({ to: [recipient], subject: title, text: 'at most once' });
    const entry = await harness.settle(id);
    assert.equal(entry.status, 'unknown');
    assert.equal(entry.error?.code, 'SEND_OUTCOME_UNKNOWN');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await harness.outbox.log.entry(DEFAULT_CONFIG_ID, id))?.status, 'unknown');
    assert.equal((await delivered(title)).length, 1);
    assert.equal((await requests('POST', /sendMail$/)).length, 1);

    // The admin decides: a retry from the log sends it again.
    assert.deepEqual(await harness.outbox.retry(id), { ok: true });
    assert.equal((await harness.settle(id)).status, 'sent');
    assert.equal((await delivered(title)).length, 2);
  });

  it('keeps at most 4 requests in flight per mailbox', async () => {
    harness = await startHarness(sandbox, { outbox: { workers: 10 } });
    const ids = [];
    for (let i = 0; i < 12; i += 1) ids.push(await harness.outbox.enqueue({ to: [recipient], subject: subject(`Burst ${i}`), text: 'x' }));
    const entries = await Promise.all(ids.map((id) => harness!.settle(id)));
    assert.ok(entries.every((entry) => entry.status === 'sent'));
    const throttled = (await sandbox.control.requests()).filter((request) => request.status === 429);
    assert.equal(throttled.length, 0, 'the sandbox never had to throttle');
    assert.ok(entries.every((entry) => entry.history.length === 1));
  });
});
