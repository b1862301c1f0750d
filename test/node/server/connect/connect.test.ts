/**
 * The delegated connect flow end to end: the connect routes on a real socket with a real SQLite store,
 * the sandbox cloud in its own process as the identity platform and Graph. Each test drives the flow as
 * a browser would: `POST /connect`, the authorize URL on the sandbox (signed in through its control
 * API, so it redirects at once with a code), the callback, `GET /connect/status`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startSandbox, type SandboxProcess } from '../../helpers/mail-sandbox.js';
import { BASE_PATH, Browser, pageData, startConnectApp, type ConnectApp, type TestConfig } from './harness.js';

let sandbox: SandboxProcess;
let app: ConnectApp;
let delegatedConfig: TestConfig;
let noConsentConfig: TestConfig;
let member: { upn: string; mail: string; id: string };

const ALLOWED_ORIGIN = 'https://portal.contoso.test';

before(async () => {
  sandbox = await startSandbox();
  const seed = sandbox.seed;
  const [tenant] = seed.tenants;
  const web = seed.apps.filter((candidate) => (candidate as { kind?: string }).kind !== 'api' && (candidate as { kind?: string }).kind !== 'spa');
  const full = web[0];
  const withoutConsent = web.find((candidate) => candidate.delegatedPermissions.length === 0);
  assert.ok(full && withoutConsent, 'the default seed has a fully consented app and one without consent');
  delegatedConfig = { mode: 'delegated', cloud: 'sandbox', tenantId: tenant.id, clientId: full.clientId, clientSecret: full.secrets[0].value };
  noConsentConfig = { ...delegatedConfig, clientId: withoutConsent.clientId, clientSecret: withoutConsent.secrets[0].value };
  const user = seed.users.find((candidate) => candidate.kind === 'member' && candidate.tenantId === tenant.id)!;
  member = { upn: user.userPrincipalName, mail: user.mail, id: user.id };
  app = await startConnectApp({ sandboxOrigin: sandbox.origin, allowedOrigins: [ALLOWED_ORIGIN], adminTokens: { 'admin-token-1': 'admin-1', 'admin-token-2': 'admin-2' } });
});

after(async () => {
  await app?.close();
  await sandbox?.stop();
});

beforeEach(async () => {
  app.core.clockOffsetMs = 0;
  app.core.failSave = false;
  app.core.disconnect();
  app.core.saveConfig(delegatedConfig);
  await sandbox.control.clearFaults();
  await sandbox.control.session(member.upn);
});

interface Started {
  status: number;
  body: Record<string, any>;
  browser: Browser;
}

async function startConnect(body: unknown, browser = new Browser(), headers: Record<string, string> = {}): Promise<Started> {
  const response = await browser.postJson(`${app.api}/connect`, body, headers);
  return { status: response.status, body: (await response.json()) as Record<string, any>, browser };
}

/** Follows the authorize URL on the sandbox; returns where it sends the browser back to. */
async function authorize(authorizeUrl: string): Promise<URL> {
  const response = await fetch(authorizeUrl, { redirect: 'manual' });
  assert.equal(response.status, 302, `the sandbox redirects at once for a signed-in session (got ${response.status})`);
  return new URL(response.headers.get('location')!);
}

