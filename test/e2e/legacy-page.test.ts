// The legacy page: a WebForms-shaped page (one outer <form>, view state, an anti-forgery token, a
// default-button script on Enter, an UpdatePanel) that loads the one-tag bundle with a classic script
// and configures the elements by attributes only.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ROOT, launchBrowser, openPage, startDemo, type Demo } from './helpers/demo.js';

const shots = join(ROOT, 'test-results', 'e2e');
mkdirSync(shots, { recursive: true });

describe('the legacy WebForms page', () => {
  let demo: Demo;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const apiRequests: string[] = [];

  const postbacks = async () => ((await (await fetch(`${demo.url}/demo/info.json`)).json()) as { postbacks: number }).postbacks;

  before(async () => {
    demo = await startDemo();
    browser = await launchBrowser();
    ({ page, errors } = await openPage(browser, `${demo.url}/legacy.html`));
    page.on('request', (request) => {
      if (request.url().includes('/api/mail/')) apiRequests.push(`${request.method()} ${new URL(request.url()).pathname}`);
    });
    await page.getByRole('textbox', { name: 'Tenant ID', exact: true }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('renders the elements from one classic script tag, configured by attributes', async () => {
    const scripts = await page.evaluate(`[...document.scripts].filter((s) => s.src).map((s) => s.type || 'classic')`);
    assert.deepEqual(scripts, ['classic']);
    await page.locator('notification-log').getByText('No messages have been sent yet.').waitFor();
    await page.screenshot({ path: join(shots, 'legacy.png'), fullPage: true });
  });

  it('never posts the outer form on Enter in any of our fields', async () => {
    const fields = page.locator('email-config-form').getByRole('textbox');
    const count = await fields.count();
    assert.ok(count >= 5, `found ${count} text fields`);
    for (let i = 0; i < count; i += 1) {
      const field = fields.nth(i);
      if (!(await field.isEditable())) continue;
      await field.focus();
      await page.keyboard.press('Enter');
    }
    await page.locator('notification-log').getByRole('searchbox').focus();
    await page.keyboard.press('Enter');
    await page.waitForTimeout(300);
    assert.equal(await postbacks(), 0);
    assert.equal(new URL(page.url()).pathname, '/legacy.html');
  });

  it('never posts the outer form from a click on any of our buttons', async () => {
    for (const host of ['email-config-form', 'notification-log']) {
      const types = (await page.evaluate(`[...document.querySelector('${host}').shadowRoot.querySelectorAll('button')].map((b) => b.type)`)) as string[];
      assert.ok(types.length > 0);
      assert.deepEqual([...new Set(types)], ['button'], `${host} has only type="button" buttons`);
    }
    await page.locator('email-config-form').getByRole('button', { name: 'Reset' }).click();
    await page.locator('notification-log').getByRole('button', { name: 'Refresh' }).click();
    await page.waitForTimeout(300);
    assert.equal(await postbacks(), 0);
  });

  it('saves through the server with the page anti-forgery token, and keeps the secret out of the form data', async () => {
    const seed = (await (await fetch(`${demo.sandboxUrl}/sandbox/seed`)).json()) as { apps: Array<{ tenantId: string; clientId: string; secrets: Array<{ value: string }> }> };
    const app = seed.apps[0];
    await page.getByRole('combobox', { name: 'Email method' }).selectOption('application');
    await page.getByRole('combobox', { name: 'Domain' }).selectOption('sandbox');
    await page.getByRole('textbox', { name: 'Tenant ID', exact: true }).fill(app.tenantId);
    await page.getByRole('textbox', { name: 'Application (client) ID', exact: true }).fill(app.clientId);
    await page.getByRole('textbox', { name: 'Client secret', exact: true }).fill(app.secrets[0].value);
    await page.getByRole('textbox', { name: 'From address', exact: true }).fill('adele.vance@contoso.onmicrosoft.com');
    const formData = (await page.evaluate(`[...new FormData(document.getElementById('form1')).entries()].map(([k, v]) => k + '=' + v).join('&')`)) as string;
    assert.equal(formData.includes(app.secrets[0].value), false, 'the secret is part of the host form data');
    await page.locator('email-config-form').getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Settings saved.').waitFor();
    const config = (await (await fetch(`${demo.url}/api/mail/config`)).json()) as { mode: string; tenantId: string };
    assert.equal(config.mode, 'application');
    assert.equal(config.tenantId, app.tenantId);
  });

  it('leaves one working log after the UpdatePanel replaces it, with no duplicate requests', async () => {
    apiRequests.length = 0;
    await page.getByRole('button', { name: 'Refresh panel (partial postback)' }).click();
    await page.locator('#UpdatePanel1 notification-log').getByText('No messages have been sent yet.').waitFor();
    await page.waitForTimeout(500);
    // One page of the log and one live feed: the replaced element left no listener or request behind.
    assert.equal(apiRequests.filter((r) => r === 'GET /api/mail/log').length, 1, apiRequests.join(', '));
    assert.equal(apiRequests.filter((r) => r === 'GET /api/mail/log/stream').length, 1, apiRequests.join(', '));
    assert.equal(await page.locator('notification-log').count(), 1);
    assert.equal(await postbacks(), 0);
  });

  it('runs two instances side by side', async () => {
    apiRequests.length = 0;
    await page.evaluate(`document.getElementById('UpdatePanel1').insertAdjacentHTML('beforeend', '<notification-log id="second"></notification-log>')`);
    await page.locator('#second').getByText('No messages have been sent yet.').waitFor();
    assert.equal(await page.locator('notification-log').count(), 2);
    assert.equal(apiRequests.filter((r) => r === 'GET /api/mail/log').length, 1, 'the new one loads once; the old one is untouched');
    assert.deepEqual(errors, []);
  });
});
