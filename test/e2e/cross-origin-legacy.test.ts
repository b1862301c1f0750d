// The legacy page on another origin (the demo's PORT+3 /legacy.html), in Chromium against `npm start`:
// one classic <script src> of the one-tag bundle, no module, no import map, configuration by attributes
// only. The msal-* attributes make the bundle load graph-mail-elements.msal.js (once, for every element)
// and present an Entra ID token from the sandbox: the admin signs in from the form's Retry (a popup needs
// a click), with the page itself as the redirect URI, then saves, connects, tests and reads the log, every
// call with the bearer and no cookie. The same-origin legacy page on PORT never fetches the msal script;
// a missing attribute is named where the element shows its error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { ROOT, launchBrowser, openPage, startDemo, trustSandboxTls, type Demo, eventually, signInPopup } from './helpers/demo.js';

const shots = join(ROOT, 'test-results', 'e2e');
mkdirSync(shots, { recursive: true });

const ADMIN = 'adele.vance@contoso.onmicrosoft.com';
const MSAL_SCRIPT = /\/graph-mail-elements\.msal\.js(\?|$)/;

interface Seed {
  apps: Array<{ tenantId: string; clientId: string; kind?: string; secrets: Array<{ value: string }> }>;
}

describe('the legacy page on another origin, with Entra ID tokens by attributes', { timeout: 300_000 }, () => {
  let demo: Demo;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let seed: Seed;
  let pageOrigin: string;
  let apiUrl: string;
  /** Every request of the cross-origin legacy page's context: the page, its popups and its scripts. */
  const requests: Request[] = [];
  /** The page's own requests to the mail API (a popup's navigation to the connect URL carries no bearer, by design). */
  const apiRequests: Request[] = [];

  before(async () => {
    demo = await startDemo({ env: { GRAPH_MAIL_TEST_PER_MINUTE: '50' } });
    pageOrigin = `http://127.0.0.1:${demo.port + 3}`;
    apiUrl = `${demo.url}/api/mail`;
    seed = (await (await fetch(`${demo.sandboxUrl}/sandbox/seed`)).json()) as Seed;
    browser = await launchBrowser(trustSandboxTls(demo));
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('never fetches the msal script on the same-origin legacy page, which has no msal-* attribute', async () => {
    const same = await openPage(browser, 'about:blank');
    const fetched: string[] = [];
    same.context.on('request', (request) => fetched.push(request.url()));
    try {
      await same.page.goto(`${demo.url}/legacy.html`);
      await same.page.locator('notification-log').getByText('No messages have been sent yet.').waitFor();
      await same.page.getByRole('textbox', { name: 'Tenant ID', exact: true }).waitFor();
      assert.ok(fetched.some((url) => url.endsWith('/dist/graph-mail-elements.bundle.js')), fetched.join('\n'));
      assert.deepEqual(fetched.filter((url) => MSAL_SCRIPT.test(url)), []);
      assert.equal(await same.page.evaluate('typeof window.GraphMailMsal'), 'undefined');
      assert.deepEqual(same.errors, []);
    } finally {
      await same.context.close();
    }
  });

  it('serves a page with one classic script and the msal-* attributes; the bundle loads the msal script once, from beside itself', async () => {
    const html = await (await fetch(`${pageOrigin}/legacy.html`)).text();
    assert.deepEqual([...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]), ['<script src="/dist/graph-mail-elements.bundle.js">']);
    assert.match(html, /msal-client-id="[0-9a-f-]{36}"/);
    assert.doesNotMatch(html, /msal-redirect-uri|msal-src/, 'the defaults are what this page proves');

    ({ context, page, errors } = await openPage(browser, 'about:blank'));
    context.on('request', (request) => requests.push(request));
    page.on('request', (request) => {
      if (request.url().startsWith(apiUrl)) apiRequests.push(request);
    });
    await page.goto(`${pageOrigin}/legacy.html`);
    // Nobody is signed in and no click asked for a popup: the form says so and offers Retry.
    const form = page.locator('email-config-form');
    await form.getByText('Sign in with your administrator account to change the mail settings: select Retry.').waitFor({ timeout: 20_000 });
    await form.getByRole('button', { name: 'Retry' }).waitFor();
    const log = page.locator('notification-log');
    await log.getByText(/Sign-in required/).waitFor();
    const scripts = requests.filter((request) => MSAL_SCRIPT.test(request.url()));
    assert.deepEqual(scripts.map((request) => request.url()), [`${pageOrigin}/dist/graph-mail-elements.msal.js`], 'one fetch for both elements');
    assert.equal(await page.evaluate(`[...document.scripts].filter((s) => /msal/.test(s.src)).map((s) => s.type || 'classic').join()`), 'classic');
    assert.equal(apiRequests.length, 0, 'no request goes to the API without a token');
  });

  it('signs in from the form\'s Retry in a popup that returns to the page itself, and loads with the token', async () => {
    const form = page.locator('email-config-form');
    const [popup] = await Promise.all([page.waitForEvent('popup'), form.getByRole('button', { name: 'Retry' }).click()]);
    await signInPopup(popup, ADMIN);
    await form.getByRole('textbox', { name: 'Tenant ID', exact: true }).waitFor({ timeout: 30_000 });
    // The popup came back to /legacy.html, where the msal script handed the answer over and closed it.
    const landed = requests.filter((request) => request.frame() !== page.mainFrame() && request.url().startsWith(`${pageOrigin}/legacy.html`));
    assert.ok(landed.length >= 1, 'the sign-in returned to the legacy page');
    await eventually(async () => popup.isClosed(), 'the popup closed after handing the answer back');
    assert.equal(new URL(page.url()).search, '');
    // The log asks again without a second sign-in.
    const log = page.locator('notification-log');
    await log.getByRole('button', { name: 'Try again' }).click();
    await log.getByText('No messages have been sent yet.').waitFor();
    const get = apiRequests.find((request) => request.url() === `${apiUrl}/config` && request.method() === 'GET');
    assert.ok(get, 'GET /config went out');
    const headers = await get.allHeaders();
    assert.match(headers.authorization ?? '', /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    assert.deepEqual(decodeJwt(headers.authorization!.slice('Bearer '.length)).roles, ['Mail.Admin']);
    assert.equal(requests.filter((request) => MSAL_SCRIPT.test(request.url()) && request.frame() === page.mainFrame()).length, 1, 'still one msal script');
  });

  it('saves, connects, runs the test and reads the log cross-origin, each call with the bearer and no cookie', async () => {
    const app = seed.apps[0];
    const form = page.locator('email-config-form');
    await form.getByRole('combobox', { name: 'Domain' }).selectOption('sandbox');
    await form.getByRole('textbox', { name: 'Tenant ID', exact: true }).fill(app.tenantId);
    await form.getByRole('textbox', { name: 'Application (client) ID', exact: true }).fill(app.clientId);
    await form.getByRole('textbox', { name: 'Client secret', exact: true }).fill(app.secrets[0].value);
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Settings saved.').waitFor();
    const config = (await (await fetch(`${apiUrl}/config`)).json()) as { tenantId: string };
    assert.equal(config.tenantId, app.tenantId);

    const [popup] = await Promise.all([page.waitForEvent('popup'), form.getByRole('button', { name: 'Connect Azure Email' }).click()]);
    await signInPopup(popup, ADMIN);
    await page.getByText(`Connected to ${ADMIN}`).first().waitFor({ timeout: 30_000 });

    const to = 'alex.wilber@contoso.onmicrosoft.com';
    await form.getByRole('button', { name: 'Test Settings' }).click();
    await form.getByRole('textbox', { name: 'Send test to', exact: true }).fill(to);
    await form.getByRole('button', { name: 'Send test' }).click();
    await page.getByText('All checks passed: the test message was sent.').waitFor({ timeout: 60_000 });
    // The row arrives over the live feed, read with fetch and the token.
    await page.locator('notification-log').getByRole('row').filter({ hasText: to }).first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(shots, 'cross-origin-legacy.png'), fullPage: true });

    const api = apiRequests;
    for (const [method, path] of [['PUT', '/config'], ['POST', '/connect'], ['POST', '/test'], ['GET', '/log/stream']]) {
      assert.ok(api.some((request) => request.method() === method && new URL(request.url()).pathname.endsWith(path)), `${method} ${path} went out`);
    }
    for (const request of api) {
      const headers = await request.allHeaders();
      assert.match(headers.authorization ?? '', /^Bearer /, `${request.method()} ${request.url()} went without the token`);
      assert.equal(headers.cookie, undefined);
      assert.equal(headers.requestverificationtoken, undefined);
      assert.equal(headers['x-requested-with'], undefined);
    }
  });

  it('names a missing msal-* attribute in the element\'s error, and logged no page error', async () => {
    const other = await browser.newContext();
    try {
      const probe = await other.newPage();
      await probe.goto(`${pageOrigin}/legacy.html`);
      await probe.locator('notification-log').getByText(/Sign-in required|No messages|\d/).first().waitFor();
      await probe.evaluate(`(() => {
        const host = document.getElementById('content');
        const box = document.createElement('div');
        box.setAttribute('msal-scope', '');
        box.innerHTML = '<notification-log id="no-scope"></notification-log>';
        host.append(box);
      })()`);
      await probe.locator('#no-scope').getByText('msal-scope is missing').waitFor();
    } finally {
      await other.close();
    }
    assert.deepEqual(errors, []);
  });
});
