/**
 * One outbox sending for several configurations, against the sandbox cloud: each message goes out with
 * its own configuration's settings; a busy configuration never takes every worker; a configuration
 * that cannot send leaves its messages queued (no attempt spent, no worker spinning) and sends them
 * once it is saved.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { GraphMailer } from '../../../src/server/mail/graph-mailer.js';
import { Outbox, type OutboxOptions } from '../../../src/server/mail/outbox.js';
import { SqliteMailStore } from '../../../src/server/mail/sqlite-store.js';
import type { ClaimInput, ClaimResult } from '../../../src/server/mail/store.js';
import type { MailConfig, MailConfigs } from '../../../src/server/mail/types.js';
import { SandboxAppTokens, sandboxAppConfig } from '../helpers/mail-core-fakes.js';
import { tempStore, type TestStore } from '../helpers/mail-db.js';
import { FAST_OUTBOX } from '../helpers/mail-harness.js';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';

/** Counts the claims the workers make. */
class CountingStore extends SqliteMailStore {
  claims = 0;
  /** How many of the next claims fail as a lost database connection would. */
  failing = 0;
  override claim(input: ClaimInput): Promise<ClaimResult> {
    this.claims += 1;
    if (this.failing > 0) {
      this.failing -= 1;
      return Promise.reject(new Error('Connection terminated unexpectedly'));
    }
    return super.claim(input);
  }
  /** Whether reading a log entry fails (the live feed's read of a row it announces). */
  entriesFail = false;
  override entry(configId: string, id: string): ReturnType<SqliteMailStore['entry']> {
    return this.entriesFail ? Promise.reject(new Error('Connection terminated unexpectedly')) : super.entry(configId, id);
  }
}

