/**
 * The assembled server with the sandbox cloud: the configuration saved through the API is what the
 * test route, the token service and the outbox use; a test send arrives in the sandbox mailbox, in both
 * modes; the canary secret is in no response, no log line and no database page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('assembled server (sandbox cloud)', () => {
  let sandbox: SandboxProcess;
  let server: TestServer;
  let secret: string;
  let base: Record<string, unknown>;

  before(async () => {
    sandbox = await startSandbox();
    server = await startTestServer({ sandboxOrigins: [sandbox.origin], mail: { serviceToken: 'service-token-for-tests-123456' } });
    const app = sandbox.seed.apps[0];
    secret = app.secrets[0].value;
    base = { cloud: 'sandbox', tenantId: app.tenantId, clientId: app.clientId, clientSecret: secret, fromName: 'Timesheets', saveToSentItems: true };
  });
  after(async () => {
    const responses = server.seen.join('\n');
    const logs = server.logs.join('\n');
    const bytes = server.storeBytes();
    await server?.close();
    await sandbox?.stop();
    assert.ok(!responses.includes(secret), 'the secret appeared in a response');
    assert.ok(!logs.includes(secret), 'the secret appeared in the log');
    assert.ok(!bytes.includes(secret), 'the secret is in the database in clear');
  });

  it('runs the test in application mode and the message arrives', async () => {
    const sender = sandbox.seed.users[0].userPrincipalName;
    const to = sandbox.seed.users[1].mail;
    const saved = await server.call('PUT', '/config', { body: { ...base, mode: 'application', fromAddress: sender } });
    assert.equal(saved.status, 200, saved.text);
    const report = await server.call('POST', '/test', { body: { to, subject: 'Application-mode test' } });
    assert.equal(report.status, 200, report.text);
    assert.deepEqual(report.json.steps.map((step: { id: string }) => step.id), ['config', 'tenant', 'token', 'permissions', 'mailbox', 'send']);
    assert.equal(report.json.ok, true, JSON.stringify(report.json.steps.filter((step: { status: string }) => step.status !== 'ok')));
    const delivered = (await sandbox.control.mailbox(to)).filter((message) => message.subject === 'Application-mode test');
    assert.equal(delivered.length, 1);
    assert.equal(delivered[0].from.toLowerCase(), sender.toLowerCase());
    const log = await server.call('GET', '/log');
    assert.ok(log.json.items.some((item: { subject: string; source: string; status: string }) => item.subject === 'Application-mode test' && item.source === 'test' && item.status === 'sent'));
  });

  it('sends through /send with the service token', async () => {
    const to = sandbox.seed.users[1].mail;
    const queued = await fetch(`${server.running.apiUrl}/send`, {
      method: 'POST',
      headers: { authorization: 'Bearer service-token-for-tests-123456', 'content-type': 'application/json' },
      body: JSON.stringify({ to: [to], subject: 'Through /send', text: 'hello' }),
    });
    assert.equal(queued.status, 202);
    const { id } = (await queued.json()) as { id: string };
    let status = '';
    for (let i = 0; i < 100 && status !== 'sent'; i += 1) {
      status = (await server.call('GET', `/log/${id}`)).json.status;
      if (status !== 'sent') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status, 'sent');
    assert.equal((await sandbox.control.mailbox(to)).filter((message) => message.subject === 'Through /send').length, 1);
  });

  it('reports a wrong secret at the token step (AADSTS7000215)', async () => {
    const sender = sandbox.seed.users[0].userPrincipalName;
    await server.call('PUT', '/config', { body: { ...base, mode: 'application', fromAddress: sender, clientSecret: 'Wr0ng~secret-value-that-is-long-enough' } });
    const report = await server.call('POST', '/test', { body: { to: sandbox.seed.users[1].mail } });
    assert.equal(report.json.ok, false);
    const token = report.json.steps.find((step: { id: string }) => step.id === 'token');
    assert.equal(token.status, 'failed');
    assert.equal(token.error.code, 'AADSTS7000215');
  });

  it('runs the test in delegated mode after a connect, and the message arrives', async () => {
    await server.call('DELETE', '/config');
    const saved = await server.call('PUT', '/config', { body: { ...base, mode: 'delegated', fromAddress: '' } });
    assert.equal(saved.status, 200, saved.text);
    const user = sandbox.seed.users[0];
    await sandbox.control.session(user.userPrincipalName);
    const start = await fetch(`${server.running.apiUrl}/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'graph-mail' },
      body: JSON.stringify({ mode: 'popup' }),
    });
    const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0];
    const { authorizeUrl, state } = (await start.json()) as { authorizeUrl: string; state: string };
    const authorize = await fetch(authorizeUrl, { redirect: 'manual' });
    const callback = await fetch(new URL(authorize.headers.get('location')!, authorizeUrl), { headers: { cookie } });
    assert.equal(callback.status, 200);
    const page = await callback.text();
    assert.ok(!/[?&]code=/.test(page), 'no code in the page');
    const status = await server.call('GET', `/connect/status?state=${state}`, { headers: { cookie } });
    assert.equal(status.json.state, 'connected', status.text);
    const to = sandbox.seed.users[1].mail;
    const report = await server.call('POST', '/test', { body: { to, subject: 'Delegated-mode test' } });
    assert.equal(report.json.ok, true, JSON.stringify(report.json.steps.filter((step: { status: string }) => step.status !== 'ok')));
    const delivered = (await sandbox.control.mailbox(to)).filter((message) => message.subject === 'Delegated-mode test');
    assert.equal(delivered.length, 1);
    assert.equal(delivered[0].from.toLowerCase(), (user.mail || user.userPrincipalName).toLowerCase());
    // The Clear of a connected configuration forgets the sign-in too.
    assert.equal((await server.call('DELETE', '/config')).status, 204);
    const view = (await server.call('GET', '/config')).json;
    assert.equal(view.connection.state, 'disconnected');
    assert.equal(view.locked, false);
  });
});