async function status(browser: Browser, state: string, headers: Record<string, string> = {}) {
  const response = await browser.fetch(`${app.api}/connect/status?state=${encodeURIComponent(state)}`, { headers });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const tokenRequests = async () => (await sandbox.control.requests()).filter((request) => request.method === 'POST' && /\/oauth2\/v2\.0\/token$/.test(request.path));

describe('POST /connect', () => {
  test('answers an authorize URL with PKCE S256, a strong state, the delegated scopes and the fixed redirect URI', async () => {
    const { status: code, body, browser } = await startConnect({ mode: 'popup' });
    assert.equal(code, 200);
    assert.deepEqual(Object.keys(body).sort(), ['authorizeUrl', 'expiresAt', 'state']);
    const url = new URL(body.authorizeUrl);
    assert.equal(url.origin, sandbox.origin);
    assert.equal(url.pathname, `/${delegatedConfig.tenantId}/oauth2/v2.0/authorize`);
    const q = url.searchParams;
    assert.equal(q.get('client_id'), delegatedConfig.clientId);
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('response_mode'), 'query');
    assert.equal(q.get('redirect_uri'), `${app.origin}${BASE_PATH}/connect/callback`);
    assert.equal(q.get('prompt'), 'select_account');
    assert.deepEqual(q.get('scope')!.split(' '), ['offline_access', 'User.Read', 'Mail.Send', 'Mail.ReadWrite']);
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(q.get('state'), body.state);
    // 43 base64url characters carry 256 bits: well over the 128 required.
    assert.match(body.state, /^[A-Za-z0-9_-]{43}$/);
    const expires = Date.parse(body.expiresAt) - Date.now();
    assert.ok(expires > 9 * 60_000 && expires <= 10 * 60_000, `expires in about 10 minutes (${expires} ms)`);

    const [cookie] = browser.setCookieLines;
    assert.ok(cookie, 'the state is bound to the browser by a cookie');
    assert.match(cookie, /;\s*HttpOnly/i);
    assert.match(cookie, /;\s*SameSite=Lax/i);
    assert.match(cookie, new RegExp(`;\\s*Path=${BASE_PATH}/connect(;|$)`, 'i'));
    assert.match(cookie, /;\s*Max-Age=600/i);
    assert.doesNotMatch(cookie, new RegExp(body.state), 'the cookie is not the state');

    const again = await startConnect({ mode: 'popup' }, browser);
    assert.notEqual(again.body.state, body.state, 'every sign-in gets its own state');
    assert.notEqual(new URL(again.body.authorizeUrl).searchParams.get('code_challenge'), q.get('code_challenge'), 'and its own PKCE pair');
  });

  test('leaves Mail.ReadWrite out when the configuration sends without drafts', async () => {
    app.core.saveConfig({ ...delegatedConfig, useDrafts: false });
    const { body } = await startConnect({ mode: 'popup' });
    assert.deepEqual(new URL(body.authorizeUrl).searchParams.get('scope')!.split(' '), ['offline_access', 'User.Read', 'Mail.Send']);
  });

  test('refuses an incomplete configuration with field errors that name the fields', async () => {
    app.core.saveConfig(null);
    const none = await startConnect({ mode: 'popup' });
    assert.equal(none.status, 400);
    assert.deepEqual(none.body.errors.map((error: { path: string }) => error.path).sort(), ['clientId', 'clientSecret', 'tenantId']);
    assert.ok(none.body.errors.every((error: { message: string }) => error.message.length > 10));

    app.core.saveConfig({ ...delegatedConfig, clientSecret: '' });
    const noSecret = await startConnect({ mode: 'popup' });
    assert.equal(noSecret.status, 400);
    assert.deepEqual(noSecret.body.errors.map((error: { path: string }) => error.path), ['clientSecret']);

    app.core.saveConfig({ ...delegatedConfig, mode: 'application' });
    const application = await startConnect({ mode: 'popup' });
    assert.equal(application.status, 400);
    assert.deepEqual(application.body.errors.map((error: { path: string }) => error.path), ['mode']);
  });

  test('refuses an authorize endpoint that points off the cloud, naming the template', async () => {
    app.core.saveConfig({ ...delegatedConfig, endpoints: { authorizeEndpoint: 'https://login.evil.example/{TenantId}/oauth2/v2.0/authorize' } });
    const { status: code, body } = await startConnect({ mode: 'popup' });
    assert.equal(code, 400);
    assert.equal(body.errors[0].path, 'endpoints.authorizeEndpoint');
    assert.match(body.errors[0].message, /login\.evil\.example/);
  });

  test('accepts returnTo only as a same-origin path, and only in redirect mode', async () => {
    for (const returnTo of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', 'admin', '/a b']) {
      const { status: code, body } = await startConnect({ mode: 'redirect', returnTo });
      assert.equal(code, 400, `refuses ${returnTo}`);
      assert.equal(body.errors[0].path, 'returnTo', `names returnTo for ${returnTo}`);
    }
    const popup = await startConnect({ mode: 'popup', returnTo: '/admin' });
    assert.equal(popup.status, 400);
    assert.equal(popup.body.errors[0].path, 'returnTo');
    const bad = await startConnect({ mode: 'tab' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].path, 'mode');
    const ok = await startConnect({ mode: 'redirect', returnTo: '/admin/mail?tab=connection' });
    assert.equal(ok.status, 200);
  });
});

