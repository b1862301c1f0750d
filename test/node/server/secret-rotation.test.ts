/**
 * Secret rotation without downtime, against the sandbox cloud (its first app has two valid secrets):
 * a second secret is tried first and, once it works, replaces the old one (which is forgotten, with an
 * audit entry); a refused one leaves sending on the old secret and the configuration says why. And the
 * expiry reminders at 30, 14 and 3 days: in `/health` and once each as a warning in the log.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ConfigView, HealthView } from '../../../src/services/contract.js';
import { SECRET_EXPIRES_SOON } from '../../../src/server/mail/secret-reminders.js';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const TOKEN_PATH = /\/oauth2\/v2\.0\/token$/;
const DAY = 86_400_000;
/** The date whose midnight (UTC) is between `days` and `days + 1` days from now. */
const inDays = (days: number, now = Date.now()) => new Date(now + (days + 1) * DAY).toISOString().slice(0, 10);

describe('secret rotation (sandbox cloud)', () => {
  let sandbox: SandboxProcess;
  let server: TestServer;
  let base: Record<string, unknown>;
  let oldSecret: string;
  let newSecret: string;

  const tokenRequests = async () => (await sandbox.control.requests()).filter((request) => request.method === 'POST' && TOKEN_PATH.test(request.path)).length;
  const tokens = () => server.running.server.tokens;
  const view = async () => (await server.call<ConfigView>('GET', '/config')).json;
  const save = async (overrides: Record<string, unknown> = {}) => {
    const reply = await server.call<ConfigView>('PUT', '/config', { body: { ...base, ...overrides } });
    assert.equal(reply.status, 200, reply.text);
    return reply.json;
  };
  const storedSecret = async () => {
    const credential = await server.running.server.config.credential('default');
    return credential.kind === 'secret' ? credential.clientSecret : '';
  };

  before(async () => {
    sandbox = await startSandbox();
    server = await startTestServer({ sandboxOrigins: [sandbox.origin] });
    const app = sandbox.seed.apps[0];
    assert.ok(app.secrets.length >= 2, 'the seed gives the first app two secrets');
    oldSecret = app.secrets[0].value;
    newSecret = app.secrets[1].value;
    const sender = sandbox.seed.users.find((user) => user.tenantId === app.tenantId && user.kind === 'member')!.userPrincipalName;
    base = {
      mode: 'application',
      cloud: 'sandbox',
      tenantId: app.tenantId,
      clientId: app.clientId,
      clientSecret: oldSecret,
      secretExpiresAt: '2099-12-31',
      fromName: 'Timesheets',
      fromAddress: sender,
      saveToSentItems: true,
    };
  });
  after(async () => {
    const seen = server.seen.join('\n');
    await server?.close();
    await sandbox?.stop();
    assert.ok(!seen.includes(oldSecret) && !seen.includes(newSecret), 'a secret appeared in a response');
  });
  beforeEach(async () => {
    await sandbox.control.clearFaults();
  });

  it('tries the new secret, promotes it once it works and forgets the old one', async () => {
    const saved = await save({ nextClientSecret: newSecret, nextSecretExpiresAt: '2101-06-30' });
    assert.deepEqual(saved.nextSecret, { set: true, hint: `…${newSecret.slice(-3)}`, expiresAt: '2101-06-30', kind: 'secret', state: 'pending' });
    assert.equal(saved.secret.hint, `…${oldSecret.slice(-3)}`);

    const before = await tokenRequests();
    const token = await tokens().getAccessToken('default');
    assert.ok(token.scopes.includes('Mail.Send'));
    assert.equal(await tokenRequests(), before + 1, 'the new secret worked at the first request');

    const after = await view();
    assert.equal(after.nextSecret, undefined);
    assert.equal(after.secret.hint, `…${newSecret.slice(-3)}`);
    assert.equal(after.secretExpiresAt, '2101-06-30');
    assert.equal(after.connection.state, 'connected');
    assert.equal(await storedSecret(), newSecret);
    assert.equal(await server.running.server.store.getSecret('default', 'nextClientSecret'), null, 'the second slot is empty');
    const audit = (await server.call('GET', '/audit')).json as { items: Array<{ action: string; actor: string; fields: string[] }> };
    const rotation = audit.items.find((item) => item.action === 'secret.rotate');
    assert.ok(rotation, JSON.stringify(audit.items));
    assert.deepEqual(rotation.fields, ['clientSecret', 'secretExpiresAt', 'nextClientSecret.removed']);

    // The promoted secret's token is cached under the new settings: no further request.
    await tokens().getAccessToken('default');
    assert.equal(await tokenRequests(), before + 1);
  });

  it('keeps sending with the old secret when the new one is refused, and says why', async () => {
    await save({ clientSecret: oldSecret, nextClientSecret: 'Wr0ng~ThisIsNotAnySecretOfTheApp42', nextSecretExpiresAt: '2101-06-30' });
    const before = await tokenRequests();
    const token = await tokens().getAccessToken('default');
    assert.ok(token.accessToken);
    assert.equal(await tokenRequests(), before + 2, 'the new secret, refused, then the old one');

    const after = await view();
    assert.equal(after.secret.hint, `…${oldSecret.slice(-3)}`);
    assert.equal(await storedSecret(), oldSecret);
    assert.equal(after.nextSecret?.state, 'rejected');
    assert.match(after.nextSecret?.error?.code ?? '', /7000215/);
    assert.match(after.nextSecret?.error?.hint ?? '', /Value/);
    assert.equal(after.connection.state, 'connected', 'sending is not interrupted');

    // A refused secret is not tried again on every token.
    await tokens().getAccessToken('default', { forceRefresh: true });
    assert.equal(await tokenRequests(), before + 3);

    // Sending works meanwhile: a message through the outbox.
    const sent = await server.running.server.mail!.runtime!.sendAndWait({ to: [String(base.fromAddress)], subject: 'During a rotation', text: 'Still sending.' }, { timeoutMs: 20_000 });
    assert.equal(sent.status, 'sent', JSON.stringify(sent));

    // Removing it clears the state.
    const cleared = await save({ clientSecret: undefined, removeNextSecret: true });
    assert.equal(cleared.nextSecret, undefined);
  });

  it('rotates in delegated mode too: the refresh of the connected mailbox uses the new secret', async () => {
    const account = String(base.fromAddress);
    await save({ mode: 'delegated', clientSecret: oldSecret, fromAddress: account });
    await sandbox.control.session(account);
    const start = await fetch(`${server.running.apiUrl}/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'graph-mail' },
      body: JSON.stringify({ mode: 'redirect', returnTo: '/settings' }),
    });
    const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0]!;
    const { authorizeUrl } = (await start.json()) as { authorizeUrl: string };
    const authorize = await fetch(authorizeUrl, { redirect: 'manual' });
    const callback = await fetch(new URL(authorize.headers.get('location')!, authorizeUrl), { headers: { cookie }, redirect: 'manual' });
    assert.equal(callback.status, 303, await callback.text());
    assert.equal((await view()).connection.state, 'connected');

    // Connected, the credential stays editable: the second secret is saved beside the first.
    await save({ mode: 'delegated', clientSecret: undefined, fromAddress: account, nextClientSecret: newSecret, nextSecretExpiresAt: '2101-06-30' });
    const before = await tokenRequests();
    await tokens().getAccessToken('default', { forceRefresh: true });
    assert.equal(await tokenRequests(), before + 1);
    const after = await view();
    assert.equal(after.nextSecret, undefined);
    assert.equal(after.secret.hint, `…${newSecret.slice(-3)}`);
    assert.equal(after.connection.state, 'connected', 'the connection survives the rotation');
    assert.equal(await storedSecret(), newSecret);
    await server.call('POST', '/disconnect');
    await save({ clientSecret: oldSecret });
  });

  it('refuses a Secret ID pasted as the new secret, naming the field', async () => {
    const reply = await server.call('PUT', '/config', { body: { ...base, nextClientSecret: sandbox.seed.apps[0].secrets[1].id } });
    assert.equal(reply.status, 400);
    assert.deepEqual(
      reply.json.errors.map((error: { path: string }) => error.path),
      ['nextClientSecret'],
    );
    assert.match(reply.json.errors[0].message, /Secret ID/);
  });

  it('reminds at 30, 14 and 3 days before the expiry: in /health and once each in the log', async () => {
    const runtime = server.running.server.mail!.runtime!;
    const health = async () => (await server.call<HealthView>('GET', '/health')).json;
    const warnings = async () =>
      ((await server.call('GET', '/log/warnings')).json as { items: Array<{ code: string; message: string }> }).items.filter((item) => item.code === SECRET_EXPIRES_SOON);

    await save({ secretExpiresAt: inDays(45) });
    assert.equal((await health()).secretReminder, undefined);
    assert.equal(await runtime.secretReminders.runOnce(), null);

    const expectations: Array<[number, number]> = [
      [29, 30],
      [13, 14],
      [2, 3],
    ];
    for (const [days, threshold] of expectations) {
      const expiresAt = inDays(days);
      await save({ secretExpiresAt: expiresAt });
      const current = await health();
      assert.equal(current.secretReminder, threshold, `${days} days left`);
      assert.equal(current.secretExpiresInDays, days);
      const count = (await warnings()).length;
      assert.equal(await runtime.secretReminders.runOnce(), threshold);
      assert.equal(await runtime.secretReminders.runOnce(), null, 'written once');
      const written = await warnings();
      assert.equal(written.length, count + 1);
      assert.match(written[0]!.message, new RegExp(`expires on ${expiresAt}, in ${days} days`));
    }
  });
});
