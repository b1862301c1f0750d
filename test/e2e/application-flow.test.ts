// The application method (Exchange Online, client credentials) in the demo portal, then a 10 MB
// attachment sent by a host that is not Node (`POST /send`, multipart) through an upload session, and
// the common mistakes an administrator makes, each failing at its own step with its fix.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ROOT, launchBrowser, openPage, startDemo, type Demo } from './helpers/demo.js';

const shots = join(ROOT, 'test-results', 'e2e');
mkdirSync(shots, { recursive: true });
const SERVICE_TOKEN = randomBytes(24).toString('base64url');

interface Seed {
  apps: Array<{ tenantId: string; clientId: string; displayName: string; secrets: Array<{ id: string; value: string }> }>;
}

describe('application method, large attachments and common mistakes', () => {
  let demo: Demo;
  let browser: Browser;
  let page: Page;
  let seed: Seed;
  const sender = 'adele.vance@contoso.onmicrosoft.com';
  const to = 'alex.wilber@contoso.onmicrosoft.com';

  const textbox = (name: string) => page.getByRole('textbox', { name, exact: true });
  const form = () => page.locator('email-config-form');

  async function configure(values: { tenantId: string; clientId: string; secret: string }): Promise<void> {
    await page.getByRole('combobox', { name: 'Email method' }).selectOption('application');
    await page.getByRole('combobox', { name: 'Domain' }).selectOption('sandbox');
    await textbox('Tenant ID').fill(values.tenantId);
    await textbox('Application (client) ID').fill(values.clientId);
    await textbox('Client secret').fill(values.secret);
    await textbox('From address').fill(sender);
    await form().getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Settings saved.').waitFor();
  }

  async function runTest(): Promise<void> {
    if (!(await page.getByRole('textbox', { name: 'Send test to' }).isVisible())) await page.getByRole('button', { name: 'Test Settings' }).click();
    await page.getByRole('textbox', { name: 'Send test to' }).fill(to);
    await page.getByRole('button', { name: 'Send test' }).click();
  }

  before(async () => {
    demo = await startDemo({ env: { GRAPH_MAIL_TEST_PER_MINUTE: '50', GRAPH_MAIL_SERVICE_TOKEN: SERVICE_TOKEN } });
    seed = (await (await fetch(`${demo.sandboxUrl}/sandbox/seed`)).json()) as Seed;
    browser = await launchBrowser();
    ({ page } = await openPage(browser, `${demo.url}/`));
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('a wrong secret value fails at the token step, with the fix', async () => {
    const app = seed.apps[0];
    await configure({ tenantId: app.tenantId, clientId: app.clientId, secret: 'Wrong~SecretValue0123456789abcdefghijkl' });
    await runTest();
    await page.getByText('The test failed at the step').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(shots, 'application-wrong-secret.png'), fullPage: true });
    await form().getByText('The test failed at the step "Token issued".').waitFor();
    await form().getByText(/the Secret ID was pasted instead of the secret's Value/).waitFor();
  });

  it('a tenant that does not exist fails at the tenant step', async () => {
    const app = seed.apps[0];
    await configure({ tenantId: '0b0b0b0b-1111-4222-8333-444444444444', clientId: app.clientId, secret: app.secrets[0].value });
    await runTest();
    await page.getByText('The test failed at the step').waitFor({ timeout: 30_000 });
    await form().getByText('The test failed at the step "Tenant found".').waitFor();
  });

  it('a tenant of another national cloud fails at the tenant step, naming the cloud to choose', async () => {
    const app = seed.apps[0];
    await configure({ tenantId: app.tenantId, clientId: app.clientId, secret: app.secrets[0].value });
    // The sandbox answers discovery as the US Government cloud would for this tenant: the admin chose
    // the wrong Domain.
    await fetch(`${demo.sandboxUrl}/sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        match: { method: 'GET', path: '/v2\\.0/\\.well-known/openid-configuration$' },
        // Every discovery until the fault is cleared below: the form's own tenant lookup may ask too.
        status: 200,
        body: {
          issuer: `https://login.microsoftonline.us/${app.tenantId}/v2.0`,
          token_endpoint: `https://login.microsoftonline.us/${app.tenantId}/oauth2/v2.0/token`,
          tenant_region_scope: 'USGov',
          cloud_instance_name: 'microsoftonline.us',
          msgraph_host: 'graph.microsoft.us',
        },
      }),
    });
    await runTest();
    await form().getByText('The test failed at the step "Tenant found".').waitFor({ timeout: 30_000 });
    await form().locator('[part="test-steps"]').getByText(/US Government \(GCC High\)/).first().waitFor();
    await fetch(`${demo.sandboxUrl}/sandbox/faults`, { method: 'DELETE' });
  });

  it('an app without admin consent fails at the permissions step, naming what is missing', async () => {
    const app = seed.apps.find((a) => /no consent/i.test(a.displayName))!;
    await configure({ tenantId: app.tenantId, clientId: app.clientId, secret: app.secrets[0].value });
    await runTest();
    await page.getByText('The test failed at the step').waitFor({ timeout: 30_000 });
    // The sandbox, like Entra ID, issues such an app a token without roles: the report names what is missing.
    await form().getByText(/The test failed at the step "(Token issued|Permissions granted)"\./).waitFor();
    await form().locator('[part="test-steps"]').getByText(/consent/i).first().waitFor();
  });

  it('the right values pass every step and deliver one message', async () => {
    const app = seed.apps[0];
    await configure({ tenantId: app.tenantId, clientId: app.clientId, secret: app.secrets[0].value });
    await runTest();
    await page.getByText('All checks passed: the test message was sent.').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(shots, 'application-test-passed.png'), fullPage: true });
  });

  it('sends a 10 MB attachment posted by a non-Node host through an upload session, exactly once', async () => {
    const file = randomBytes(10 * 1024 * 1024);
    const body = new FormData();
    const subject = `Payroll export ${Date.now()}`;
    body.set('message', JSON.stringify({ to: [to], subject, text: 'The export is attached.' }));
    body.set('file', new Blob([new Uint8Array(file)], { type: 'application/octet-stream' }), 'export.bin');
    // A small body: the server answers 401 before reading, and a 10 MB upload would then break off.
    const refused = await fetch(`${demo.url}/api/mail/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: [to], subject, text: 'x' }) });
    assert.equal(refused.status, 401, 'no service token, no send');
    const response = await fetch(`${demo.url}/api/mail/send`, { method: 'POST', body, headers: { authorization: `Bearer ${SERVICE_TOKEN}` } });
    assert.equal(response.status, 202);
    const { id } = (await response.json()) as { id: string };
    const deadline = Date.now() + 60_000;
    let status = '';
    while (Date.now() < deadline) {
      status = ((await (await fetch(`${demo.url}/api/mail/log/${id}`)).json()) as { status: string }).status;
      if (status === 'sent' || status === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(status, 'sent');
    const mailbox = (await (await fetch(`${demo.sandboxUrl}/sandbox/mailbox?to=${encodeURIComponent(to)}`)).json()) as {
      messages: Array<{ subject: string; attachments: Array<{ name: string; size: number; sha256: string }> }>;
    };
    const delivered = mailbox.messages.filter((m) => m.subject === subject);
    assert.equal(delivered.length, 1);
    assert.deepEqual(delivered[0].attachments.map(({ name, size, sha256 }) => ({ name, size, sha256 })), [{ name: 'export.bin', size: file.length, sha256: createHash('sha256').update(file).digest('hex') }]);
    const requests = ((await (await fetch(`${demo.sandboxUrl}/sandbox/requests`)).json()) as { requests: Array<{ method: string; path: string; headers: string[] }> }).requests;
    assert.ok(requests.some((r) => /createUploadSession$/.test(r.path)), 'an upload session was created');
    const chunks = requests.filter((r) => r.method === 'PUT');
    assert.ok(chunks.length >= 3, `10 MB in chunks under 4 MB (${chunks.length} PUTs)`);
    assert.ok(chunks.every((r) => !r.headers.includes('authorization')), 'no Authorization header on upload PUTs');
    // The log element shows it.
    const log = page.locator('notification-log');
    await log.getByRole('button', { name: 'Refresh' }).click();
    await log.getByRole('row').filter({ hasText: subject }).waitFor();
  });
});
