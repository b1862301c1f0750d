// A host page on another origin (the demo's PORT+3) using the server with Entra ID tokens, in Chromium
// against `npm start`: the admin signs in to the sandbox's identity platform over HTTPS with
// msal-browser (popup, redirect bridge, the platform's COOP), then saves the settings, connects, runs
// the test and reads the log, CSV and live feed included, every call carrying the bearer and no
// cookie. A signed-in user without the Mail.Admin role gets 403; a token for another audience or
// signed by another key gets 401; an origin the server does not list gets no CORS and the browser's
// fetch fails. The same-origin portal keeps working beside it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { ROOT, launchBrowser, openPage, startDemo, trustSandboxTls, type Demo, eventually, signInPopup } from './helpers/demo.js';

const shots = join(ROOT, 'test-results', 'e2e');
mkdirSync(shots, { recursive: true });

interface SeedApp {
  tenantId: string;
  clientId: string;
  kind?: string;
  identifierUri?: string;
  secrets: Array<{ id: string; value: string }>;
}
interface Seed {
  apps: SeedApp[];
  users: Array<{ id: string; userPrincipalName: string; kind: string; tenantId: string }>;
}
interface CrossOriginInfo {
  apiUrl: string;
  msal: { clientId: string; authority: string; scopes: string[] };
  sandbox: { admins: string[]; users: string[] };
}

const ADMIN = 'adele.vance@contoso.onmicrosoft.com';
const NOT_ADMIN = 'alex.wilber@contoso.onmicrosoft.com';

/** A page's `fetch` of `url` with a bearer, run in the page (a string: nothing of the test's transpiler leaks in). */
async function fetchInPage(page: Page, url: string, token: string): Promise<{ status: number; detail?: string } | { failed: string }> {
  return (await page.evaluate(`(async () => {
    try {
      const response = await fetch(${JSON.stringify(url)}, { headers: { Authorization: 'Bearer ' + ${JSON.stringify(token)} } });
      const body = await response.json().catch(() => ({}));
      return { status: response.status, detail: body.detail };
    } catch (error) {
      return { failed: error.name + ': ' + error.message };
    }
  })()`)) as { status: number; detail?: string } | { failed: string };
}