describe('an outbox of several configurations (sandbox cloud)', () => {
  let sandbox: SandboxProcess;
  let store: TestStore | undefined;
  let outbox: Outbox | undefined;

  before(async () => {
    sandbox = await startSandbox();
  });
  after(async () => {
    await sandbox.stop();
  });
  afterEach(async () => {
    await outbox?.stop(2000);
    store?.close();
    outbox = undefined;
    store = undefined;
  });

  const members = () => sandbox.seed.users.filter((user) => user.kind === 'member').map((user) => user.userPrincipalName);

  async function outboxOf(settings: Record<string, MailConfig | null>, options: Omit<OutboxOptions, 'dataDir'>): Promise<{ outbox: Outbox; mailStore: CountingStore }> {
    store = await tempStore();
    const tokens = new SandboxAppTokens(sandbox);
    const configs: MailConfigs = {
      get: (configId) => ({ config: { getEffectiveConfig: () => settings[configId] ?? null }, tokens }),
      ids: async () => Object.keys(settings),
    };
    const mailStore = new CountingStore(store.db);
    outbox = new Outbox(mailStore, new GraphMailer(tokens, { sandboxOrigin: sandbox.origin }), configs, { dataDir: store.dataDir, ...FAST_OUTBOX, sendBudget: 'off', ...options });
    return { outbox, mailStore };
  }

  async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('sends each message from its own configuration\'s mailbox, and a busy configuration never holds every worker', async () => {
    await sandbox.control.settings({ graphLatencyMs: 100 });
    const [senderA, senderB, recipient] = members();
    const base = sandboxAppConfig(sandbox);
    const { outbox } = await outboxOf({ a: { ...base, fromAddress: senderA }, b: { ...base, fromAddress: senderB } }, { workers: 8 });
    const run = Math.random().toString(36).slice(2, 8);
    // A's sixteen are due first: eight workers taking the oldest due rows would all be on A.
    const a = [];
    for (let i = 0; i < 16; i += 1) a.push(await outbox.enqueue({ to: [recipient], subject: `${run} A${i}`, text: 'A' }, [], 'app', 'a'));
    const b = [];
    for (let i = 0; i < 4; i += 1) b.push(await outbox.enqueue({ to: [recipient], subject: `${run} B${i}`, text: 'B' }, [], 'app', 'b'));
    outbox.start();
    await until(async () => (await outbox.log.counts('a')).sent === 16 && (await outbox.log.counts('b')).sent === 4, 'every message sent');

    const delivered = (await sandbox.control.mailbox(recipient)).filter((message) => message.subject.startsWith(run));
    assert.equal(delivered.length, 20, 'each once');
    for (const message of delivered) assert.equal(message.from.toLowerCase(), (message.subject.includes(' A') ? senderA : senderB).toLowerCase(), `${message.subject} from its own configuration's mailbox`);
    assert.equal((await outbox.log.query('a', {})).items.length, 16, 'each log shows its own');
    assert.equal((await outbox.log.query('b', {})).items.length, 4);

    const finished = async (ids: string[]) => (await Promise.all(ids.map(async (id) => (await outbox.row(id))!.finished_at!))).sort((x, y) => x - y);
    const [finishedA, finishedB] = [await finished(a), await finished(b)];
    // At most four of A's at a time, even as all eight workers start together: B's four went out beside
    // A's first four, not after them.
    assert.ok(finishedB[3] < finishedA[4], `B's last (${finishedB[3]}) before A's fifth (${finishedA[4]})`);
    await sandbox.control.settings({ graphLatencyMs: 0 });
  });

  it('keeps every worker through claims that fail, and sends once the database answers again', async () => {
    const [sender, recipient] = members();
    const { outbox, mailStore } = await outboxOf({ a: { ...sandboxAppConfig(sandbox), fromAddress: sender } }, { workers: 2, pollMs: 100 });
    const ids = [];
    for (let i = 0; i < 3; i += 1) ids.push(await outbox.enqueue({ to: [recipient], subject: `Outage ${i}`, text: 'Later' }, [], 'app', 'a'));
    // More failures than workers: a worker whose claim threw would be gone for good.
    mailStore.failing = 6;
    outbox.start();
    await until(async () => (await outbox.log.counts('a')).sent === 3, 'the messages sent after the outage', 10_000);
    assert.equal(mailStore.failing, 0, 'every failing claim was made');
  });

  it('sends a message whose live-feed notice could not be read', async () => {
    const [sender, recipient] = members();
    const { outbox, mailStore } = await outboxOf({ a: { ...sandboxAppConfig(sandbox), fromAddress: sender } }, { workers: 1, pollMs: 100 });
    const stop = outbox.onChange(() => undefined, 'a');
    try {
      const id = await outbox.enqueue({ to: [recipient], subject: 'Unannounced', text: 'Still sent' }, [], 'app', 'a');
      mailStore.entriesFail = true;
      outbox.start();
      await until(async () => (await outbox.row(id))!.status === 'sent', 'the message sent', 10_000);
      assert.equal((await outbox.row(id))!.attempts, 1, 'in one attempt');
    } finally {
      mailStore.entriesFail = false;
      stop();
    }
  });

  it('leaves a configuration that cannot send alone without spinning, and sends its messages once it is saved', async () => {
    const [sender, recipient] = members();
    const settings: Record<string, MailConfig | null> = { paused: null };
    // A pause far longer than the test: only the save can end it.
    const { outbox, mailStore } = await outboxOf(settings, { workers: 4, pollMs: 100, pausedRecheckMs: 120_000 });
    const ids = [];
    for (let i = 0; i < 5; i += 1) ids.push(await outbox.enqueue({ to: [recipient], subject: `Paused ${i}`, text: 'Later' }, [], 'app', 'paused'));
    outbox.start();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Four workers polling every 100 ms make about 40 claims a second; a worker that slept only until
    // the paused rows' due time would make hundreds.
    assert.ok(mailStore.claims < 80, `${mailStore.claims} claims in a second`);
    for (const id of ids) {
      const row = (await outbox.row(id))!;
      assert.equal(row.status, 'queued', 'still queued');
      assert.equal(row.attempts, 0, 'no attempt spent');
    }

    settings.paused = { ...sandboxAppConfig(sandbox), fromAddress: sender };
    await outbox.resume('paused');
    await until(async () => (await outbox.log.counts('paused')).sent === 5, 'the paused messages sent', 10_000);
    for (const id of ids) assert.equal((await outbox.log.detail('paused', id))!.history.length, 1, 'one attempt each');
  });
});
