/**
 * Two outboxes on one data folder, as two server processes with GRAPH_MAIL_INSTANCES=several: each
 * message is sent once, and the per-mailbox limit of 4 requests holds across both (counted by the
 * sandbox, which answers a fifth concurrent request with 429 and records the most it saw at once).
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphMailer } from '../../../src/server/mail/graph-mailer.js';
import { Outbox } from '../../../src/server/mail/outbox.js';
import { SqliteMailboxSlots } from '../../../src/server/mail/shared-slots.js';
import { SqliteMailStore } from '../../../src/server/mail/sqlite-store.js';
import type { Db } from '../../../src/server/mail/types.js';
import { SandboxAppTokens, sandboxAppConfig } from '../helpers/mail-core-fakes.js';
import { openMailDb } from '../helpers/mail-db.js';
import { FAST_OUTBOX } from '../helpers/mail-harness.js';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';

type Stats = { mailboxes: Record<string, { maxInFlight: number; throttled: number; requests: number }> };

// The slots themselves, on both engines: ./slots-engines.test.ts.
describe('two outboxes on one data folder (sandbox cloud)', () => {
  let sandbox: SandboxProcess;
  let dir: string;
  const dbs: Db[] = [];
  const outboxes: Outbox[] = [];
  const slots: SqliteMailboxSlots[] = [];

  before(async () => {
    sandbox = await startSandbox();
  });
  afterEach(async () => {
    await Promise.all(outboxes.splice(0).map((outbox) => outbox.stop(2000)));
    for (const db of dbs.splice(0)) db.close();
    for (const slot of slots.splice(0)) slot.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  after(async () => {
    await sandbox?.stop();
  });

  /** Two outboxes with 4 workers each on one folder; `shared` gives them the shared slots. */
  async function twoInstances(shared: boolean): Promise<Outbox[]> {
    dir = mkdtempSync(join(tmpdir(), 'gm-instances-'));
    const config = sandboxAppConfig(sandbox);
    for (let i = 0; i < 2; i += 1) {
      const db = await openMailDb(dir);
      dbs.push(db);
      const sharedSlots = shared ? new SqliteMailboxSlots(join(dir, 'mailbox-slots.sqlite')) : undefined;
      if (sharedSlots) slots.push(sharedSlots);
      const mailer = new GraphMailer(new SandboxAppTokens(sandbox), { sandboxOrigin: sandbox.origin, sharedSlots });
      const outbox = new Outbox(new SqliteMailStore(db), mailer, { getEffectiveConfig: () => config }, { ...FAST_OUTBOX, dataDir: dir, singleInstance: false, sendBudget: 'off' });
      outboxes.push(outbox);
    }
    return outboxes;
  }

  async function sendThrough(pair: Outbox[], count: number): Promise<{ subjects: string[]; sender: string }> {
    const sender = sandboxAppConfig(sandbox).fromAddress;
    const recipient = sandbox.seed.users.find((user) => user.kind === 'member' && user.userPrincipalName !== sender)!.userPrincipalName;
    const run = Math.random().toString(36).slice(2, 8);
    const subjects = Array.from({ length: count }, (_, i) => `Two instances ${run} #${i}`);
    // Queued through both, before either starts: both have plenty to claim at once.
    await Promise.all(subjects.map((subject, i) => pair[i % 2].enqueue({ to: [recipient], subject, text: 'Hello' })));
    for (const outbox of pair) outbox.start();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const delivered = (await sandbox.control.mailbox(recipient)).filter((message) => message.subject.startsWith(`Two instances ${run}`));
      if (delivered.length >= count) break;
      if (Date.now() > deadline) throw new Error(`only ${delivered.length} of ${count} delivered`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // A moment for a second delivery of anything, which must not come.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const delivered = (await sandbox.control.mailbox(recipient)).filter((message) => message.subject.startsWith(`Two instances ${run}`)).map((message) => message.subject);
    return { subjects: delivered, sender };
  }

  const busiest = async () => {
    const stats = await sandbox.control.call<Stats>('GET', '/sandbox/stats');
    return Object.values(stats.mailboxes).reduce((most, mailbox) => ({ maxInFlight: Math.max(most.maxInFlight, mailbox.maxInFlight), throttled: most.throttled + mailbox.throttled }), { maxInFlight: 0, throttled: 0 });
  };

  it('keeps the mailbox at 4 requests in flight across both, and sends each message once', async () => {
    await sandbox.control.reset();
    await sandbox.control.settings({ graphLatencyMs: 60 });
    const { subjects } = await sendThrough(await twoInstances(true), 24);
    assert.equal(subjects.length, 24);
    assert.equal(new Set(subjects).size, 24, 'each message once');
    const seen = await busiest();
    assert.ok(seen.maxInFlight <= 4, `at most 4 in flight on the mailbox, saw ${seen.maxInFlight}`);
    assert.equal(seen.throttled, 0, 'no 429 from the mailbox');
  });

  it('without the shared slots, two processes go past the limit (what the slots prevent)', async () => {
    await sandbox.control.reset();
    await sandbox.control.settings({ graphLatencyMs: 60 });
    const { subjects } = await sendThrough(await twoInstances(false), 24);
    assert.equal(new Set(subjects).size, 24, 'still each message once: the outbox waits out the 429s');
    const seen = await busiest();
    assert.ok(seen.maxInFlight > 4 || seen.throttled > 0, `two processes reached past 4 (max ${seen.maxInFlight}, ${seen.throttled} throttled)`);
  });
});
