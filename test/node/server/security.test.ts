import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { defaultAuthorize } from '../../../src/server/index.js';
import { tokenMatches } from '../../../src/server/mail/routes.js';
import { appConfig, startTestServer, type TestServer } from './helpers/server.js';

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with full control over every header (Host included), as a browser or an attacker sends it. */
function raw(server: TestServer, method: string, path: string, headers: Record<string, string>, body?: string, setHost = true): Promise<RawReply> {
  const url = new URL(`${server.running.apiUrl}${path}`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, setHost, method, path: url.pathname + url.search, headers: { ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('admin API protection', () => {
  let server: TestServer;
  let host: string;
  before(async () => {
    server = await startTestServer({ allowedOrigins: ['https://portal.example.com'] });
    host = new URL(server.running.url).host;
  });
  after(() => server.close());

  it('refuses a state change without the anti-forgery header', async () => {
    const reply = await server.call('PUT', '/config', { body: appConfig(), csrf: false });
    assert.equal(reply.status, 403);
    assert.match(reply.headers.get('content-type') ?? '', /problem\+json/);
    assert.match(reply.json.detail, /X-Requested-With/);
    assert.equal((await server.call('GET', '/config')).json.tenantId, '', 'nothing was saved');
    assert.equal((await server.call('DELETE', '/config', { csrf: false })).status, 403);
    assert.equal((await server.call('POST', '/disconnect', { csrf: false })).status, 403);
  });

  it('refuses a cross-site form POST and a text/plain POST', async () => {
    const form = await raw(server, 'POST', '/disconnect', { host, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' }, 'a=1');
    assert.equal(form.status, 403);
    const formNoOrigin = await raw(server, 'POST', '/disconnect', { host, 'content-type': 'application/x-www-form-urlencoded' }, 'a=1');
    assert.equal(formNoOrigin.status, 403);
    const text = await raw(server, 'PUT', '/config', { host, 'content-type': 'text/plain' }, JSON.stringify(appConfig()));
    assert.equal(text.status, 403);
    // Even with the header, a body that is not JSON is refused.
    const textWithHeader = await raw(server, 'PUT', '/config', { host, 'content-type': 'text/plain', 'x-requested-with': 'graph-mail' }, JSON.stringify(appConfig()));
    assert.equal(textWithHeader.status, 403);
    assert.equal((await server.call('GET', '/config')).json.tenantId, '');
  });

  it('refuses other origins unless listed, and gives CORS to the listed one only', async () => {
    const evil = await raw(server, 'PUT', '/config', { host, origin: 'https://evil.example', 'content-type': 'application/json', 'x-requested-with': 'graph-mail' }, JSON.stringify(appConfig()));
    assert.equal(evil.status, 403);
    assert.equal(evil.headers['access-control-allow-origin'], undefined);
    const evilRead = await raw(server, 'GET', '/config', { host, origin: 'https://evil.example' });
    assert.equal(evilRead.status, 403);
    const sameSite = await raw(server, 'PUT', '/config', { host, 'sec-fetch-site': 'same-site', 'content-type': 'application/json', 'x-requested-with': 'graph-mail' }, JSON.stringify(appConfig()));
    assert.equal(sameSite.status, 403, 'another port of the same host is another site for state changes');
    const preflightEvil = await raw(server, 'OPTIONS', '/config', { host, origin: 'https://evil.example', 'access-control-request-method': 'PUT' });
    assert.equal(preflightEvil.status, 403);
    const preflight = await raw(server, 'OPTIONS', '/config', { host, origin: 'https://portal.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, x-requested-with' });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://portal.example.com');
    assert.match(String(preflight.headers['access-control-allow-headers']), /x-requested-with/);
    const listed = await raw(server, 'GET', '/config', { host, origin: 'https://portal.example.com' });
    assert.equal(listed.status, 200);
    assert.equal(listed.headers['access-control-allow-origin'], 'https://portal.example.com');
    const own = await raw(server, 'PUT', '/config', { host, origin: server.running.url, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json', 'x-requested-with': 'graph-mail' }, JSON.stringify(appConfig()));
    assert.equal(own.status, 200, own.body);
    assert.equal(own.headers['access-control-allow-origin'], undefined, 'no CORS for the own origin');
    assert.equal((await server.call('DELETE', '/config')).status, 204);
  });

  it('answers 421 when the Host header names another server (DNS rebinding)', async () => {
    for (const name of ['evil.example', `evil.example:${new URL(server.running.url).port}`, '127.0.0.1.evil.example', `127.0.0.1:${Number(new URL(server.running.url).port) + 1}`]) {
      const reply = await raw(server, 'GET', '/config', { host: name });
      assert.equal(reply.status, 421, name);
      assert.ok(!reply.body.includes('"redirectUri"'));
    }
    const missing = await raw(server, 'GET', '/config', {}, undefined, false);
    assert.ok(missing.status === 400 || missing.status === 421, String(missing.status));
    const put = await raw(server, 'PUT', '/config', { host: 'evil.example', 'content-type': 'application/json', 'x-requested-with': 'graph-mail' }, JSON.stringify(appConfig()));
    assert.equal(put.status, 421);
    const alias = await raw(server, 'GET', '/config', { host: `localhost:${new URL(server.running.url).port}` });
    assert.equal(alias.status, 200, 'loopback aliases of the own origin name this server');
  });

  it('sends no-store, nosniff and frame-ancestors', async () => {
    for (const path of ['/config', '/clouds', '/nothing-here']) {
      const reply = await raw(server, 'GET', path, { host });
      assert.equal(reply.headers['cache-control'], 'no-store', path);
      assert.equal(reply.headers['x-content-type-options'], 'nosniff', path);
      assert.match(String(reply.headers['content-security-policy']), /frame-ancestors 'none'/, path);
    }
    const callback = await raw(server, 'GET', '/connect/callback?state=x&code=y', { host });
    assert.equal(callback.headers['cache-control'], 'no-store');
    assert.match(String(callback.headers['content-security-policy']), /frame-ancestors/);
  });

  it('leaves /send and /health to their own rules', async () => {
    const send = await server.call('POST', '/send', { body: { to: ['a@b.example'], subject: 's', text: 't' }, csrf: false });
    assert.equal(send.status, 401, 'the service token rule, not the anti-forgery rule');
    const health = await server.call('GET', '/health');
    assert.ok([200, 503].includes(health.status));
  });
});

describe('admin token', () => {
  let server: TestServer;
  const token = 'admin-token-for-tests-0123456789';
  before(async () => {
    server = await startTestServer({ adminToken: token });
  });
  after(() => server.close());

  it('requires the bearer token, even from loopback', async () => {
    const none = await server.call('GET', '/config');
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    const wrong = await server.call('GET', '/config', { headers: { authorization: 'Bearer not-the-token' } });
    assert.equal(wrong.status, 401);
    const right = await server.call('GET', '/config', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(right.status, 200);
  });

  it('needs no anti-forgery header with the bearer token, and records the admin', async () => {
    const saved = await server.call('PUT', '/config', { body: appConfig(), csrf: false, headers: { authorization: `Bearer ${token}` } });
    assert.equal(saved.status, 200, saved.text);
    const audit = await server.call('GET', '/audit', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(audit.json.items[0].actor, 'admin-token');
    assert.ok(!audit.text.includes(token));
  });

  it('keeps /health public and /send on its own token', async () => {
    assert.ok([200, 503].includes((await server.call('GET', '/health')).status));
    assert.equal((await server.call('POST', '/send', { body: { to: ['a@b.example'], subject: 's', text: 't' }, csrf: false })).status, 401);
  });
});

describe('production mode', () => {
  it('admits no loopback caller without a token or hook, and refuses the sandbox', async () => {
    const server = await startTestServer({ production: true });
    try {
      const reply = await server.call('GET', '/config');
      assert.equal(reply.status, 403);
      assert.match(reply.json.detail, /GRAPH_MAIL_ADMIN_TOKEN/);
    } finally {
      await server.close();
    }
    await assert.rejects(startTestServer({ production: true, sandboxOrigins: ['http://127.0.0.1:8788'] }), /production/);
  });

  it('admits whom the host\'s hook admits, with the hook\'s name in the audit trail', async () => {
    const server = await startTestServer({
      authorize: (request) => (request.headers.get('x-portal-user') === 'alice' ? { id: 'portal:alice' } : { deny: 403 }),
    });
    try {
      assert.equal((await server.call('GET', '/config')).status, 403);
      const saved = await server.call('PUT', '/config', { body: appConfig(), headers: { 'x-portal-user': 'alice' } });
      assert.equal(saved.status, 200);
      const audit = await server.call('GET', '/audit', { headers: { 'x-portal-user': 'alice' } });
      assert.equal(audit.json.items[0].actor, 'portal:alice');
    } finally {
      await server.close();
    }
  });
});

describe('the default authorisation hook', () => {
  const hook = (adminToken?: string, production = false) => defaultAuthorize({ adminToken, production, tokenMatches });
  const request = (authorization?: string) => new Request('http://127.0.0.1/api/mail/config', { headers: authorization ? { authorization } : {} });

  it('admits loopback addresses only', async () => {
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.5.6.7']) assert.deepEqual(await hook()(request(), { remoteAddress: address }), { id: 'loopback' }, address);
    for (const address of ['10.0.0.5', '192.168.1.2', '::ffff:10.0.0.1', undefined]) {
      const result = await hook()(request(), { remoteAddress: address });
      assert.ok(result && 'deny' in result && result.deny === 403, String(address));
    }
  });

  it('with a token, requires it from everyone and marks the request as bearer-authenticated', async () => {
    assert.deepEqual(await hook('t0ken')(request('Bearer t0ken'), { remoteAddress: '10.0.0.5' }), { id: 'admin-token', bearer: true });
    const refused = await hook('t0ken')(request(), { remoteAddress: '127.0.0.1' });
    assert.ok(refused && 'deny' in refused && refused.deny === 401);
  });
});

describe('PUBLIC_URL', () => {
  it('names the redirect URI and the Host the server answers to', async () => {
    const server = await startTestServer({ publicUrl: 'https://mail.example.com' });
    try {
      const port = String(server.running.port);
      const direct = await fetch(`http://127.0.0.1:${server.running.port}/api/mail/config`);
      assert.equal(direct.status, 200, 'the listening port on loopback names this server too');
      const view = (await direct.json()) as { redirectUri: string };
      assert.equal(view.redirectUri, 'https://mail.example.com/api/mail/connect/callback');
      const proxied = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: server.running.port, path: '/api/mail/config', headers: { host: 'mail.example.com' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(proxied, 200);
      const rebound = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: server.running.port, path: '/api/mail/config', headers: { host: `evil.example:${port}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(rebound, 421);
    } finally {
      await server.close();
    }
  });
});
