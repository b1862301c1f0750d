/**
 * The send budget against the sandbox cloud: a burst over the per-minute budget is paced (queued, then
 * sent, never failed, never more than the budget in any minute), the rolling day's recipients are
 * counted and shown on the log page, and `off` sends at once. The outbox runs on an injected clock, so
 * a minute and a day pass in a test of seconds.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { LogPage } from '../../../src/services/contract.js';
import { mailOptionsFromEnv } from '../../../src/server/mail/runtime.js';
import { budgetAddress, budgetMailbox, DAY, MINUTE, parseSendBudget } from '../../../src/server/mail/send-budget.js';
import { SandboxAppTokens, sandboxAppConfig } from '../helpers/mail-core-fakes.js';
import { SettableConfig, startMailApp, type MailApp } from '../helpers/mail-app.js';
import { tempStore, type TestStore } from '../helpers/mail-db.js';
import { FAST_OUTBOX, startHarness, type Harness } from '../helpers/mail-harness.js';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';
import { DEFAULT_CONFIG_ID } from '../../../src/server/store/types.js';

/** A clock that moves only when the test says so. */
function testClock(start = Date.now()) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('GRAPH_MAIL_SEND_BUDGET', () => {
  it('reads off, per-minute/per-day, and names the variable on anything else', () => {
    assert.equal(parseSendBudget(undefined), undefined);
    assert.equal(parseSendBudget('off'), 'off');
    assert.deepEqual(parseSendBudget(' 30 / 10000 '), { messagesPerMinute: 30, recipientsPerDay: 10_000 });
    assert.deepEqual(mailOptionsFromEnv({ GRAPH_MAIL_SEND_BUDGET: 'off' }).outbox?.sendBudget, 'off');
    for (const bad of ['30', '0/100', 'fast', '30/ten']) {
      assert.throws(() => parseSendBudget(bad), /GRAPH_MAIL_SEND_BUDGET must be "off" or "<messages a minute>\/<recipients a day>"/, bad);
    }
  });
});

describe('the budget\'s mailbox key', () => {
  const b = { cloud: 'global', tenantId: 'B-Tenant.example', fromAddress: 'CEO@b.example' };
  it('is shared by configurations of one tenant sending from one mailbox, and by no other tenant', () => {
    assert.equal(budgetMailbox(b, 'b1'), budgetMailbox({ ...b, fromAddress: ' ceo@B.example ' }, 'b2'), 'one mailbox, one budget');
    assert.equal(budgetMailbox({ cloud: 'global', tenantId: 'b-tenant.example', account: 'ceo@b.example' }, 'b3'), budgetMailbox(b, 'b1'), 'the connected account when there is no From');
    // A customer who types another tenant's address as From cannot spend that mailbox's budget.
    assert.notEqual(budgetMailbox({ ...b, tenantId: 'a-tenant.example' }, 'a'), budgetMailbox(b, 'b1'));
    assert.notEqual(budgetMailbox({ ...b, cloud: 'usgov' }, 'a'), budgetMailbox(b, 'b1'));
    assert.equal(budgetMailbox({ cloud: 'global', tenantId: 't' }, 'c'), 'me:c', 'an account not known yet: the configuration\'s own');
    assert.equal(budgetAddress(budgetMailbox(b, 'b1')), 'ceo@b.example');
    assert.equal(budgetAddress('me:c'), null);
  });
});

