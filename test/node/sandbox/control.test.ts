/**
 * The control API's fixed shapes (DESIGN.md) and each fault form: status with body and headers,
 * method and path matching, `times`, `skip`, `delayMs`, `afterDelivery`, faults on the identity
 * platform, clearing and reset.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';
import { DEFAULT_SEED_PATH, aadCode, appToken, call, ids, jsonInit, token, type TokenAnswer } from './helpers.js';

describe('sandbox control API', { timeout: 60_000 }, () => {
  let sandbox: SandboxProcess;
  let app: string;
  let sender: string;
  let recipient: string;
  const control = (path: string, init?: RequestInit) => call(`${sandbox.origin}/sandbox${path}`, init);
  const sendMail = (subject: string, headers: Record<string, string> = {}) =>
    call(
      `${sandbox.origin}/v1.0/users/${sender}/sendMail`,
      jsonInit('POST', app, { message: { subject, toRecipients: [{ emailAddress: { address: recipient } }] } }, headers),
    );

  before(async () => {
    sandbox = await startSandbox();
    sender = sandbox.seed.users[0].id;
    recipient = sandbox.seed.users[1].mail;
  });
  after(async () => {
    await sandbox?.stop();
  });
  beforeEach(async () => {
    await sandbox.control.reset();
    app = await appToken(sandbox);
  });

  it('returns the seed as loaded', async () => {
    assert.deepEqual(await sandbox.control.seed(), JSON.parse(readFileSync(DEFAULT_SEED_PATH, 'utf8')));
    const [first] = sandbox.seed.apps;
    assert.ok(first.applicationPermissions.includes('Mail.ReadWrite'));
    assert.ok(first.redirectUris.includes('http://127.0.0.1/api/mail/connect/callback'));
    const [one, two] = sandbox.seed.users;
    assert.ok([one, two].every((user) => user.kind === 'member' && user.mail === user.userPrincipalName));
  });

  it('lists one mailbox entry per delivery, and none for an unknown address', async () => {
    await sendMail('First');
    await sendMail('Second');
    const messages = await sandbox.control.mailbox(recipient.toUpperCase());
    assert.deepEqual(messages.map((message) => message.subject), ['First', 'Second']);
    for (const message of messages) {
      for (const key of ['id', 'from', 'to', 'cc', 'bcc', 'subject', 'saveToSentItems', 'attachments', 'deliveredAt']) assert.ok(key in message, key);
    }
    assert.deepEqual(await sandbox.control.mailbox('nobody@example.invalid'), []);
  });

  it('records requests with their path as received, query and lowercase header names, never values', async () => {
    const secret = ids(sandbox).secret;
    await sandbox.control.reset();
    await token(sandbox, { grant_type: 'client_credentials', client_id: ids(sandbox).clientId, client_secret: secret, scope: `${sandbox.origin}/.default` });
    await call(`${sandbox.origin}/v1.0/users/${encodeURIComponent(sandbox.seed.users[0].userPrincipalName)}?$select=id`, jsonInit('GET', app, undefined, { 'X-Custom-Header': 'value-123' }));
    const answer = await control('/requests');
    assert.equal(answer.status, 200);
    assert.ok(!answer.text.includes(secret), 'no secret in the ledger');
    assert.ok(!answer.text.includes(app), 'no token in the ledger');
    assert.ok(!answer.text.includes('value-123'), 'no header values');
    const requests = (answer.json as { requests: Array<Record<string, unknown>> }).requests;
    assert.equal(requests.length, 2, 'control calls are not recorded');
    const [tokenRequest, lookup] = requests;
    assert.equal(tokenRequest.method, 'POST');
    assert.equal(tokenRequest.status, 200);
    assert.equal(lookup.path, `/v1.0/users/${encodeURIComponent(sandbox.seed.users[0].userPrincipalName)}`);
    assert.deepEqual(lookup.query, { $select: 'id' });
    assert.ok((lookup.headers as string[]).includes('authorization'));
    assert.ok((lookup.headers as string[]).includes('x-custom-header'));
    assert.ok((lookup.headers as string[]).every((name) => name === name.toLowerCase()));
    assert.ok(!Number.isNaN(Date.parse(String(lookup.at))));
  });

  describe('faults', () => {
    it('answers with the fault’s status, body and headers, for matching method and path, `times` times', async () => {
      const fault = await control('/faults', jsonInit('POST', null, { match: { method: 'POST', path: 'sendMail$' }, status: 503, body: { error: { code: 'Custom', message: 'm' } }, headers: { 'x-fault': 'yes' }, times: 1 }));
      assert.equal(fault.status, 201);
      const first = await sendMail('Faulted');
      assert.equal(first.status, 503);
      assert.deepEqual(first.json, { error: { code: 'Custom', message: 'm' } });
      assert.equal(first.headers.get('x-fault'), 'yes');
      assert.equal(first.headers.get('retry-after'), '1', 'Retry-After on 503');
      assert.ok(first.headers.get('request-id'));
      assert.equal((await sandbox.control.mailbox(recipient)).length, 0, 'the request did not take effect');
      assert.equal((await sendMail('Through')).status, 202, 'only once');
      const ledger = await sandbox.control.requests();
      assert.deepEqual(ledger.filter((entry) => entry.path.endsWith('/sendMail')).map((entry) => entry.status), [503, 202]);
    });

    it('makes up Graph’s envelope when the fault has no body, and leaves other methods alone', async () => {
      await sandbox.control.fault({ match: { method: 'GET', path: '^/v1\\.0/users/' }, status: 429 });
      const throttled = await call(`${sandbox.origin}/v1.0/users/${sender}`, jsonInit('GET', app));
      assert.equal(throttled.status, 429);
      assert.equal((throttled.json as { error: { code: string } }).error.code, 'TooManyRequests');
      assert.ok(throttled.headers.get('retry-after'));
      assert.equal((await sendMail('POST is not matched')).status, 202);
    });

    it('lets the request take effect, then replaces its answer (afterDelivery)', async () => {
      await sandbox.control.fault({ match: { path: '/sendMail$' }, status: 504, afterDelivery: true, times: 1 });
      const answer = await sendMail('Accepted then lost');
      assert.equal(answer.status, 504);
      assert.equal((answer.json as { error: { code: string } }).error.code, 'UnknownError');
      const delivered = await sandbox.control.mailbox(recipient);
      assert.deepEqual(delivered.map((message) => message.subject), ['Accepted then lost']);
    });

    it('skips the first matches, and delays an answer by delayMs', async () => {
      await sandbox.control.fault({ match: { path: '/sendMail$' }, status: 500, skip: 1, times: 1 });
      assert.equal((await sendMail('one')).status, 202);
      assert.equal((await sendMail('two')).status, 500);
      assert.equal((await sendMail('three')).status, 202);
      await sandbox.control.clearFaults();
      await sandbox.control.fault({ match: { path: '/sendMail$' }, delayMs: 400, times: 1 } as never);
      const started = Date.now();
      const delayed = await sendMail('late');
      assert.equal(delayed.status, 202);
      assert.ok(Date.now() - started >= 390, 'held back at least the delay');
    });

    it('answers identity paths in the AADSTS shape', async () => {
      await sandbox.control.fault({ match: { path: '/oauth2/v2\\.0/token$' }, status: 503, times: 1 });
      const answer = await token(sandbox, { grant_type: 'client_credentials' });
      assert.equal(answer.status, 503);
      assert.equal((answer.json as TokenAnswer).error, 'temporarily_unavailable');
      assert.equal(aadCode(answer), 90033);
    });

    it('refuses a malformed fault, and clears all with DELETE', async () => {
      const bad = await control('/faults', jsonInit('POST', null, { match: { path: '(' }, status: 500 }));
      assert.equal(bad.status, 400);
      assert.match(String(bad.json.error), /regular expression/);
      assert.equal((await control('/faults', jsonInit('POST', null, { status: 500 }))).status, 400);
      await sandbox.control.fault({ match: { path: '.' }, status: 500 });
      const cleared = await control('/faults', { method: 'DELETE' });
      assert.equal(cleared.status, 200);
      assert.equal(cleared.json.cleared, 1);
      assert.equal((await sendMail('after clear')).status, 202);
    });
  });

  it('signs one user in for every authorize request (POST /sandbox/session)', async () => {
    const upn = sandbox.seed.users[1].userPrincipalName;
    const answer = await control('/session', jsonInit('POST', null, { username: upn }));
    assert.equal(answer.status, 200);
    assert.equal((await control('/session', jsonInit('POST', null, { username: 'nobody@example.invalid' }))).status, 404);
    assert.equal((await control('/session', jsonInit('POST', null, {}))).status, 400);
  });

  it('changes settings, refusing unknown keys and wrong types', async () => {
    const ok = await control('/settings', jsonInit('POST', null, { sendLagMs: 5, refreshReuseRevokes: true }));
    assert.equal(ok.status, 200);
    assert.equal((ok.json.settings as Record<string, unknown>).sendLagMs, 5);
    assert.equal((await control('/settings', jsonInit('POST', null, { sendLag: 5 }))).status, 400);
    assert.equal((await control('/settings', jsonInit('POST', null, { sendLagMs: '5' }))).status, 400);
  });

  it('stands in for a national cloud in its OpenID discovery when asked to', async () => {
    const tenant = sandbox.seed.tenants[0].id;
    const discovery = async () => (await fetch(`${sandbox.origin}/${tenant}/v2.0/.well-known/openid-configuration`)).json() as Promise<Record<string, string>>;
    assert.equal((await discovery()).cloud_instance_name, 'sandbox.invalid');
    assert.equal((await control('/settings', jsonInit('POST', null, { nationalCloud: 'usgov-dod' }))).status, 200);
    const dod = await discovery();
    assert.deepEqual([dod.cloud_instance_name, dod.msgraph_host], ['microsoftonline.us', 'dod-graph.microsoft.us']);
    const refused = await control('/settings', jsonInit('POST', null, { nationalCloud: 'mars' }));
    assert.equal(refused.status, 400);
    assert.match(refused.text, /nationalCloud must be one of sandbox, global, usgov, usgov-dod, china/);
    assert.equal((await control('/settings', jsonInit('POST', null, { nationalCloud: 'sandbox' }))).status, 200);
  });

  it('resets deliveries, the ledger, faults, sessions and settings', async () => {
    await sendMail(`Before reset ${randomUUID()}`);
    await sandbox.control.fault({ match: { path: '/sendMail$' }, status: 500 });
    await sandbox.control.settings({ sendLagMs: 99 });
    const reset = await control('/reset', jsonInit('POST', null, {}));
    assert.equal(reset.status, 200);
    assert.deepEqual(await sandbox.control.mailbox(recipient), []);
    assert.deepEqual(await sandbox.control.requests(), []);
    assert.notEqual(((await control('/settings')).json.settings as Record<string, unknown>).sendLagMs, 99);
    app = await appToken(sandbox);
    assert.equal((await sendMail('After reset')).status, 202, 'the fault is gone');
  });
});
