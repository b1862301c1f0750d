/**
 * The token service against the sandbox cloud in its own process: client credentials with a secret and
 * with a certificate, the cache and single-flight, refresh with rotation, invalid_grant, redirects
 * refused, and the endpoint host rule on use.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { TokenRequestError, TokenService, TokenServiceError, sealedAt } from '../../../src/server/index.js';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';
import { demoCertificate, startTestServer, type TestServer } from './helpers/server.js';

const TOKEN_PATH = /\/oauth2\/v2\.0\/token$/;

describe('token service (sandbox cloud)', () => {
  let sandbox: SandboxProcess;
  let server: TestServer;
  let sandboxConfig: (overrides?: Record<string, unknown>) => Record<string, unknown>;
  let sender: string;

  const tokenRequests = async () => (await sandbox.control.requests()).filter((request) => request.method === 'POST' && TOKEN_PATH.test(request.path)).length;
  const tokens = () => server.running.server.tokens;
  const save = async (overrides: Record<string, unknown> = {}) => {
    const reply = await server.call('PUT', '/config', { body: sandboxConfig(overrides) });
    assert.equal(reply.status, 200, reply.text);
    return reply.json;
  };

  before(async () => {
    sandbox = await startSandbox();
    server = await startTestServer({ sandboxOrigins: [sandbox.origin] });
    const app = sandbox.seed.apps[0];
    sender = sandbox.seed.users.find((user) => user.tenantId === app.tenantId && user.kind === 'member')!.userPrincipalName;
    sandboxConfig = (overrides = {}) => ({
      mode: 'application',
      cloud: 'sandbox',
      tenantId: app.tenantId,
      clientId: app.clientId,
      clientSecret: app.secrets[0].value,
      fromName: 'Timesheets',
      fromAddress: sender,
      saveToSentItems: true,
      ...overrides,
    });
  });
  after(async () => {
    const seen = server.seen.join('\n');
    await server?.close();
    await sandbox?.stop();
    assert.ok(!seen.includes(sandbox.seed.apps[0].secrets[0].value), 'the secret appeared in a response');
  });
  beforeEach(async () => {
    await sandbox.control.clearFaults();
  });

  it('lists the sandbox cloud with its origin', async () => {
    const clouds = await server.call('GET', '/clouds');
    const host = new URL(sandbox.origin).host;
    assert.deepEqual(clouds.json.at(-1), { id: 'sandbox', label: 'Sandbox', loginHost: host, graphHost: host });
    const defaults = await server.call('GET', '/endpoints/defaults?cloud=sandbox');
    assert.equal(defaults.json.endpoints.tokenEndpoint, `${sandbox.origin}/{TenantId}/oauth2/v2.0/token`);
  });

  it('gets an application token once for 20 concurrent callers, then serves it from the cache', async () => {
    await save();
    const before = await tokenRequests();
    const results = await Promise.all(Array.from({ length: 20 }, () => tokens().getAccessToken('default')));
    assert.equal(await tokenRequests(), before + 1, 'one token request for 20 callers');
    assert.equal(new Set(results.map((result) => result.accessToken)).size, 1);
    assert.ok(results[0].scopes.includes('Mail.Send'), results[0].scopes.join());
    await tokens().getAccessToken('default');
    assert.equal(await tokenRequests(), before + 1, 'cached');
    const forced = await Promise.all(Array.from({ length: 5 }, () => tokens().getAccessToken('default', { forceRefresh: true })));
    assert.equal(await tokenRequests(), before + 2, 'a forced refresh is single-flight too');
    assert.equal(new Set(forced.map((result) => result.accessToken)).size, 1);
    const view = (await server.call('GET', '/config')).json;
    assert.equal(view.connection.state, 'connected');
    assert.equal(view.connection.account, sender);
    assert.ok(view.grantedPermissions.includes('Mail.Send'));
  });

  it('shares one token between instances on one store: one request for concurrent callers on three instances', async () => {
    await save();
    const { config, store } = server.running.server;
    const { sealer } = server.running.server.deps;
    // Two more instances: their own memory, the same store (as several processes on one database).
    const others = [1, 2].map(() => new TokenService({ config, store, sealer, hostOptions: { sandboxOrigin: sandbox.origin }, leaseWaitMs: 20 }));
    const instances = [tokens(), ...others];
    const before = await tokenRequests();
    const results = await Promise.all(instances.flatMap((instance) => Array.from({ length: 5 }, () => instance.getAccessToken('default', { forceRefresh: true }))));
    assert.equal(await tokenRequests(), before + 1, 'one request for fifteen callers on three instances');
    assert.equal(new Set(results.map((result) => result.accessToken)).size, 1);
    const stored = (await store.getCachedToken('default'))!;
    assert.ok(!stored.accessToken.includes(results[0].accessToken), 'sealed at rest');
    // A fourth instance starting later uses it without asking.
    const late = new TokenService({ config, store, sealer, hostOptions: { sandboxOrigin: sandbox.origin } });
    assert.equal((await late.getAccessToken('default')).accessToken, results[0].accessToken);
    assert.equal(await tokenRequests(), before + 1);
  });

  it('takes over the request when the instance holding the lease died', async () => {
    await save();
    const { config, store } = server.running.server;
    const { sealer } = server.running.server.deps;
    await store.dropCachedToken('default');
    // A holder that took the lease and was never heard of again; its lease runs out 300 ms from now.
    assert.equal(await store.leaseTokenRequest('default', 'a-dead-instance', Date.now() + 300, Date.now()), true);
    const survivor = new TokenService({ config, store, sealer, hostOptions: { sandboxOrigin: sandbox.origin }, leaseWaitMs: 20 });
    const before = await tokenRequests();
    const started = Date.now();
    const info = await survivor.getAccessToken('default', { forceRefresh: true });
    assert.ok(info.accessToken);
    assert.ok(Date.now() - started >= 250, 'it waited for the lease to run out');
    assert.equal(await tokenRequests(), before + 1);
  });

  it('drops the cached token when the credential changes', async () => {
    await save();
    await tokens().getAccessToken('default');
    const before = await tokenRequests();
    await tokens().getAccessToken('default');
    assert.equal(await tokenRequests(), before);
    await save(); // the same value, sealed again: a new credential as far as the cache knows
    await tokens().getAccessToken('default');
    assert.equal(await tokenRequests(), before + 1);
    await save({ clientSecret: undefined, fromName: 'Renamed' });
    await tokens().getAccessToken('default');
    assert.equal(await tokenRequests(), before + 1, 'a sender change keeps the token');
  });

  it('explains a wrong secret (AADSTS7000215) and shows it as the connection\'s error', async () => {
    await save({ clientSecret: 'Wr0ng~secret-value-that-is-long-enough' });
    await assert.rejects(tokens().getAccessToken('default'), (error: unknown) => {
      assert.ok(error instanceof TokenRequestError);
      assert.equal(error.code, 'AADSTS7000215');
      assert.match(error.hint, /Value/);
      assert.ok(!JSON.stringify(error).includes('error_description'), 'the upstream body stays out of JSON');
      return true;
    });
    const view = (await server.call('GET', '/config')).json;
    assert.equal(view.connection.state, 'error');
    assert.equal((await server.call('GET', '/health')).status, 503);
    await save();
    assert.ok((await tokens().getAccessToken('default')).accessToken);
    assert.equal((await server.call('GET', '/config')).json.connection.state, 'connected');
  });

  it('signs a client assertion with the certificate', async () => {
    await save({ clientSecret: undefined, credential: 'certificate', certificate: demoCertificate() });
    const token = await tokens().getAccessToken('default', { forceRefresh: true });
    assert.ok(token.scopes.includes('Mail.Send'));
    const requests = (await sandbox.control.requests()).filter((request) => TOKEN_PATH.test(request.path));
    assert.equal(requests.at(-1)?.status, 200);
    await save();
  });

  it('never follows a redirect from the token endpoint', async () => {
    await save();
    await sandbox.control.fault({ match: { method: 'POST', path: '/oauth2/v2\\.0/token$' }, status: 307, headers: { location: `${sandbox.origin}/sandbox/seed` }, times: 1 });
    const before = (await sandbox.control.requests()).length;
    await assert.rejects(tokens().getAccessToken('default', { forceRefresh: true }), (error: unknown) => error instanceof TokenServiceError && error.code === 'TOKEN_REDIRECT_REFUSED');
    const after = await sandbox.control.requests();
    // Only the token request itself (and this read of the ledger) reached the sandbox.
    assert.ok(!after.slice(before).some((request) => request.path === '/sandbox/seed' && request.method === 'POST'));
    assert.equal(after.slice(before).filter((request) => request.method === 'POST').length, 1);
  });

  it('checks the token URL\'s host on every use, not only on save', async () => {
    await save();
    const store = server.running.server.store;
    const record = (await store.getConfig('default'))!;
    // Written past the API's validation, as a tampered store would be.
    await store.saveConfig('default', { settings: { ...record.settings, endpoints: { tokenEndpoint: 'http://127.0.0.1:9/{TenantId}/oauth2/v2.0/token' } }, audit: { actor: 'test', action: 'tamper', fields: [] } });
    const before = await tokenRequests();
    await assert.rejects(tokens().getAccessToken('default', { forceRefresh: true }), (error: unknown) => error instanceof TokenServiceError && error.code === 'ENDPOINT_NOT_ALLOWED');
    assert.equal(await tokenRequests(), before);
    await save();
  });

  describe('delegated', () => {
    const connect = async () => {
      const user = sandbox.seed.users.find((candidate) => candidate.tenantId === sandbox.seed.apps[0].tenantId && candidate.kind === 'member')!;
      await sandbox.control.session(user.userPrincipalName);
      const start = await fetch(`${server.running.apiUrl}/connect`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-requested-with': 'graph-mail' },
        body: JSON.stringify({ mode: 'redirect', returnTo: '/settings' }),
      });
      assert.equal(start.status, 200, await start.clone().text());
      const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0];
      const { authorizeUrl } = (await start.json()) as { authorizeUrl: string };
      const authorize = await fetch(authorizeUrl, { redirect: 'manual' });
      assert.ok(authorize.status >= 300 && authorize.status < 400, `authorize answered ${authorize.status}`);
      const callback = await fetch(new URL(authorize.headers.get('location')!, authorizeUrl), { headers: { cookie }, redirect: 'manual' });
      assert.equal(callback.status, 303, await callback.text());
      assert.match(callback.headers.get('location') ?? '', /^\/settings\?connect=ok/);
      return user;
    };

    it('connects, refreshes with rotation, and refreshes once for 20 concurrent callers', async () => {
      await save({ mode: 'delegated', fromAddress: '' });
      const user = await connect();
      const view = (await server.call('GET', '/config')).json;
      assert.equal(view.connection.state, 'connected');
      assert.equal(view.connection.account, user.mail || user.userPrincipalName);
      assert.equal(view.locked, true);
      const { store, sealer } = server.running.server.deps;
      const sealedBefore = (await store.getConnection('default'))!.refreshToken!;
      const before = await tokenRequests();
      const results = await Promise.all(Array.from({ length: 20 }, () => tokens().getAccessToken('default', { forceRefresh: true })));
      assert.equal(await tokenRequests(), before + 1, 'one refresh for 20 callers');
      assert.equal(new Set(results.map((result) => result.accessToken)).size, 1);
      assert.ok(results[0].scopes.includes('Mail.Send'));
      const sealedAfter = (await store.getConnection('default'))!.refreshToken!;
      const oldToken = sealer.open(sealedBefore, sealedAt.refreshToken('default'));
      const newToken = sealer.open(sealedAfter, sealedAt.refreshToken('default'));
      assert.notEqual(newToken, oldToken, 'the rotated refresh token was saved');
      assert.ok(!server.storeBytes().includes(newToken), 'sealed at rest');
      // The next refresh uses the rotated token and works.
      await tokens().getAccessToken('default', { forceRefresh: true });
      assert.equal(await tokenRequests(), before + 2);
    });

    it('moves to needs-reconnect after one invalid_grant, and asks no more', async () => {
      await sandbox.control.fault({
        match: { method: 'POST', path: '/oauth2/v2\\.0/token$' },
        status: 400,
        body: { error: 'invalid_grant', error_description: 'AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.', error_codes: [70008] },
        times: 5,
      });
      const before = await tokenRequests();
      await assert.rejects(tokens().getAccessToken('default', { forceRefresh: true }), (error: unknown) => error instanceof TokenRequestError && error.oauthError === 'invalid_grant');
      assert.equal(await tokenRequests(), before + 1);
      const view = (await server.call('GET', '/config')).json;
      assert.equal(view.connection.state, 'needs-reconnect');
      assert.equal(view.locked, true);
      for (let i = 0; i < 3; i += 1) {
        await assert.rejects(tokens().getAccessToken('default'), (error: unknown) => error instanceof TokenServiceError && error.code === 'NEEDS_RECONNECT');
      }
      assert.equal(await tokenRequests(), before + 1, 'no retry loop');
      assert.equal((await server.call('GET', '/health')).status, 503);
      // Reconnecting heals it.
      await sandbox.control.clearFaults();
      await connect();
      assert.equal((await server.call('GET', '/config')).json.connection.state, 'connected');
      assert.ok((await tokens().getAccessToken('default')).accessToken);
    });

    it('forgets the tokens on disconnect', async () => {
      const reply = await server.call('POST', '/disconnect');
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json.locked, false);
      assert.equal(await server.running.server.store.getConnection('default'), null);
      const before = await tokenRequests();
      await assert.rejects(tokens().getAccessToken('default'), (error: unknown) => error instanceof TokenServiceError && error.code === 'NOT_CONNECTED');
      assert.equal(await tokenRequests(), before);
    });
  });
});