describe('the full sign-in', () => {
  test('popup: connects, saves the grant, reports the account, and the page posts the message without the code', async () => {
    const { body, browser } = await startConnect({ mode: 'popup' });
    assert.deepEqual((await status(browser, body.state)).body, { state: 'pending' });

    const back = await authorize(body.authorizeUrl);
    assert.equal(`${back.origin}${back.pathname}`, app.redirectUri);
    assert.equal(back.searchParams.get('state'), body.state);
    const code = back.searchParams.get('code')!;
    assert.ok(code);

    const page = await browser.fetch(back.href);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /^text\/html/);
    assert.match(page.headers.get('cache-control')!, /no-store/);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const csp = page.headers.get('content-security-policy')!;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce, `the CSP allows scripts by nonce only: ${csp}`);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    const html = await page.text();
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((match) => match[1]);
    assert.ok(scripts.every((attributes) => attributes.includes(`nonce="${nonce}"`) || attributes.includes('type="application/json"')), 'every executable script carries the nonce');
    assert.ok(!html.includes(code), 'the page does not repeat the code');
    assert.match(html, /history\.replaceState\(null, '', location\.pathname\)/, 'the page removes the code from the address bar');
    assert.match(html, /new BroadcastChannel\(message\.state\)/);
    assert.match(html, /window\.opener\.postMessage\(message, data\.targets\[i\]\)/);
    assert.doesNotMatch(html, /postMessage\([^)]*['"]\*['"]/, 'never a wildcard target');
    const data = pageData(html);
    assert.deepEqual(data.message, { type: 'graph-mail:connect', state: body.state, ok: true, account: member.mail });
    assert.deepEqual(data.targets, [app.origin], 'posts to the server\'s own origin, the page that started it');

    assert.deepEqual((await status(browser, body.state)).body, { state: 'connected', account: member.mail });
    const saved = app.core.connection()!;
    assert.equal(saved.account, member.mail);
    assert.equal(saved.user_id, member.id);
    assert.ok(saved.refresh_token.length > 10 && saved.access_token.length > 10);
    assert.ok(saved.expires_at > Date.now());
    assert.deepEqual(saved.scopes.split(' ').sort(), ['Mail.ReadWrite', 'Mail.Send', 'User.Read']);
    assert.equal(saved.requested_scope, 'offline_access User.Read Mail.Send Mail.ReadWrite');
    assert.equal(saved.cloud, 'sandbox');
    assert.equal(saved.client_id, delegatedConfig.clientId);

    const requests = await sandbox.control.requests();
    const me = requests.filter((request) => request.method === 'GET' && request.path === '/v1.0/me');
    assert.ok(me.length >= 1 && me.at(-1)!.headers.includes('authorization'), 'the account comes from GET /me');

    // No secret of the sign-in in a response, a log line, or the database in plain text.
    const logs = JSON.stringify(app.logs);
    for (const secret of [code, saved.refresh_token, delegatedConfig.clientSecret]) assert.ok(!logs.includes(secret), 'no secret in the logs');
    const file = readFileSync(app.dbFile).toString('latin1') + readFileSync(`${app.dbFile}-wal`).toString('latin1');
    assert.ok(!file.includes(code), 'the code is never stored');
  });

  test('redirect: 303 back to returnTo with a hint and no code', async () => {
    const { body, browser } = await startConnect({ mode: 'redirect', returnTo: '/admin/mail?tab=connection' });
    const back = await authorize(body.authorizeUrl);
    const response = await browser.fetch(back.href);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/admin/mail?tab=connection&connect=ok');
    assert.match(response.headers.get('cache-control')!, /no-store/);
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    assert.deepEqual((await status(browser, body.state)).body, { state: 'connected', account: member.mail });
  });

  test('a redirect-mode failure returns with connect=failed', async () => {
    const { body, browser } = await startConnect({ mode: 'redirect' });
    const tampered = new URL(body.authorizeUrl);
    tampered.searchParams.set('code_challenge', 'A'.repeat(43));
    const back = await authorize(tampered.href);
    const response = await browser.fetch(back.href);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/?connect=failed');
    assert.equal((await status(browser, body.state)).body.state, 'failed');
  });
});

