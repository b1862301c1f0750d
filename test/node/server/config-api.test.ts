import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { defaultEndpoints } from '../../../src/services/endpoints.js';
import { appConfig, demoCertificate, startTestServer, type TestServer } from './helpers/server.js';

const CANARY = 'Qx8Q~CanaryValue-0123456789abcdefXYZ';
const SECRET_ID = 'abe23dcb-3922-44c5-b0b3-595ed64ad871';

describe('configuration API', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    // Nothing any route answered, and nothing in the store's files, holds the secret in clear.
    assert.ok(!server.seen.join('\n').includes(CANARY), 'the canary secret appeared in a response');
    assert.ok(!server.seen.join('\n').includes('PRIVATE KEY'), 'a private key appeared in a response');
    assert.ok(!server.logs.join('\n').includes(CANARY), 'the canary secret appeared in the log');
    await server.close();
  });

  it('answers defaults before anything is saved', async () => {
    const reply = await server.call('GET', '/config');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get('cache-control'), 'no-store');
    const view = reply.json;
    assert.equal(view.mode, 'delegated');
    assert.equal(view.cloud, 'global');
    for (const field of ['tenantId', 'clientId', 'fromName', 'fromAddress', 'secretExpiresAt']) assert.equal(view[field], '', field);
    assert.deepEqual(view.endpoints, defaultEndpoints('global'));
    assert.deepEqual(view.secret, { set: false, hint: '', expiresAt: '', kind: 'secret' });
    assert.deepEqual(view.connection, { state: 'disconnected', account: '', connectedAt: '' });
    assert.equal(view.locked, false);
    assert.equal(view.redirectUri, `${server.running.url}/api/mail/connect/callback`);
    assert.equal(typeof view.etag, 'string');
    assert.equal(reply.headers.get('etag'), view.etag);
    assert.ok(!('clientSecret' in view));
  });

  it('saves and reads back every setting, the secret write-only with a short hint', async () => {
    const saved = await server.call('PUT', '/config', { body: appConfig({ secretExpiresAt: '2030-01-31', saveToSentItems: false }) });
    assert.equal(saved.status, 200, saved.text);
    const read = await server.call('GET', '/config');
    for (const view of [saved.json, read.json]) {
      assert.equal(view.mode, 'application');
      assert.equal(view.tenantId, 'contoso.onmicrosoft.com');
      assert.equal(view.clientId, '1f9cc666-14df-40c7-a87e-393e20dcc061');
      assert.equal(view.fromName, 'Timesheets');
      assert.equal(view.fromAddress, 'notifications@contoso.com');
      assert.equal(view.saveToSentItems, false);
      assert.equal(view.secret.set, true);
      assert.equal(view.secret.kind, 'secret');
      assert.equal(view.secret.expiresAt, '2030-01-31');
      assert.ok(view.secret.hint.replace('…', '').length <= 4, view.secret.hint);
      assert.ok(CANARY.endsWith(view.secret.hint.replace('…', '')));
      assert.ok(!('clientSecret' in view));
    }
    assert.equal(saved.json.etag, read.json.etag);
    assert.notEqual(saved.json.etag, '"0"');
  });

  it('keeps the stored secret when the field is omitted, and replaces it when a new one comes', async () => {
    const { clientSecret: _omit, ...withoutSecret } = appConfig({ fromName: 'Payroll' });
    const kept = await server.call('PUT', '/config', { body: withoutSecret });
    assert.equal(kept.status, 200, kept.text);
    assert.equal(kept.json.secret.set, true);
    assert.equal(kept.json.fromName, 'Payroll');
    const replaced = await server.call('PUT', '/config', { body: appConfig({ clientSecret: 'Zz9~another-secret-value-42' }) });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.json.secret.hint, '…-42');
    await server.call('PUT', '/config', { body: appConfig() });
  });

  it('keeps only overridden templates and merges the cloud defaults', async () => {
    const custom = '/users/{UserPrincipalId}/mailFolders/drafts/messages';
    const saved = await server.call('PUT', '/config', { body: appConfig({ endpoints: { userMessagesEndpoint: custom } }) });
    assert.equal(saved.status, 200, saved.text);
    assert.deepEqual(saved.json.endpoints, { ...defaultEndpoints('global'), userMessagesEndpoint: custom });
    const usgov = await server.call('PUT', '/config', { body: appConfig({ cloud: 'usgov', endpoints: { userMessagesEndpoint: custom } }) });
    assert.equal(usgov.status, 200, usgov.text);
    assert.deepEqual(usgov.json.endpoints, { ...defaultEndpoints('usgov'), userMessagesEndpoint: custom });
    await server.call('PUT', '/config', { body: appConfig() });
  });

  it('answers 400 problem+json with dotted field paths', async () => {
    const reply = await server.call('PUT', '/config', {
      body: appConfig({ tenantId: 'not a tenant!', clientId: 'x', fromAddress: '', endpoints: { graphEndpoint: 'https://graph.microsoft.com.evil.test/v1.0', tokenEndpoint: 'http://login.microsoftonline.com/{TenantId}/oauth2/v2.0/token' } }),
    });
    assert.equal(reply.status, 400);
    assert.match(reply.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(reply.json.status, 400);
    const paths = reply.json.errors.map((error: { path: string }) => error.path);
    for (const path of ['tenantId', 'clientId']) assert.ok(paths.includes(path), `${path} in ${paths}`);
    assert.ok(reply.json.errors.every((error: { message: string }) => typeof error.message === 'string' && error.message.length > 0));
    const hosts = await server.call('PUT', '/config', { body: appConfig({ endpoints: { graphEndpoint: 'https://graph.microsoft.com.evil.test/v1.0', tokenEndpoint: 'http://login.microsoftonline.com/{TenantId}/oauth2/v2.0/token' } }) });
    assert.equal(hosts.status, 400);
    const hostPaths = hosts.json.errors.map((error: { path: string }) => error.path);
    assert.ok(hostPaths.includes('endpoints.graphEndpoint'), hostPaths.join());
    assert.ok(hostPaths.includes('endpoints.tokenEndpoint'), hostPaths.join());
    const application = await server.call('PUT', '/config', { body: appConfig({ fromAddress: '' }) });
    assert.equal(application.status, 400);
    assert.deepEqual(application.json.errors.map((error: { path: string }) => error.path), ['fromAddress']);
  });

  it('refuses endpoint hosts that only look like the cloud\'s', async () => {
    const attempts = [
      'https://graph.microsoft.com@evil.test/v1.0',
      'https://graph.microsoft.com.evil.test/v1.0',
      'https://graph.microsoft.com./v1.0',
      'https://[::1]/v1.0',
      'http://graph.microsoft.com/v1.0',
      'https://graph.microsoft.com:8443/v1.0',
      'https://xn--grph-microsoft-8kb.com/v1.0',
      'https://127.0.0.1/v1.0',
    ];
    for (const graphEndpoint of attempts) {
      const reply = await server.call('PUT', '/config', { body: appConfig({ endpoints: { graphEndpoint, defaultScope: 'https://graph.microsoft.com/.default' } }) });
      assert.equal(reply.status, 400, `${graphEndpoint}: ${reply.text}`);
      assert.ok(reply.json.errors.some((error: { path: string }) => error.path === 'endpoints.graphEndpoint'), graphEndpoint);
    }
  });

  it('names the field when the Secret ID is pasted as the secret', async () => {
    const reply = await server.call('PUT', '/config', { body: appConfig({ clientSecret: SECRET_ID }) });
    assert.equal(reply.status, 400);
    const error = reply.json.errors.find((item: { path: string }) => item.path === 'clientSecret');
    assert.ok(error, reply.text);
    assert.match(error.message, /Secret ID/);
    assert.equal((await server.call('GET', '/config')).json.secret.hint, `…${CANARY.slice(-3)}`, 'the stored secret is unchanged');
  });

  it('refuses a stale If-Match with 412 and accepts the current one', async () => {
    const current = (await server.call('GET', '/config')).json.etag;
    const ok = await server.call('PUT', '/config', { body: appConfig({ fromName: 'First' }), headers: { 'if-match': current } });
    assert.equal(ok.status, 200, ok.text);
    const stale = await server.call('PUT', '/config', { body: appConfig({ fromName: 'Second' }), headers: { 'if-match': current } });
    assert.equal(stale.status, 412);
    assert.match(stale.headers.get('content-type') ?? '', /problem\+json/);
    assert.equal(stale.headers.get('etag'), ok.json.etag);
    assert.equal((await server.call('GET', '/config')).json.fromName, 'First');
    const weak = await server.call('PUT', '/config', { body: appConfig({ fromName: 'Third' }), headers: { 'if-match': `W/${ok.json.etag}` } });
    assert.equal(weak.status, 200);
    const lastWins = await server.call('PUT', '/config', { body: appConfig() });
    assert.equal(lastWins.status, 200, 'without If-Match the last write wins');
  });

  it('locks mode, cloud, tenant, app and endpoints while connected; the credential and sender stay editable', async () => {
    await server.call('PUT', '/config', { body: appConfig({ mode: 'delegated' }) });
    await server.running.server.store.setConnection('default', {
      state: 'connected',
      account: 'adele@contoso.com',
      connectedAt: new Date().toISOString(),
      grantedPermissions: ['Mail.Send'],
      scope: 'offline_access User.Read Mail.Send',
      refreshToken: server.running.server.deps.sealer.seal('refresh-canary', 'graph-mail|connection/default|refreshToken'),
    });
    const view = (await server.call('GET', '/config')).json;
    assert.equal(view.locked, true);
    assert.equal(view.connection.state, 'connected');
    assert.equal(view.connection.account, 'adele@contoso.com');
    const changes: Array<[string, Record<string, unknown>]> = [
      ['mode', { mode: 'application' }],
      ['cloud', { cloud: 'usgov' }],
      ['tenantId', { tenantId: 'fabrikam.com' }],
      ['clientId', { clientId: '27f1a0f2-b66e-43d8-a91f-55db3660a25c' }],
      ['endpoints.userEndpoint', { endpoints: { userEndpoint: '/users/{UserPrincipalName}/' } }],
    ];
    for (const [path, change] of changes) {
      const reply = await server.call('PUT', '/config', { body: appConfig({ mode: 'delegated', ...change }) });
      assert.equal(reply.status, 409, `${path}: ${reply.text}`);
      assert.ok(reply.json.errors.some((error: { path: string }) => error.path === path), reply.text);
    }
    const rotation = await server.call('PUT', '/config', {
      body: appConfig({ mode: 'delegated', clientSecret: 'Rot8~rotated-secret-value-77', secretExpiresAt: '2031-06-30', fromName: 'Renamed', fromAddress: 'shared@contoso.com', saveToSentItems: false }),
    });
    assert.equal(rotation.status, 200, rotation.text);
    assert.equal(rotation.json.locked, true);
    assert.equal(rotation.json.secret.hint, '…-77');
    assert.equal(rotation.json.connection.state, 'connected', 'rotating the secret keeps the connection');
    // Disconnect unlocks (the connect module's POST /disconnect).
    const disconnected = await server.call('POST', '/disconnect');
    assert.equal(disconnected.status, 200, disconnected.text);
    assert.equal(disconnected.json.locked, false);
    assert.equal((await server.call('PUT', '/config', { body: appConfig() })).status, 200);
  });

  it('stores a certificate credential: key sealed, thumbprint hint and expiry shown', async () => {
    const certificate = demoCertificate();
    const saved = await server.call('PUT', '/config', { body: appConfig({ clientSecret: undefined, credential: 'certificate', certificate }) });
    assert.equal(saved.status, 200, saved.text);
    assert.equal(saved.json.credential, 'certificate');
    assert.equal(saved.json.secret.set, true);
    assert.equal(saved.json.secret.kind, 'certificate');
    assert.match(saved.json.secret.hint, /^…[0-9A-F]{4}$/);
    assert.match(saved.json.secret.expiresAt, /^2045-01-01/);
    assert.deepEqual(await server.running.server.store.secretFields('default'), ['privateKey'], 'one credential at rest');
    const { clientSecret: _s, ...keep } = appConfig({ credential: 'certificate', fromName: 'Cert kept' });
    const kept = await server.call('PUT', '/config', { body: keep });
    assert.equal(kept.status, 200, kept.text);
    assert.equal(kept.json.secret.kind, 'certificate');
    assert.equal(kept.json.secret.set, true);
    const mismatch = await server.call('PUT', '/config', {
      body: appConfig({ clientSecret: undefined, credential: 'certificate', certificate: { certificatePem: certificate.certificatePem, privateKeyPem: otherKeyPem() } }),
    });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.json.errors[0].path, 'certificate.privateKeyPem');
    assert.ok(!server.storeBytes().includes('PRIVATE KEY'), 'the private key is sealed in the store');
    const back = await server.call('PUT', '/config', { body: appConfig() });
    assert.equal(back.status, 200);
    assert.deepEqual(await server.running.server.store.secretFields('default'), ['clientSecret']);
  });

  it('lists the clouds, and the sandbox only when started with one', async () => {
    const clouds = await server.call('GET', '/clouds');
    assert.deepEqual(clouds.json.map((cloud: { id: string }) => cloud.id), ['global', 'usgov', 'usgov-dod', 'china']);
    assert.deepEqual(clouds.json[0], { id: 'global', label: 'Global', loginHost: 'login.microsoftonline.com', graphHost: 'graph.microsoft.com' });
    const defaults = await server.call('GET', '/endpoints/defaults?cloud=usgov-dod');
    assert.equal(defaults.status, 200);
    assert.deepEqual(defaults.json, { cloud: 'usgov-dod', endpoints: defaultEndpoints('usgov-dod') });
    assert.equal((await server.call('GET', '/endpoints/defaults?cloud=sandbox')).status, 400);
    assert.equal((await server.call('GET', '/endpoints/defaults?cloud=mars')).status, 400);
    const sandboxCloud = await server.call('PUT', '/config', { body: appConfig({ cloud: 'sandbox' }) });
    assert.equal(sandboxCloud.status, 400);
    assert.ok(sandboxCloud.json.errors.some((error: { path: string }) => error.path === 'cloud'));
  });

  it('keeps an audit trail of who changed which fields, never the values', async () => {
    await server.call('PUT', '/config', { body: appConfig({ fromName: 'Audited' }) });
    const audit = await server.call('GET', '/audit?limit=5');
    assert.equal(audit.status, 200);
    const [latest] = audit.json.items;
    assert.equal(latest.action, 'config.save');
    assert.equal(latest.actor, 'loopback');
    assert.ok(latest.fields.includes('fromName'));
    assert.ok(latest.fields.includes('clientSecret'), 'a new secret is recorded as a changed field');
    assert.ok(!Number.isNaN(Date.parse(latest.at)));
    assert.ok(!audit.text.includes('Audited'), 'values are not recorded');
    const all = (await server.call('GET', '/audit?limit=200')).json.items;
    assert.ok(all.some((item: { action: string; actor: string }) => item.action === 'disconnect' && item.actor === 'loopback'), JSON.stringify(all));
    assert.equal(audit.json.items.length, 5);
    const next = await server.call('GET', `/audit?limit=5&before=${audit.json.nextCursor}`);
    assert.ok(next.json.items.every((item: { id: number }) => item.id < latest.id - 3));
    assert.equal((await server.call('GET', '/audit?limit=500')).status, 400);
  });

  it('never keeps the secret in clear in the database files', async () => {
    const bytes = server.storeBytes();
    assert.ok(bytes.length > 0);
    for (const secret of [CANARY, 'Rot8~rotated-secret-value-77', 'Zz9~another-secret-value-42', 'refresh-canary']) {
      assert.ok(!bytes.includes(secret), `${secret} in the database`);
    }
  });

  it('Clear removes configuration, secret and tokens; the audit trail stays', async () => {
    await server.running.server.store.setConnection('default', {
      state: 'error',
      account: 'x@contoso.com',
      connectedAt: '',
      grantedPermissions: [],
      scope: '',
      refreshToken: null,
    });
    const cleared = await server.call('DELETE', '/config');
    assert.equal(cleared.status, 204);
    const view = (await server.call('GET', '/config')).json;
    assert.equal(view.tenantId, '');
    assert.equal(view.mode, 'delegated');
    assert.equal(view.secret.set, false);
    assert.equal(view.connection.state, 'disconnected');
    assert.equal(view.etag, '"0"');
    assert.equal(await server.running.server.store.getSecret('default', 'clientSecret'), null);
    assert.equal(await server.running.server.store.getConnection('default'), null);
    const audit = await server.call('GET', '/audit');
    assert.equal(audit.json.items[0].action, 'config.clear');
    assert.ok(audit.json.items.length > 3);
    const log = await server.call('GET', '/log');
    assert.equal(log.status, 200, 'the mail log is still there');
  });
});

/** An RSA key that belongs to no certificate here. */
function otherKeyPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