describe('a host page on another origin, with Entra ID tokens from msal-browser', { timeout: 300_000 }, () => {
  let demo: Demo;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let seed: Seed;
  let info: CrossOriginInfo;
  let pageOrigin: string;
  /** Every request the cross-origin page made to the mail API. */
  const apiRequests: Request[] = [];
  /** The Cross-Origin-Opener-Policy of each sign-in page the sandbox served. */
  const signInCoop: Array<string | null> = [];

  before(async () => {
    demo = await startDemo({ env: { GRAPH_MAIL_TEST_PER_MINUTE: '50' } });
    pageOrigin = `http://127.0.0.1:${demo.port + 3}`;
    seed = (await (await fetch(`${demo.sandboxUrl}/sandbox/seed`)).json()) as Seed;
    info = (await (await fetch(`${pageOrigin}/demo/cross-origin.json`)).json()) as CrossOriginInfo;
    browser = await launchBrowser(trustSandboxTls(demo));
    ({ context, page, errors } = await openPage(browser, `${pageOrigin}/`));
    page.on('request', (request) => {
      if (request.url().startsWith(info.apiUrl)) apiRequests.push(request);
    });
    context.on('response', async (response) => {
      if (/\/oauth2\/v2\.0\/authorize/.test(response.url()) && response.request().method() === 'GET') {
        signInCoop.push((await response.allHeaders())['cross-origin-opener-policy'] ?? null);
      }
    });
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('prints the cross-origin page with the other URLs and lists its origin for CORS only', async () => {
    assert.match(demo.output(), new RegExp(`cross-origin page +${pageOrigin.replace(/[.]/g, '\\.')}/`));
    assert.equal(info.apiUrl, `${demo.url}/api/mail`);
    assert.match(info.msal.authority, /^https:\/\/127\.0\.0\.1:\d+\//, 'MSAL signs in over HTTPS');
    assert.deepEqual(info.sandbox.admins, [ADMIN]);
    const preflight = await fetch(`${info.apiUrl}/config`, {
      method: 'OPTIONS',
      headers: { origin: pageOrigin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, content-type, if-match' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), pageOrigin);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/);
  });

  it('signs the admin in with msal-browser in a popup, through the redirect bridge, under the platform\'s COOP', async () => {
    // Nothing is asked of the server before someone is signed in.
    assert.equal(await page.locator('email-config-form').isVisible(), false);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Sign in with Microsoft' }).click()]);
    await signInPopup(popup, ADMIN);
    await page.getByText(`Signed in as ${ADMIN}`).waitFor({ timeout: 30_000 });
    // The sign-in page sent COOP: same-origin, as the real one does; the answer still came back,
    // through the bridge page's BroadcastChannel rather than window.opener.
    assert.ok(signInCoop.length >= 1);
    assert.ok(signInCoop.every((value) => value === 'same-origin'), JSON.stringify(signInCoop));
    const bridge = await fetch(`${pageOrigin}/redirect.html`);
    assert.equal(bridge.status, 200);
    assert.match(await bridge.text(), /<script type="module"/);
    // No authorization code is left in the page's address.
    assert.doesNotMatch(page.url(), /code=|state=/);
  });

  it('saves the settings through the server with the bearer token, no cookie and no anti-forgery header', async () => {
    const app = seed.apps[0];
    const form = page.locator('email-config-form');
    await form.getByRole('combobox', { name: 'Domain' }).selectOption('sandbox');
    await form.getByRole('textbox', { name: 'Tenant ID', exact: true }).fill(app.tenantId);
    await form.getByRole('textbox', { name: 'Application (client) ID', exact: true }).fill(app.clientId);
    await form.getByRole('textbox', { name: 'Client secret', exact: true }).fill(app.secrets[0].value);
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Settings saved.').waitFor();
    const config = (await (await fetch(`${demo.url}/api/mail/config`)).json()) as { tenantId: string; cloud: string; secret: { set: boolean } };
    assert.equal(config.tenantId, app.tenantId);
    assert.equal(config.cloud, 'sandbox');
    assert.equal(config.secret.set, true);

    const put = apiRequests.find((request) => request.method() === 'PUT' && request.url().endsWith('/config'));
    assert.ok(put, 'the form saved with PUT /config');
    const headers = await put.allHeaders();
    assert.match(headers.authorization ?? '', /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal(headers['x-requested-with'], undefined, 'a bearer request needs no anti-forgery header');
    assert.equal(headers.cookie, undefined);
    const claims = decodeJwt(headers.authorization!.slice('Bearer '.length));
    // A v2 token names the API by its client id.
    assert.equal(claims.aud, seed.apps.find((candidate) => candidate.kind === 'api')!.clientId);
    assert.deepEqual(claims.roles, ['Mail.Admin']);
    for (const request of apiRequests) assert.ok((await request.allHeaders()).authorization, `${request.method()} ${request.url()} went without the token`);
  });

  it('connects in a popup (the sign-in bound to the admin of the bearer) and locks the settings', async () => {
    const form = page.locator('email-config-form');
    const [popup] = await Promise.all([page.waitForEvent('popup'), form.getByRole('button', { name: 'Connect Azure Email' }).click()]);
    await signInPopup(popup, ADMIN);
    await page.getByText(`Connected to ${ADMIN}`).first().waitFor({ timeout: 30_000 });
    await eventually(async () => !(await form.getByRole('textbox', { name: 'Tenant ID', exact: true }).isEditable()), 'the tenant is locked while connected');
    const start = apiRequests.find((request) => request.method() === 'POST' && request.url().endsWith('/connect'));
    assert.ok(start && (await start.allHeaders()).authorization, 'POST /connect carried the bearer');
    await page.screenshot({ path: join(shots, 'cross-origin-connected.png'), fullPage: true });
  });

  it('runs the test; the log row arrives by the live feed, and the CSV downloads with the token', async () => {
    const to = 'alex.wilber@contoso.onmicrosoft.com';
    const form = page.locator('email-config-form');
    await form.getByRole('button', { name: 'Test Settings' }).click();
    await form.getByRole('textbox', { name: 'Send test to', exact: true }).fill(to);
    await form.getByRole('button', { name: 'Send test' }).click();
    await page.getByText('All checks passed: the test message was sent.').waitFor({ timeout: 60_000 });
    const mailbox = (await (await fetch(`${demo.sandboxUrl}/sandbox/mailbox?to=${encodeURIComponent(to)}`)).json()) as { messages: unknown[] };
    assert.equal(mailbox.messages.length, 1, 'exactly one delivery');

    const log = page.locator('notification-log');
    // No Refresh: the row comes over GET /log/stream, read with fetch because EventSource cannot send a bearer.
    await log.getByRole('row').filter({ hasText: to }).first().waitFor({ timeout: 20_000 });
    const stream = apiRequests.find((request) => request.url().endsWith('/log/stream'));
    assert.ok(stream, 'the live feed was requested');
    assert.match((await stream.allHeaders()).authorization ?? '', /^Bearer /);
    await page.screenshot({ path: join(shots, 'cross-origin-log.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), log.getByRole('button', { name: 'Export CSV' }).click()]);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.match(csv, new RegExp(to.replace(/[.]/g, '\\.')));
    const export_ = apiRequests.find((request) => request.url().includes('/log.csv'));
    assert.ok(export_, 'the CSV was fetched, not linked');
    assert.match((await export_.allHeaders()).authorization ?? '', /^Bearer /);
  });

  it('refuses a signed-in user without the Mail.Admin role with 403', async () => {
    const other = await browser.newContext();
    try {
      const otherPage = await other.newPage();
      await otherPage.goto(`${pageOrigin}/`);
      const [popup] = await Promise.all([otherPage.waitForEvent('popup'), otherPage.getByRole('button', { name: 'Sign in with Microsoft' }).click()]);
      const refused = otherPage.waitForResponse((response) => response.url() === `${info.apiUrl}/config` && response.request().method() === 'GET');
      await signInPopup(popup, NOT_ADMIN);
      const response = await refused;
      assert.equal(response.status(), 403);
      assert.match((await response.allHeaders())['www-authenticate'] ?? '', /^Bearer error="insufficient_scope"/);
      const problem = (await response.json()) as { detail: string };
      assert.match(problem.detail, /not a mail administrator/);
      await otherPage.getByText('You are not allowed to change the mail settings. Sign in as an administrator.').waitFor();
      await otherPage.screenshot({ path: join(shots, 'cross-origin-not-admin.png'), fullPage: true });
    } finally {
      await other.close();
    }
  });

  /** Tokens as the page's SPA registration gets them (authorization code with PKCE, no secret). */
  async function spaTokens(username: string, scope: string): Promise<{ access_token: string }> {
    const spa = seed.apps.find((candidate) => candidate.kind === 'spa')!;
    const redirectUri = `${pageOrigin}/redirect.html`;
    const session = await fetch(`${demo.sandboxUrl}/sandbox/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username }) });
    assert.equal(session.status, 200);
    try {
      const verifier = randomBytes(32).toString('base64url');
      const authorize = new URL(`${demo.sandboxUrl}/${spa.tenantId}/oauth2/v2.0/authorize`);
      authorize.search = new URLSearchParams({
        client_id: spa.clientId,
        response_type: 'code',
        redirect_uri: redirectUri,
        scope,
        state: randomBytes(16).toString('hex'),
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      const redirect = await fetch(authorize, { redirect: 'manual' });
      const code = new URL(redirect.headers.get('location') ?? '', redirectUri).searchParams.get('code');
      assert.ok(code, 'the sandbox answered with a code');
      const answer = await fetch(`${demo.sandboxUrl}/${spa.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: pageOrigin },
        body: new URLSearchParams({ grant_type: 'authorization_code', client_id: spa.clientId, code, redirect_uri: redirectUri, code_verifier: verifier }),
      });
      assert.equal(answer.status, 200);
      return (await answer.json()) as { access_token: string };
    } finally {
      await fetch(`${demo.sandboxUrl}/sandbox/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: null }) });
    }
  }

  it('refuses with 401 a token for another audience (the admin\'s Graph token) and one signed by another key', async () => {
    const configUrl = `${info.apiUrl}/config`;
    // Another page of the same origin, so that the refusals' console lines stay out of the main page's.
    const probe = await context.newPage();
    await probe.goto(`${pageOrigin}/demo/cross-origin.json`);
    const genuine = (await spaTokens(ADMIN, info.msal.scopes.join(' '))).access_token;
    assert.deepEqual(await fetchInPage(probe, configUrl, genuine), { status: 200, detail: undefined });

    const graph = (await spaTokens(ADMIN, 'openid User.Read')).access_token;
    const wrongAudience = await fetchInPage(probe, configUrl, graph);
    assert.equal('status' in wrongAudience && wrongAudience.status, 401, JSON.stringify(wrongAudience));
    assert.match('detail' in wrongAudience ? (wrongAudience.detail ?? '') : '', /issued for another API/);

    // The admin's own claims, re-signed with a key the tenant never published.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await new SignJWT(decodeJwt(genuine)).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'not-published' }).sign(privateKey);
    const wrongKey = await fetchInPage(probe, configUrl, forged);
    assert.equal('status' in wrongKey && wrongKey.status, 401, JSON.stringify(wrongKey));
    assert.match('detail' in wrongKey ? (wrongKey.detail ?? '') : '', /key the tenant does not publish/);
    await probe.close();
  });

  it('gives an origin it does not list no CORS: the browser\'s fetch fails even with the admin\'s valid token', async () => {
    const token = (await spaTokens(ADMIN, info.msal.scopes.join(' '))).access_token;
    // The sandbox cloud's own page: a loopback origin the server does not list.
    const elsewhere = await context.newPage();
    try {
      await elsewhere.goto(`${demo.sandboxUrl}/`);
      const result = await fetchInPage(elsewhere, `${info.apiUrl}/config`, token);
      assert.ok('failed' in result, `the fetch should fail, got ${JSON.stringify(result)}`);
      assert.match(result.failed, /TypeError/);
    } finally {
      await elsewhere.close();
    }
    for (const method of ['OPTIONS', 'GET']) {
      const answer = await fetch(`${info.apiUrl}/config`, {
        method,
        headers: { origin: demo.sandboxUrl, authorization: `Bearer ${token}`, ...(method === 'OPTIONS' ? { 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } : {}) },
      });
      assert.equal(answer.status, 403, method);
      assert.equal(answer.headers.get('access-control-allow-origin'), null, method);
    }
  });

  it('leaves the same-origin portal on the server\'s own origin working without a token', async () => {
    const portal = await context.newPage();
    try {
      await portal.goto(`${demo.url}/`);
      await eventually(async () => (await portal.getByRole('textbox', { name: 'Tenant ID', exact: true }).inputValue().catch(() => '')) === seed.apps[0].tenantId, 'the portal shows the saved tenant');
      await portal.getByText(`Connected to ${ADMIN}`).first().waitFor();
    } finally {
      await portal.close();
    }
  });

  it('logged no page error on the cross-origin page', () => {
    assert.deepEqual(errors, []);
  });
});