describe('the state', () => {
  test('is single use: a replayed callback is refused and redeems nothing', async () => {
    const { body, browser } = await startConnect({ mode: 'popup' });
    const back = await authorize(body.authorizeUrl);
    assert.equal((await browser.fetch(back.href)).status, 200);
    const redeemed = (await tokenRequests()).length;

    const replay = await browser.fetch(back.href);
    assert.equal(replay.status, 400);
    assert.match(replay.headers.get('cache-control')!, /no-store/);
    assert.equal(pageData(await replay.text()).message, null, 'a refused callback posts nothing');
    assert.equal((await tokenRequests()).length, redeemed, 'the code is not redeemed again');
    assert.deepEqual((await status(browser, body.state)).body, { state: 'connected', account: member.mail });
  });

  test('two callbacks racing with one state redeem the code once', async () => {
    const { body, browser } = await startConnect({ mode: 'popup' });
    const back = await authorize(body.authorizeUrl);
    const redeemed = (await tokenRequests()).length;
    const answers = await Promise.all([browser.fetch(back.href), browser.fetch(back.href), browser.fetch(back.href)]);
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 400, 400]);
    assert.equal((await tokenRequests()).length, redeemed + 1);
    assert.equal((await status(browser, body.state)).body.state, 'connected');
  });

  test('a verifier whose sealed form was tampered with fails closed', async () => {
    const { body, browser } = await startConnect({ mode: 'popup' });
    const back = await authorize(body.authorizeUrl);
    const changed = app.db.prepare(`UPDATE connect_states SET verifier = 'AAAA.BBBB.CCCC' WHERE status = 'pending'`).run().changes;
    assert.ok(changed >= 1);
    const redeemed = (await tokenRequests()).length;
    await browser.fetch(back.href);
    const { body: view } = await status(browser, body.state);
    assert.equal(view.state, 'failed');
    assert.equal(view.failure.code, 'internal');
    assert.equal((await tokenRequests()).length, redeemed, 'nothing is redeemed with a verifier that did not open');
  });

  test('started in one browser is refused in another, and stays usable for its own', async () => {
    const { body, browser } = await startConnect({ mode: 'popup' });
    const back = await authorize(body.authorizeUrl);

    const stranger = new Browser();
    await startConnect({ mode: 'popup' }, stranger); // the stranger has a binding cookie of its own
    const foreign = await stranger.fetch(back.href);
    assert.equal(foreign.status, 400);
    assert.equal(pageData(await foreign.text()).message, null);
    const noCookie = await fetch(back.href, { redirect: 'manual' });
    assert.equal(noCookie.status, 400);
    assert.equal((await status(stranger, body.state)).status, 404, 'nor can another browser read its status');
    assert.equal(app.core.connection(), null);

    assert.equal((await status(browser, body.state)).body.state, 'pending');
    assert.equal((await browser.fetch(back.href)).status, 200);
    assert.equal((await status(browser, body.state)).body.state, 'connected');
  });

  test('expires after 10 minutes', async () => {
    const { body, browser } = await startConnect({ mode: 'popup' });
    const back = await authorize(body.authorizeUrl);
    const redeemed = (await tokenRequests()).length;
    app.core.clockOffsetMs = 10 * 60_000 + 1000;
    const page = await browser.fetch(back.href);
    const data = pageData(await page.text());
    assert.equal(data.message!.ok, false);
    assert.match(String(data.message!.error), /connect_expired/);
    const { body: view } = await status(browser, body.state);
    assert.equal(view.state, 'failed');
    assert.equal(view.failure.code, 'connect_expired');
    assert.equal(app.core.connection(), null);
    assert.equal((await tokenRequests()).length, redeemed, 'an expired sign-in redeems nothing');
  });

  test('an unfinished sign-in reads as failed once expired', async () => {
    const { body, browser } = await startConnect({ mode: 'popup' });
    app.core.clockOffsetMs = 11 * 60_000;
    const { body: view } = await status(browser, body.state);
    assert.equal(view.state, 'failed');
    assert.equal(view.failure.code, 'connect_expired');
  });

  test('an unknown or malformed state is refused', async () => {
    const browser = new Browser();
    await startConnect({ mode: 'popup' }, browser);
    const unknown = await browser.fetch(`${app.api}/connect/callback?code=x&state=${'A'.repeat(43)}`);
    assert.equal(unknown.status, 400);
    const malformed = await browser.fetch(`${app.api}/connect/callback?code=x&state=%3Cscript%3E`);
    assert.equal(malformed.status, 400);
    assert.ok(!(await malformed.text()).includes('<script>alert'), 'nothing of the query is echoed');
    assert.equal((await status(browser, 'A'.repeat(43))).status, 404);
  });

  test('bound to the admin of a bearer token when the sign-in started with one', async () => {
    const admin = new Browser({ authorization: 'Bearer admin-token-1' });
    const { status: code, body } = await startConnect({ mode: 'popup' }, admin);
    assert.equal(code, 200);
    assert.equal(admin.setCookieLines.length, 0, 'no cookie for a bearer-bound sign-in');
    assert.equal((await status(admin, body.state)).body.state, 'pending');
    assert.equal((await status(new Browser({ authorization: 'Bearer admin-token-2' }), body.state)).status, 404, 'another admin cannot read it');
    assert.equal((await status(new Browser(), body.state)).status, 404, 'nor a browser without the bearer');

    // The popup's navigation to the callback carries no bearer: the single-use state binds it there.
    const back = await authorize(body.authorizeUrl);
    const page = await new Browser().fetch(back.href);
    assert.equal(page.status, 200);
    assert.equal((await status(admin, body.state)).body.state, 'connected');
  });

  test('posts to the origin of the page that started the sign-in when it is allowed, and only then', async () => {
    const allowed = await startConnect({ mode: 'popup' }, new Browser(), { origin: ALLOWED_ORIGIN });
    const back = await authorize(allowed.body.authorizeUrl);
    assert.deepEqual(pageData(await (await allowed.browser.fetch(back.href)).text()).targets, [ALLOWED_ORIGIN]);

    const other = await startConnect({ mode: 'popup' }, new Browser(), { origin: 'https://evil.example' });
    const back2 = await authorize(other.body.authorizeUrl);
    assert.deepEqual(pageData(await (await other.browser.fetch(back2.href)).text()).targets, [app.origin]);
  });
});

