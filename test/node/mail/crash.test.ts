/**
 * SECURITY.md 23: the outbox runs in a child process that is killed with SIGKILL at random moments
 * while it sends a batch, several times; after a last clean run, every message was delivered exactly
 * once (the sandbox's mailbox is the witness) and every row says sent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GraphMailer } from '../../../src/server/mail/graph-mailer.js';
import { Outbox } from '../../../src/server/mail/outbox.js';
import { SqliteMailStore } from '../../../src/server/mail/sqlite-store.js';
import type { Db } from '../../../src/server/mail/types.js';
import { openMailDb } from '../helpers/mail-db.js';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const CHILD = resolve(import.meta.dirname, '../helpers/mail-outbox-child.ts');
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** A tiny seeded generator, so that a failing run can be repeated with MAIL_CRASH_SEED. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function runChild(dir: string, origin: string, killAfterMs: number | null, until?: () => boolean): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: { ...process.env, MAIL_DIR: dir, SANDBOX_ORIGIN: origin },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  await new Promise<void>((ready, fail) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) ready();
    });
    child.once('exit', (code) => fail(new Error(`child exited early (${code}): ${output}`)));
  });
  if (killAfterMs !== null) {
    await sleep(killAfterMs);
  } else {
    const deadline = Date.now() + 90_000;
    while (!until!() && Date.now() < deadline) await sleep(100);
  }
  child.kill('SIGKILL');
  await exited;
}

describe('crash safety', { timeout: 180_000 }, () => {
  let sandbox: SandboxProcess;
  let dir: string;
  let db: Db;

  before(async () => {
    sandbox = await startSandbox();
    await sandbox.control.settings({ sendLagMs: 1000 });
    dir = mkdtempSync(join(tmpdir(), 'mail-crash-'));
    db = await openMailDb(dir);
  });
  after(async () => {
    db?.close();
    await sandbox?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing and sends nothing twice when killed at random points', async () => {
    const seed = Number(process.env.MAIL_CRASH_SEED ?? Date.now() % 100_000);
    const next = random(seed);
    const recipient = sandbox.seed.users[1].mail || sandbox.seed.users[1].userPrincipalName;
    const tokens = { getAccessToken: () => Promise.reject(new Error('this outbox only enqueues')) };
    const enqueuer = new Outbox(new SqliteMailStore(db), new GraphMailer(tokens), { getEffectiveConfig: () => null }, { dataDir: dir });
    const batch = `Crash ${randomUUID().slice(0, 8)}`;
    const subjects: string[] = [];
    for (let i = 0; i < 24; i += 1) {
      const subject = `${batch} #${i}`;
      subjects.push(subject);
      // A few carry attachments, one large enough for an upload session.
      const attachments =
        i === 3
          ? [{ name: 'big.bin', contentType: 'application/octet-stream', contentBase64: randomBytes(3 * 1024 * 1024 + 5).toString('base64') }]
          : i % 5 === 0
            ? [{ name: 'small.txt', contentType: 'text/plain', contentBase64: Buffer.from(`file ${i}`).toString('base64') }]
            : [];
      await enqueuer.enqueue({ to: [recipient], subject, text: `message ${i}` }, attachments);
    }

    const statuses = () => db.prepare("SELECT status, count(*) AS n FROM mail_outbox GROUP BY status").all() as Array<{ status: string; n: number }>;
    for (let round = 0; round < 6; round += 1) {
      await runChild(dir, sandbox.origin, 150 + Math.floor(next() * 900));
    }
    const finished = () => {
      const rows = statuses();
      return rows.every((row) => row.status === 'sent' || row.status === 'failed' || row.status === 'unknown');
    };
    await runChild(dir, sandbox.origin, null, finished);

    const rows = db.prepare('SELECT subject, status, error_json FROM mail_outbox').all() as Array<{ subject: string; status: string; error_json: string | null }>;
    assert.equal(rows.length, 24);
    const notSent = rows.filter((row) => row.status !== 'sent');
    assert.deepEqual(notSent, [], `seed ${seed}: every row is sent`);
    const mailbox = (await sandbox.control.mailbox(recipient)).filter((message) => message.subject.startsWith(batch));
    const perSubject = new Map<string, number>();
    for (const message of mailbox) perSubject.set(message.subject, (perSubject.get(message.subject) ?? 0) + 1);
    for (const subject of subjects) assert.equal(perSubject.get(subject), 1, `seed ${seed}: ${subject} delivered ${perSubject.get(subject) ?? 0} times`);
  });
});
