/**
 * The Entra check wired into the reference server as its authorisation hook, on a real socket: a host
 * page on another origin calls the admin API with a bearer (CORS for listed origins only, no
 * anti-forgery header needed), and a sign-in it starts is bound to that admin.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createEntraAuthenticator, entraAuthorizeHook } from '../../../../src/server/auth/index.js';
import { appConfig, startTestServer, type TestServer } from '../helpers/server.js';
import { startFakeTenant, type FakeTenant } from './tenant.js';

const AUDIENCE = 'api://5d1c7a2e-3b7f-4f0a-8c2d-9e6b1a4f7c20';
const HOST_PAGE = 'http://127.0.0.1:5999';
const STRANGER = 'http://evil.example';

describe('the admin API with Entra bearer tokens', { timeout: 30_000 }, () => {
  let tenant: FakeTenant;
  let server: TestServer;
  let admin: string;

  before(async () => {
    tenant = await startFakeTenant({ audience: AUDIENCE });
    const authenticator = createEntraAuthenticator({ tenantId: tenant.tenantId, authority: tenant.origin, audience: AUDIENCE });
    server = await startTestServer({ allowedOrigins: [HOST_PAGE], authorize: entraAuthorizeHook(authenticator) });
    admin = await tenant.token();
  });
  after(async () => {
    await server?.close();
    await tenant?.close();
  });

  const crossOrigin = (token?: string, origin = HOST_PAGE): Record<string, string> => ({
    origin,
    'sec-fetch-site': 'cross-site',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  });

  it('answers preflights for a listed origin with the headers the elements send and read', async () => {
    const reply = await server.call('OPTIONS', '/config', {
      headers: { origin: HOST_PAGE, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, content-type, if-match' },
    });
    assert.ok(reply.status === 204 || reply.status === 200, String(reply.status));
    assert.equal(reply.headers.get('access-control-allow-origin'), HOST_PAGE);
    const allowed = (reply.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    for (const header of ['authorization', 'content-type', 'if-match', 'x-requested-with']) assert.ok(allowed.includes(header), header);
    const exposed = (reply.headers.get('access-control-expose-headers') ?? '').toLowerCase();
    assert.match(exposed, /etag/);
    assert.match(exposed, /retry-after/);
    assert.equal(reply.headers.get('access-control-allow-credentials'), null, 'a bearer needs no cookies');
  });

  it('gives an unlisted origin no CORS at all', async () => {
    const preflight = await server.call('OPTIONS', '/config', {
      headers: { origin: STRANGER, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    assert.notEqual(preflight.status, 204);
    const get = await server.call('GET', '/config', { headers: crossOrigin(admin, STRANGER) });
    assert.equal(get.status, 403, 'a valid token from an unlisted origin is still refused');
    assert.equal(get.headers.get('access-control-allow-origin'), null);
  });

  it('admits an admin token cross-origin, with CORS on the answer', async () => {
    const reply = await server.call('GET', '/config', { headers: crossOrigin(admin) });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.headers.get('access-control-allow-origin'), HOST_PAGE);
  });

  it('refuses no token and foreign tokens with 401, and a token without the role with 403', async () => {
    const none = await server.call('GET', '/config', { headers: crossOrigin() });
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    const audience = await server.call('GET', '/config', { headers: crossOrigin(await tenant.token({ aud: 'api://another-api' })) });
    assert.equal(audience.status, 401);
    assert.match(audience.headers.get('www-authenticate') ?? '', /^Bearer/);
    const expired = await server.call('GET', '/config', { headers: crossOrigin(await tenant.token({ exp: Math.floor(Date.now() / 1000) - 3600 })) });
    assert.equal(expired.status, 401);
    const noRole = await server.call('GET', '/config', { headers: crossOrigin(await tenant.token({ roles: undefined })) });
    assert.equal(noRole.status, 403);
    assert.match(noRole.json.detail, /not a mail administrator/);
    assert.match(noRole.headers.get('www-authenticate') ?? '', /^Bearer error="insufficient_scope"/);
    for (const reply of [none, audience, noRole]) assert.equal(reply.headers.get('access-control-allow-origin'), HOST_PAGE, 'the page can read why');
    assert.ok(!server.logs.join('\n').includes(admin.split('.')[2]), 'no token in the log');
  });

  it('needs no anti-forgery header with a bearer', async () => {
    const saved = await server.call('PUT', '/config', { body: appConfig({ mode: 'delegated' }), csrf: false, headers: crossOrigin(admin) });
    assert.equal(saved.status, 200, saved.text);
    const noBearer = await server.call('PUT', '/config', { body: appConfig({ mode: 'delegated' }), csrf: false, headers: crossOrigin() });
    assert.equal(noBearer.status, 401);
  });

  it('binds a sign-in started with a bearer to that admin: its state is the popup\'s one-time ticket', async () => {
    await server.call('PUT', '/config', { body: appConfig({ mode: 'delegated' }), csrf: false, headers: crossOrigin(admin) });
    const started = await server.call('POST', '/connect', { body: { mode: 'popup' }, csrf: false, headers: crossOrigin(admin) });
    assert.equal(started.status, 200, started.text);
    assert.equal(started.headers.get('set-cookie'), null, 'bound to the admin, not to a cookie the host page cannot keep');
    const state = started.json.state as string;
    assert.ok(state.length >= 32);
    assert.ok(Date.parse(started.json.expiresAt) - Date.now() <= 10 * 60_000, 'short-lived');

    const mine = await server.call('GET', `/connect/status?state=${encodeURIComponent(state)}`, { headers: crossOrigin(admin) });
    assert.equal(mine.status, 200);
    assert.equal(mine.json.state, 'pending');
    const otherAdmin = await tenant.token({ oid: randomUUID(), name: 'Another Admin' });
    const theirs = await server.call('GET', `/connect/status?state=${encodeURIComponent(state)}`, { headers: crossOrigin(otherAdmin) });
    assert.equal(theirs.status, 404, 'another admin cannot watch or hijack it');

    // The popup's navigation carries no bearer: the state alone admits the callback, once.
    const callback = await fetch(`${server.running.apiUrl}/connect/callback?state=${encodeURIComponent(state)}&error=access_denied&error_description=declined`, { redirect: 'manual' });
    assert.equal(callback.status, 200);
    await callback.text();
    const replay = await fetch(`${server.running.apiUrl}/connect/callback?state=${encodeURIComponent(state)}&error=access_denied`, { redirect: 'manual' });
    assert.equal(replay.status, 400, 'single use');
    await replay.text();
    const finished = await server.call('GET', `/connect/status?state=${encodeURIComponent(state)}`, { headers: crossOrigin(admin) });
    assert.equal(finished.json.state, 'failed');
  });
});
