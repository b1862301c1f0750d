// The sign-in paths that are not the happy popup: a blocked popup falls back to a full-page redirect
// and resumes on return; a redirect URI that the app registration does not list stops at the identity
// platform's error page (AADSTS50011), and the page says what to register.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchBrowser, startDemo, type Demo } from './helpers/demo.js';

interface Seed {
  apps: Array<{ tenantId: string; clientId: string; displayName: string; secrets: Array<{ value: string }> }>;
  users: Array<{ userPrincipalName: string; kind: string }>;
}

describe('sign-in paths', () => {
  let demo: Demo;
  let browser: Browser;
  let seed: Seed;

  const save = async (config: Record<string, unknown>) => {
    const response = await fetch(`${demo.url}/api/mail/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'graph-mail' },
      body: JSON.stringify({ mode: 'delegated', cloud: 'sandbox', fromName: '', fromAddress: '', saveToSentItems: true, ...config }),
    });
    assert.equal(response.status, 200, await response.text());
  };

  before(async () => {
    demo = await startDemo();
    seed = (await (await fetch(`${demo.sandboxUrl}/sandbox/seed`)).json()) as Seed;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('falls back to a full-page redirect when the popup is blocked, and resumes connected on return', async () => {
    const app = seed.apps[0];
    await save({ tenantId: app.tenantId, clientId: app.clientId, clientSecret: app.secrets[0].value });
    const user = seed.users.find((u) => u.kind === 'member')!.userPrincipalName;
    // As a browser already signed in with consent given: the authorize request redirects at once.
    await fetch(`${demo.sandboxUrl}/sandbox/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user }) });
    const context = await browser.newContext();
    await context.addInitScript('window.open = () => null;');
    const page = await context.newPage();
    await page.goto(`${demo.url}/`);
    await page.getByRole('button', { name: 'Connect Azure Email' }).click();
    await page.waitForURL((url) => url.origin === demo.url && url.pathname === '/', { timeout: 30_000 });
    await page.getByText(`Connected to ${user}`).first().waitFor({ timeout: 30_000 });
    assert.doesNotMatch(page.url(), /[?&](code|state)=/, 'no code or state left in the address');
    const config = (await (await fetch(`${demo.url}/api/mail/config`)).json()) as { connection: { state: string; account: string } };
    assert.equal(config.connection.state, 'connected');
    assert.equal(config.connection.account, user);
    await context.close();
    await fetch(`${demo.url}/api/mail/disconnect`, { method: 'POST', headers: { 'x-requested-with': 'graph-mail', 'content-type': 'application/json' }, body: '{}' });
  });

  it('stops at the identity platform error page when the redirect URI is not registered', async () => {
    // The portal's single-page app registration lists only its own pages as redirect URIs.
    const spa = seed.apps.find((a) => /portal/i.test(a.displayName))!;
    await save({ tenantId: spa.tenantId, clientId: spa.clientId, clientSecret: 'Some~SecretValue0123456789abcdefghijklmn' });
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${demo.url}/`);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Connect Azure Email' }).click()]);
    await popup.getByText(/AADSTS50011/).first().waitFor({ timeout: 30_000 });
    // What to register is on the admin's page, with a copy button.
    const redirectUri = await page.getByRole('textbox', { name: 'Redirect URI' }).inputValue();
    assert.equal(redirectUri, `${demo.url}/api/mail/connect/callback`);
  });
});
