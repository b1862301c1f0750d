/**
 * The Send As check after a delegated sign-in, against the sandbox cloud: an account that is the From
 * address is not checked; a shared mailbox the account has Send As on checks out and sends; one it has
 * no right on is reported on the connection, explained, and warned about in the log. The check is one
 * real test message from the mailbox to the signed-in account, delivered only when Send As holds.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ConfigView } from '../../../src/services/contract.js';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('Send As check after connecting (sandbox cloud)', () => {
  let sandbox: SandboxProcess;
  let server: TestServer;
  let adele: string;
  let shared: string;
  let noSendAs: string;
  let recipient: string;

  const view = async () => (await server.call<ConfigView>('GET', '/config')).json;
  const sendAsCalls = async () => (await sandbox.control.requests()).filter((request) => request.method === 'POST' && /\/sendMail$/.test(request.path)).length;

  const saveDelegated = async (fromAddress: string) => {
    const app = sandbox.seed.apps[0];
    const reply = await server.call('PUT', '/config', {
      body: { mode: 'delegated', cloud: 'sandbox', tenantId: app.tenantId, clientId: app.clientId, clientSecret: app.secrets[0].value, fromName: 'Contoso', fromAddress, saveToSentItems: false },
    });
    assert.equal(reply.status, 200, reply.text);
  };

  const connectAs = async (username: string) => {
    await sandbox.control.session(username);
    const start = await fetch(`${server.running.apiUrl}/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'graph-mail' },
      body: JSON.stringify({ mode: 'redirect', returnTo: '/settings' }),
    });
    assert.equal(start.status, 200, await start.clone().text());
    const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0]!;
    const { authorizeUrl } = (await start.json()) as { authorizeUrl: string };
    const authorize = await fetch(authorizeUrl, { redirect: 'manual' });
    assert.ok(authorize.status >= 300 && authorize.status < 400, `authorize answered ${authorize.status}`);
    const callback = await fetch(new URL(authorize.headers.get('location')!, authorizeUrl), { headers: { cookie }, redirect: 'manual' });
    assert.equal(callback.status, 303, await callback.text());
    assert.match(callback.headers.get('location') ?? '', /^\/settings\?connect=ok/);
  };

  before(async () => {
    sandbox = await startSandbox();
    server = await startTestServer({ sandboxOrigins: [sandbox.origin] });
    const users = sandbox.seed.users as Array<{ userPrincipalName: string; mail: string; kind: string; sendAs?: string[] }>;
    const granted = users.find((user) => user.kind === 'member' && user.sendAs?.length)!;
    adele = granted.userPrincipalName;
    shared = granted.sendAs![0]!;
    noSendAs = users.find((user) => user.kind === 'shared' && !users.some((other) => other.sendAs?.includes(user.mail)))!.mail;
    recipient = users.find((user) => user.kind === 'member' && user.userPrincipalName !== adele)!.mail;
  });
  after(async () => {
    await server?.close();
    await sandbox?.stop();
  });
  beforeEach(async () => {
    await sandbox.control.reset();
    const current = await view();
    if (current.connection.state !== 'disconnected') await server.call('POST', '/disconnect');
  });

  it('does not check when the account is the From address', async () => {
    await saveDelegated(adele);
    await connectAs(adele);
    const current = await view();
    assert.equal(current.connection.state, 'connected');
    assert.equal(current.connection.sendAs, undefined);
    assert.equal(await sendAsCalls(), 0, 'no Graph call for a check');
  });

  it('finds Send As on a shared mailbox with one test message to the account, and then sends from it', async () => {
    await saveDelegated(shared);
    await connectAs(adele);
    const current = await view();
    assert.equal(current.connection.sendAs?.mailbox, shared);
    assert.equal(current.connection.sendAs?.ok, true, JSON.stringify(current.connection.sendAs));
    assert.equal(current.connection.sendAs?.error, undefined);
    assert.equal(await sendAsCalls(), 1);
    const checks = (await sandbox.control.mailbox(adele)).filter((message) => message.subject.startsWith('Send As check'));
    assert.equal(checks.length, 1, 'one test message, to the signed-in account');
    assert.equal(checks[0].from, shared);
    assert.deepEqual(await sandbox.control.mailbox(shared), [], 'nothing to the shared mailbox itself');

    const sent = await server.running.server.mail!.runtime!.sendAndWait({ to: [recipient], subject: 'From the shared mailbox', text: 'Hello' }, { timeoutMs: 20_000 });
    assert.equal(sent.status, 'sent', JSON.stringify(sent));
    const [delivered] = (await sandbox.control.mailbox(recipient)).filter((message) => message.subject === 'From the shared mailbox');
    assert.equal(delivered?.from, shared);
    // Mail.Send.Shared was granted with the sign-in, so the message went through the shared mailbox
    // itself (its own draft and Sent Items), never through the account's /me.
    const mailPaths = (await sandbox.control.requests()).map((request) => request.path).filter((path) => /\/(messages|sendMail)(\/|$)/.test(path));
    assert.ok(mailPaths.length > 0);
    assert.deepEqual(
      mailPaths.filter((path) => !decodeURIComponent(path).includes(`/users/${shared}/`)),
      [],
      'every mail request addressed the shared mailbox',
    );
  });

  it('reports ErrorSendAsDenied on a mailbox without Send As, explained, on the connection and in the log', async () => {
    await saveDelegated(noSendAs);
    await connectAs(adele);
    const current = await view();
    assert.equal(current.connection.state, 'connected', 'the sign-in itself worked');
    const check = current.connection.sendAs;
    assert.equal(check?.mailbox, noSendAs);
    assert.equal(check?.ok, false);
    assert.equal(check?.error?.code, 'ErrorSendAsDenied');
    assert.equal(check?.error?.message, `The account ${adele} may not send as ${noSendAs}.`);
    assert.match(check?.error?.hint ?? '', /"Send As" \(or "Send on Behalf"\)/);
    assert.ok(check?.error?.requestId, 'the Graph request-id is kept');
    assert.equal((await sandbox.control.requests()).filter((request) => /\/sendMail$/.test(request.path)).length, 1);
    assert.deepEqual(
      (await sandbox.control.mailbox(adele)).filter((message) => message.subject.startsWith('Send As check') && message.from === noSendAs),
      [],
      'a refused check delivers nothing',
    );

    const warnings = (await server.call('GET', '/log/warnings')).json as { items: Array<{ code: string; message: string }> };
    assert.equal(warnings.items[0]?.code, 'ErrorSendAsDenied');

    // Another From address: the old answer says nothing about it.
    await saveDelegated(adele);
    assert.equal((await view()).connection.sendAs, undefined);
  });
});