describe('the send budget (sandbox)', { timeout: 120_000 }, () => {
  let sandbox: SandboxProcess;
  let harness: Harness | undefined;
  let recipients: string[];

  before(async () => {
    sandbox = await startSandbox();
    recipients = sandbox.seed.users.map((user) => user.mail).filter((mail) => mail.endsWith('contoso.onmicrosoft.com'));
  });
  after(async () => {
    await sandbox?.stop();
  });
  beforeEach(async () => {
    await sandbox.control.reset();
  });
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  const delivered = async (tag: string) => (await sandbox.control.mailbox(recipients[1]!)).filter((message) => message.subject.startsWith(tag));

  it('paces a burst over the per-minute budget: queued, then sent, never failed, never more than the budget in a minute', async () => {
    const clock = testClock();
    harness = await startHarness(sandbox, { outbox: { sendBudget: { messagesPerMinute: 3, recipientsPerDay: 10_000 }, now: clock.now } });
    const { outbox } = harness;
    const tag = `Burst ${randomUUID().slice(0, 8)}`;
    const ids: string[] = [];
    for (let i = 0; i < 8; i += 1) ids.push(await outbox.enqueue({ to: [recipients[1]!], subject: `${tag} ${i}`, text: 'Paced' }));
    const statuses = () => Promise.all(ids.map(async (id) => (await outbox.log.entry(DEFAULT_CONFIG_ID, id))!.status));
    const sentCount = async () => (await statuses()).filter((status) => status === 'sent').length;

    await until('three sent', async () => (await sentCount()) === 3);
    // The workers keep polling; the budget keeps the rest queued, with their next attempt a minute on.
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.deepEqual(await statuses(), ['sent', 'sent', 'sent', 'queued', 'queued', 'queued', 'queued', 'queued']);
    for (const id of ids.slice(3)) {
      const row = (await outbox.row(id))!;
      assert.equal(row.attempts, 0, 'a message over budget is not attempted');
      assert.ok(row.next_attempt_at >= clock.now() + MINUTE - 1 && row.next_attempt_at <= clock.now() + MINUTE, `next attempt a minute on: ${row.next_attempt_at - clock.now()}`);
    }
    assert.equal((await delivered(tag)).length, 3);

    clock.advance(MINUTE);
    outbox.wake();
    await until('six sent', async () => (await sentCount()) === 6);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(await sentCount(), 6, 'no more than three in the second minute');

    clock.advance(MINUTE);
    outbox.wake();
    await until('all sent', async () => (await sentCount()) === 8);
    assert.ok(!(await statuses()).includes('failed'));
    assert.equal((await delivered(tag)).length, 8);

    // Every send request, by the outbox's clock: never more than three within any minute.
    const sends = (harness.store.db.prepare("SELECT at FROM mail_attempts WHERE outcome = 'sent' ORDER BY at").all() as Array<{ at: number }>).map((row) => row.at);
    assert.equal(sends.length, 8);
    for (let i = 3; i < sends.length; i += 1) assert.ok(sends[i]! - sends[i - 3]! >= MINUTE, `sends ${i - 3} and ${i} within a minute`);
  });

  it('gives the budget back when an attempt did not ask Graph to send', async () => {
    // The real clock: the retries need it to move, and the whole test takes far less than a minute.
    await sandbox.control.fault({ match: { method: 'POST', path: '/messages$' }, status: 503, times: 4 });
    harness = await startHarness(sandbox, { outbox: { sendBudget: { messagesPerMinute: 2, recipientsPerDay: 10_000 }, backoffBaseMs: 1, retryMaxDelayMs: 1 } });
    const tag = `Given back ${randomUUID().slice(0, 8)}`;
    const ids = [await harness.outbox.enqueue({ to: [recipients[1]!], subject: `${tag} a`, text: 'A' }), await harness.outbox.enqueue({ to: [recipients[1]!], subject: `${tag} b`, text: 'B' })];
    // Each 503 on creating the draft ends an attempt before any send: four failed attempts and two
    // sends within one minute, which a budget of two allows only if the failed ones gave theirs back.
    for (const id of ids) assert.equal((await harness.settle(id)).status, 'sent');
    const reserved = (harness.store.db.prepare('SELECT count(*) AS n FROM mail_send_budget').get() as { n: number }).n;
    assert.equal(reserved, 2);
  });

  it('gives the budget back when Graph refuses the send for certain', async () => {
    const clock = testClock();
    await sandbox.control.fault({ match: { method: 'POST', path: '/send$' }, status: 403, times: 1 });
    harness = await startHarness(sandbox, { outbox: { sendBudget: { messagesPerMinute: 1, recipientsPerDay: 10_000 }, now: clock.now } });
    const tag = `Refused ${randomUUID().slice(0, 8)}`;
    const refused = await harness.outbox.enqueue({ to: [recipients[1]!], subject: `${tag} a`, text: 'A' });
    assert.equal((await harness.settle(refused)).status, 'failed');
    // The clock stands still: a second message fits the minute's one send only if the refused one gave it back.
    const next = await harness.outbox.enqueue({ to: [recipients[1]!], subject: `${tag} b`, text: 'B' });
    await until('the second sent', async () => (await harness!.outbox.log.entry(DEFAULT_CONFIG_ID, next))?.status === 'sent');
    assert.equal((await delivered(tag)).length, 1);
  });

  describe('the day\'s recipients, on the log page', () => {
    let store: TestStore;
    let app: MailApp;
    const clock = testClock();

    before(async () => {
      store = await tempStore();
      app = await startMailApp(store, {
        tokens: new SandboxAppTokens(sandbox),
        config: new SettableConfig(sandboxAppConfig(sandbox)),
        sandboxOrigin: sandbox.origin,
        outbox: { ...FAST_OUTBOX, sendBudget: { messagesPerMinute: 30, recipientsPerDay: 5 }, now: clock.now },
        start: true,
      });
    });
    after(async () => {
      await app?.close();
      store?.close();
    });

    const page = async () => (await (await fetch(`${app.url}/log`)).json()) as LogPage;

    it('counts recipients over a rolling day and keeps a message that does not fit queued until it does', async () => {
      assert.deepEqual((await page()).budget, { messagesPerMinute: 30, recipientsPerDay: 5, recipientsLeftToday: 5 });
      const runtime = app.module.runtime!;
      const tag = `Daily ${randomUUID().slice(0, 8)}`;
      const two = { to: [recipients[1]!], cc: [recipients[0]!], text: 'Two recipients' };
      const first = (await runtime.api.send({ ...two, subject: `${tag} 1` })).id;
      await until('the first sent', async () => (await runtime.outbox.log.entry(DEFAULT_CONFIG_ID, first))?.status === 'sent');
      clock.advance(3_600_000);
      const second = (await runtime.api.send({ ...two, subject: `${tag} 2` })).id;
      await until('the second sent', async () => (await runtime.outbox.log.entry(DEFAULT_CONFIG_ID, second))?.status === 'sent');
      assert.equal((await page()).budget?.recipientsLeftToday, 1);

      const third = (await runtime.api.send({ ...two, subject: `${tag} 3` })).id;
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal((await runtime.outbox.log.entry(DEFAULT_CONFIG_ID, third))?.status, 'queued');
      // It fits once the first message's two recipients are a day old.
      const firstAt = (store.db.prepare("SELECT min(at) AS at FROM mail_send_budget").get() as { at: number }).at;
      assert.equal((await runtime.outbox.row(third))!.next_attempt_at, firstAt + DAY);
      // The log says why it waits, once however often the workers look.
      const spent = (await runtime.outbox.log.warnings(DEFAULT_CONFIG_ID)).filter((warning) => warning.code === 'SEND_BUDGET_SPENT');
      assert.equal(spent.length, 1, JSON.stringify(spent));
      assert.match(spent[0]!.message, new RegExp(`until ${new Date(firstAt + DAY).toISOString()}`));

      clock.advance(DAY - 3_600_000);
      runtime.outbox.wake();
      await until('the third sent', async () => (await runtime.outbox.log.entry(DEFAULT_CONFIG_ID, third))?.status === 'sent');
      // The first message's recipients are a day old; the second's and third's count.
      assert.equal((await page()).budget?.recipientsLeftToday, 1);
      assert.equal((await delivered(tag)).length, 3);
    });
  });

  it('off: a burst goes out at once, and the log page shows no budget', async () => {
    const clock = testClock();
    harness = await startHarness(sandbox, { outbox: { sendBudget: 'off', now: clock.now } });
    const tag = `Unpaced ${randomUUID().slice(0, 8)}`;
    const ids: string[] = [];
    for (let i = 0; i < 40; i += 1) ids.push(await harness.outbox.enqueue({ to: [recipients[1]!], subject: `${tag} ${i}`, text: 'At once' }));
    for (const id of ids) assert.equal((await harness.settle(id)).status, 'sent');
    assert.equal(harness.outbox.budget, null);
    assert.equal((await delivered(tag)).length, 40);

    const store = await tempStore();
    const app = await startMailApp(store, { config: new SettableConfig(sandboxAppConfig(sandbox)), outbox: { sendBudget: 'off' } });
    try {
      const body = (await (await fetch(`${app.url}/log`)).json()) as LogPage;
      assert.equal(body.budget, undefined);
    } finally {
      await app.close();
      store.close();
    }
  });
});