describe('failures reported by the identity platform and Graph', () => {
  test('a declined consent comes back as access_denied and is reported with a hint', async () => {
    await sandbox.control.session(null as unknown as string);
    const { body, browser } = await startConnect({ mode: 'popup' });
    const signIn = await fetch(body.authorizeUrl, { redirect: 'manual' });
    assert.equal(signIn.status, 200, 'without a session the sandbox shows its sign-in page');
    const signInHtml = await signIn.text();
    const ctx = /name="ctx" value="([^"]+)"/.exec(signInHtml)![1];
    const action = new URL(/<form method="post" action="([^"]+)"/.exec(signInHtml)![1].replace(/&amp;/g, '&'), sandbox.origin).href;
    const post = (form: Record<string, string>) =>
      fetch(action, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
    const consent = await post({ ctx, username: member.upn });
    assert.equal(consent.status, 200);
    const declined = await post({ ctx, consent: 'cancel' });
    assert.equal(declined.status, 302);
    const back = new URL(declined.headers.get('location')!);
    assert.equal(back.searchParams.get('error'), 'access_denied');

    const page = await browser.fetch(back.href);
    const html = await page.text();
    const data = pageData(html);
    assert.equal(data.message!.ok, false);
    assert.match(String(data.message!.error), /AADSTS65004/);
    const description = back.searchParams.get('error_description')!;
    assert.ok(!html.includes(description.split('\r\n')[0].slice(12)), 'the upstream description is not copied');
    const { body: view } = await status(browser, body.state);
    assert.equal(view.state, 'failed');
    assert.equal(view.failure.code, 'AADSTS65004');
    assert.match(view.failure.hint, /Accept/);
    assert.equal(app.core.connection(), null);
  });

  test('an error redirect without a known code is mapped from the OAuth error', async () => {
    const { body, browser } = await startConnect({ mode: 'popup' });
    const page = await browser.fetch(`${app.api}/connect/callback?error=access_denied&error_description=${encodeURIComponent('<b>raw text</b>')}&state=${body.state}`);
    const html = await page.text();
    assert.ok(!html.includes('raw text'), 'never the raw description');
    const { body: view } = await status(browser, body.state);
    assert.equal(view.state, 'failed');
    assert.equal(view.failure.code, 'access_denied');
    assert.ok(view.failure.hint.length > 10);
    assert.match(view.error, /access_denied/);
  });

  test('missing consent at the token endpoint (AADSTS65001) fails with the consent hint', async () => {
    app.core.saveConfig(noConsentConfig);
    const { body, browser } = await startConnect({ mode: 'popup' });
    const back = await authorize(body.authorizeUrl);
    const page = await browser.fetch(back.href);
    assert.equal(pageData(await page.text()).message!.ok, false);
    const { body: view } = await status(browser, body.state);
    assert.equal(view.state, 'failed');
    assert.equal(view.failure.code, 'AADSTS65001');
    assert.match(view.failure.hint, /consent/i);
    assert.match(view.failure.hint, /Mail\.Send/);
    assert.equal(app.core.connection(), null);
  });

  test('the PKCE verifier is checked: a tampered challenge makes the redemption fail', async () => {
    const { body, browser } = await startConnect({ mode: 'popup' });
    const tampered = new URL(body.authorizeUrl);
    tampered.searchParams.set('code_challenge', 'B'.repeat(43));
    const back = await authorize(tampered.href);
    await browser.fetch(back.href);
    const { body: view } = await status(browser, body.state);
    assert.equal(view.state, 'failed');
    assert.equal(view.failure.code, 'AADSTS501481');
    assert.equal(app.core.connection(), null);
  });

  test('a code of another sign-in does not redeem with this sign-in\'s verifier', async () => {
    const victim = await startConnect({ mode: 'popup' });
    const stolen = await authorize(victim.body.authorizeUrl);
    const attacker = await startConnect({ mode: 'popup' });
    const page = await attacker.browser.fetch(`${app.api}/connect/callback?code=${encodeURIComponent(stolen.searchParams.get('code')!)}&state=${attacker.body.state}`);
    assert.equal(pageData(await page.text()).message!.ok, false);
    const { body: view } = await status(attacker.browser, attacker.body.state);
    assert.equal(view.failure.code, 'AADSTS501481');
  });

  test('a redirect from the token endpoint is not followed', async () => {
    await sandbox.control.fault({ match: { method: 'POST', path: '/oauth2/v2\\.0/token$' }, status: 307, headers: { location: 'http://127.0.0.1:9/steal' }, times: 1 });
    const { body, browser } = await startConnect({ mode: 'popup' });
    const back = await authorize(body.authorizeUrl);
    await browser.fetch(back.href);
    const { body: view } = await status(browser, body.state);
    assert.equal(view.state, 'failed');
    assert.equal(view.failure.code, 'REDIRECT');
  });

  test('a changed configuration during the sign-in is not redeemed', async () => {
    const { body, browser } = await startConnect({ mode: 'popup' });
    const back = await authorize(body.authorizeUrl);
    const before = (await tokenRequests()).length;
    app.core.saveConfig(noConsentConfig);
    await browser.fetch(back.href);
    const { body: view } = await status(browser, body.state);
    assert.equal(view.failure.code, 'connect_config_changed');
    assert.equal((await tokenRequests()).length, before, 'nothing is sent to the token endpoint');
  });

  test('a core that cannot save the grant makes the sign-in fail', async () => {
    app.core.failSave = true;
    const { body, browser } = await startConnect({ mode: 'popup' });
    const back = await authorize(body.authorizeUrl);
    await browser.fetch(back.href);
    const { body: view } = await status(browser, body.state);
    assert.equal(view.state, 'failed');
    assert.equal(view.failure.code, 'save_failed');
  });
});

describe('POST /disconnect', () => {
  test('forgets the tokens, unlocks, answers the ConfigView, and ends sign-ins in progress', async () => {
    const first = await startConnect({ mode: 'popup' });
    await first.browser.fetch((await authorize(first.body.authorizeUrl)).href);
    assert.ok(app.core.connection());

    const pending = await startConnect({ mode: 'popup' }, first.browser);
    const back = await authorize(pending.body.authorizeUrl);

    const response = await first.browser.postJson(`${app.api}/disconnect`, {});
    assert.equal(response.status, 200);
    assert.match(response.headers.get('cache-control')!, /no-store/);
    const view = (await response.json()) as Record<string, any>;
    assert.equal(view.locked, false);
    assert.equal(view.connection.state, 'disconnected');
    assert.equal(view.redirectUri, app.redirectUri);
    assert.equal(app.core.connection(), null);

    const late = await first.browser.fetch(back.href);
    assert.equal(late.status, 400, 'a sign-in started before the disconnect cannot connect after it');
    assert.equal(app.core.connection(), null);
    const { body: status2 } = await status(first.browser, pending.body.state);
    assert.equal(status2.failure.code, 'connect_cancelled');
  });
});
