// The delegated flow as an administrator does it in the demo portal, in Chromium against `npm start`:
// fill the form, save, connect in the popup through the sandbox's sign-in and consent pages, see the
// settings locked, run the test (all green), find the message in the sandbox mailbox and the row in
// the notification log, then disconnect. Screenshots of the main states go to test-results/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ROOT, launchBrowser, openPage, startDemo, type Demo, eventually } from './helpers/demo.js';

const shots = join(ROOT, 'test-results', 'e2e');
mkdirSync(shots, { recursive: true });

interface Seed {
  apps: Array<{ tenantId: string; clientId: string; secrets: Array<{ id: string; value: string }> }>;
  users: Array<{ userPrincipalName: string; kind: string; tenantId: string }>;
}

describe('delegated flow in the demo portal', () => {
  let demo: Demo;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let seed: Seed;

  before(async () => {
    demo = await startDemo({ env: { GRAPH_MAIL_TEST_PER_MINUTE: '50' } });
    seed = (await (await fetch(`${demo.sandboxUrl}/sandbox/seed`)).json()) as Seed;
    browser = await launchBrowser();
    ({ page, errors } = await openPage(browser, `${demo.url}/`));
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('catches a Secret ID pasted where the secret value belongs, before anything is sent', async () => {
    const app = seed.apps[0];
    await page.getByRole('textbox', { name: 'Client secret', exact: true }).fill(app.secrets[0].id);
    await page.getByRole('textbox', { name: 'Client secret', exact: true }).blur();
    await page.getByText('This is the Secret ID, not the secret').waitFor();
  });

  it('saves the settings an administrator types in', async () => {
    const app = seed.apps[0];
    await page.getByRole('combobox', { name: 'Domain' }).selectOption('sandbox');
    await page.getByRole('textbox', { name: 'Tenant ID', exact: true }).fill(app.tenantId);
    await page.getByRole('textbox', { name: 'Application (client) ID', exact: true }).fill(app.clientId);
    await page.getByRole('textbox', { name: 'Client secret', exact: true }).fill(app.secrets[0].value);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Settings saved.').waitFor();
    await page.screenshot({ path: join(shots, 'portal-saved.png'), fullPage: true });
    const config = (await (await fetch(`${demo.url}/api/mail/config`)).json()) as { tenantId: string; cloud: string; secret: { set: boolean } };
    assert.equal(config.tenantId, app.tenantId);
    assert.equal(config.cloud, 'sandbox');
    assert.equal(config.secret.set, true);
  });

  it('connects in a popup through the sign-in and consent pages, and locks the settings', async () => {
    const user = seed.users.find((u) => u.kind === 'member' && u.tenantId === seed.apps[0].tenantId)!.userPrincipalName;
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Connect Azure Email' }).click()]);
    await popup.getByRole('button', { name: user }).click();
    const accept = popup.getByRole('button', { name: 'Accept' });
    // The consent page appears only when the user has not consented yet.
    if (await accept.isVisible({ timeout: 5000 }).catch(() => false)) await accept.click();
    await page.getByText(`Connected to ${user}`).first().waitFor({ timeout: 30_000 });
    // The form reloads the saved settings when the button reports the connection, then locks them.
    await eventually(async () => !(await page.getByRole('textbox', { name: 'Tenant ID', exact: true }).isEditable()), 'the tenant is locked while connected', 10_000);
    await page.screenshot({ path: join(shots, 'portal-connected.png'), fullPage: true });
    // No code or state is left in the page's address.
    assert.doesNotMatch(page.url(), /code=|state=/);
  });

  it('runs the test: every step green, the message in the mailbox and in the log', async () => {
    const to = 'alex.wilber@contoso.onmicrosoft.com';
    await page.getByRole('button', { name: 'Test Settings' }).click();
    await page.getByRole('textbox', { name: 'Send test to', exact: true }).fill(to);
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.getByText('All checks passed: the test message was sent.').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(shots, 'portal-test-passed.png'), fullPage: true });
    const mailbox = (await (await fetch(`${demo.sandboxUrl}/sandbox/mailbox?to=${encodeURIComponent(to)}`)).json()) as { messages: unknown[] };
    assert.equal(mailbox.messages.length, 1, 'exactly one delivery');
    const log = page.locator('notification-log');
    await log.getByRole('button', { name: 'Refresh' }).click();
    await log.getByRole('row').filter({ hasText: to }).first().waitFor();
    await assert.doesNotReject(log.getByText('Sent', { exact: true }).first().waitFor());
  });

  it('disconnects and unlocks the settings', async () => {
    await page.getByRole('button', { name: 'Disconnect Azure Email' }).click();
    await page.getByText('Not connected').first().waitFor();
    await eventually(() => page.getByRole('textbox', { name: 'Tenant ID', exact: true }).isEditable(), 'the tenant is editable again', 10_000);
  });

  it('never showed a client secret to the browser and logged no page error', async () => {
    const secret = seed.apps[0].secrets[0].value;
    // A string, not a function: the test runner's transpiler would inject helpers the page does not have.
    const html = (await page.evaluate(`(() => {
      const all = [document.documentElement.outerHTML];
      const walk = (root) => root.querySelectorAll('*').forEach((el) => {
        if (el.shadowRoot) { all.push(el.shadowRoot.innerHTML); walk(el.shadowRoot); }
      });
      walk(document);
      for (const input of document.querySelectorAll('*')) if (input.shadowRoot) for (const field of input.shadowRoot.querySelectorAll('input, textarea')) all.push(field.value);
      return all.join('\\n') + JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage });
    })()`)) as string;
    assert.equal(html.includes(secret), false, 'the secret is in the DOM or storage');
    assert.deepEqual(errors, []);
  });
});
