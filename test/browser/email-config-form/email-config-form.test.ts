import { aTimeout, expect, fixture, html, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { EmailConfigForm } from '../../../src/components/email-config-form/email-config-form.js';
import { ConflictError, NetworkError, UnauthorizedError, ValidationProblem } from '../../../src/services/errors.js';
import { HttpAdapter } from '../../../src/services/http-adapter.js';
import { FakeAdapter, connectedView, readyView } from '../azure-connect-button/fake-adapter.js';
import { VALID, button, choose, control, counter, describedText, feedback, hasControl, mountForm, text, typeInto } from './helpers.js';

const GUID_SECRET_ID = 'b1e2c3d4-0000-4000-8000-123456789abc';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2Vyd\n-----END CERTIFICATE-----';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END PRIVATE KEY-----';

async function fillValid(el: EmailConfigForm): Promise<void> {
  await typeInto(el, 'Tenant ID', VALID.tenant);
  await typeInto(el, 'Application (client) ID', VALID.client);
  await typeInto(el, 'Client secret', VALID.secret);
}

describe('<email-config-form>', () => {
  beforeEach(() => sessionStorage.clear());

  describe('fields', () => {
    it('labels every field with its exact visible name and starts as Azure Service on Global', async () => {
      const el = await mountForm(new FakeAdapter());
      for (const name of [
        'Email method',
        'Tenant ID',
        'Application (client) ID',
        'Credential',
        'Client secret',
        'Secret expires',
        'Domain',
        'Redirect URI',
        'From name',
        'From address',
        'Save email to sent items',
      ]) {
        expect(hasControl(el, name), name).to.be.true;
      }
      const mode = control<HTMLSelectElement>(el, 'Email method');
      expect(mode.tagName).to.equal('SELECT');
      expect([...mode.options].map((o) => [o.value, o.text.trim()])).to.deep.equal([
        ['delegated', 'Azure Service (signed-in mailbox)'],
        ['application', 'Exchange Online (application)'],
      ]);
      expect(mode.value).to.equal('delegated');
      expect(control<HTMLSelectElement>(el, 'Domain').value).to.equal('global');
      expect(control<HTMLSelectElement>(el, 'Domain').selectedOptions[0].text.trim()).to.equal('Global');
      expect(control<HTMLInputElement>(el, 'Client secret').type).to.equal('password');
      expect(control<HTMLInputElement>(el, 'Redirect URI').readOnly).to.be.true;
      for (const b of el.shadowRoot!.querySelectorAll('button')) expect(b.type, b.textContent!).to.equal('button');
      for (const name of ['Save', 'Test Settings', 'Clear', 'Reset']) expect(button(el, name)).to.exist;
      await expect(el).to.be.accessible();
    });

    it('shows the certificate fields when the credential is a certificate, and hides the redirect URI in application mode', async () => {
      const el = await mountForm(new FakeAdapter());
      await choose(el, 'Credential', 'certificate');
      expect(hasControl(el, 'Certificate (PEM)')).to.be.true;
      expect(hasControl(el, 'Private key (PEM)')).to.be.true;
      expect(hasControl(el, 'Client secret')).to.be.false;
      await choose(el, 'Email method', 'application');
      expect(hasControl(el, 'Redirect URI')).to.be.false;
      expect(el.shadowRoot!.querySelector('azure-connect-button')).to.equal(null);
      await expect(el).to.be.accessible();
    });

    it('shows a loading state, then an error with Retry when the server is unreachable', async () => {
      const adapter = new FakeAdapter();
      adapter.failNext.getConfig = new NetworkError('down');
      const el = await fixture<EmailConfigForm>(html`<email-config-form .adapter=${adapter}></email-config-form>`);
      await waitUntil(() => el.shadowRoot!.querySelector('[role="alert"]'));
      expect(text(el)).to.contain('could not be loaded');
      await expect(el).to.be.accessible();
      button(el, 'Retry').click();
      await waitUntil(() => el.shadowRoot!.querySelector('[role="tablist"]'));
    });

    it('says the account is not allowed, not that the server is down, when loading is refused (401/403)', async () => {
      const adapter = new FakeAdapter();
      adapter.failNext.getConfig = new UnauthorizedError('This account is signed in but not a mail administrator.', 403);
      const el = await fixture<EmailConfigForm>(html`<email-config-form .adapter=${adapter}></email-config-form>`);
      await waitUntil(() => el.shadowRoot!.querySelector('[role="alert"]'));
      expect(text(el)).to.contain('You are not allowed to change the mail settings. Sign in as an administrator.');
      expect(text(el)).not.to.contain('did not answer');
      await expect(el).to.be.accessible();
    });

    it('asks to sign in, not for another account, when the token provider has no token yet, then loads on Retry', async () => {
      let signedIn = false;
      const requests: string[] = [];
      const adapter = new HttpAdapter({
        baseUrl: 'https://mail.example.com/api/mail',
        getAccessToken: async () => {
          if (!signedIn) throw new Error('Sign-in required: the browser opens the sign-in window only in answer to a click.');
          return 'token';
        },
        fetch: async (input) => {
          const url = new URL(String(input));
          requests.push(url.pathname);
          const view = readyView();
          const answers: Record<string, unknown> = {
            '/api/mail/config': view,
            '/api/mail/clouds': [{ id: 'global', label: 'Global', loginHost: 'login.microsoftonline.com', graphHost: 'graph.microsoft.com' }],
            '/api/mail/endpoints/defaults': { cloud: 'global', endpoints: view.endpoints },
          };
          const body = answers[url.pathname];
          return body ? new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } }) : new Response(null, { status: 404 });
        },
      });
      const el = await fixture<EmailConfigForm>(html`<email-config-form .adapter=${adapter}></email-config-form>`);
      await waitUntil(() => el.shadowRoot!.querySelector('[role="alert"]'));
      expect(text(el)).to.contain('Sign in with your administrator account to change the mail settings: select Retry.');
      expect(text(el)).not.to.contain('not allowed');
      expect(requests).to.deep.equal([], 'nothing is asked of the server without a token');
      await expect(el).to.be.accessible();
      signedIn = true;
      button(el, 'Retry').click();
      await waitUntil(() => el.shadowRoot!.querySelector('[role="tablist"]'));
      expect(requests).to.include('/api/mail/config');
    });
  });

  describe('validation', () => {
    it('shows feedback only once a field is touched and changed', async () => {
      const el = await mountForm(new FakeAdapter());
      await typeInto(el, 'Tenant ID', 'not a tenant', false);
      expect(feedback(el, 'Tenant ID')).to.equal('');
      control(el, 'Tenant ID').dispatchEvent(new FocusEvent('blur'));
      await el.updateComplete;
      expect(feedback(el, 'Tenant ID')).to.contain('Tenant ID must be a GUID');
      const input = control(el, 'Tenant ID');
      expect(input.getAttribute('aria-invalid')).to.equal('true');
      expect(describedText(el, input)).to.contain('Tenant ID must be a GUID');
      // A field only visited, not changed, stays quiet.
      control(el, 'Application (client) ID').dispatchEvent(new FocusEvent('blur'));
      await el.updateComplete;
      expect(feedback(el, 'Application (client) ID')).to.equal('');
      await expect(el).to.be.accessible();
    });

    const cases: [string, string, string][] = [
      ['Tenant ID', '', 'Tenant ID is required'],
      ['Tenant ID', 'contoso', 'Tenant ID must be a GUID such as'],
      ['Application (client) ID', 'abc', 'Application (client) ID must be a GUID'],
      ['Client secret', GUID_SECRET_ID, 'This is the Secret ID, not the secret'],
      ['Client secret', 'short', 'too short to be a client secret'],
      ['Client secret', 'has a space in it 1234567890', 'cannot contain spaces'],
      ['From address', 'not-an-email', 'From address must be an email address'],
      ['From name', 'x'.repeat(257), 'From name is too long: at most 256 characters.'],
    ];
    for (const [name, value, message] of cases) {
      it(`${name} = "${value.slice(0, 30)}" → ${message}`, async () => {
        const el = await mountForm(new FakeAdapter());
        await typeInto(el, name, 'seed-value');
        await typeInto(el, name, value);
        button(el, 'Save').click();
        await el.updateComplete;
        expect(feedback(el, name)).to.contain(message);
      });
    }

    it('catches the client ID pasted into both fields', async () => {
      const el = await mountForm(new FakeAdapter());
      await typeInto(el, 'Tenant ID', VALID.client);
      await typeInto(el, 'Application (client) ID', VALID.client);
      expect(feedback(el, 'Application (client) ID')).to.contain('is the same as the Tenant ID');
    });

    it('requires a secret with none saved, and PEMs of the right shape for a certificate', async () => {
      const el = await mountForm(new FakeAdapter());
      button(el, 'Save').click();
      await el.updateComplete;
      expect(feedback(el, 'Client secret')).to.contain('Client secret is required');
      await choose(el, 'Credential', 'certificate');
      expect(feedback(el, 'Certificate (PEM)')).to.contain('Paste the certificate (PEM) and its private key');
      await typeInto(el, 'Certificate (PEM)', 'hello');
      await typeInto(el, 'Private key (PEM)', 'world');
      expect(feedback(el, 'Certificate (PEM)')).to.contain('must be a PEM certificate');
      expect(feedback(el, 'Private key (PEM)')).to.contain('must be a PEM private key');
      await typeInto(el, 'Private key (PEM)', '-----BEGIN ENCRYPTED PRIVATE KEY-----\nabc\n-----END ENCRYPTED PRIVATE KEY-----');
      expect(feedback(el, 'Private key (PEM)')).to.contain('encrypted with a passphrase');
      await typeInto(el, 'Certificate (PEM)', CERT);
      await typeInto(el, 'Private key (PEM)', KEY);
      expect(feedback(el, 'Certificate (PEM)')).to.equal('');
      expect(feedback(el, 'Private key (PEM)')).to.equal('');
    });

    it('requires the From address in application mode only', async () => {
      const el = await mountForm(new FakeAdapter());
      button(el, 'Save').click();
      await el.updateComplete;
      expect(feedback(el, 'From address')).to.equal('');
      await choose(el, 'Email method', 'application');
      expect(feedback(el, 'From address')).to.contain('From address is required for Exchange Online');
    });

    it('Save focuses the first invalid field and calls nothing', async () => {
      const adapter = new FakeAdapter();
      const el = await mountForm(adapter);
      const saves = counter(el, 'gm-save');
      await typeInto(el, 'Tenant ID', VALID.tenant);
      button(el, 'Save').click();
      await waitUntil(() => el.shadowRoot!.activeElement === control(el, 'Application (client) ID'));
      expect(adapter.count('saveConfig')).to.equal(0);
      expect(saves.count).to.equal(0);
      expect(el.shadowRoot!.querySelector('[role="alert"]')!.textContent).to.contain('Some fields need attention');
      await expect(el).to.be.accessible();
    });
  });

  describe('save, reset, clear', () => {
    it('saves explicitly: gm-save without the secret, the adapter with it and the etag, then gm-saved', async () => {
      const adapter = new FakeAdapter();
      const el = await mountForm(adapter);
      const saves = counter(el, 'gm-save');
      const saved = counter(el, 'gm-saved');
      await fillValid(el);
      await typeInto(el, 'From name', 'Payroll');
      button(el, 'Save').click();
      await waitUntil(() => saved.count === 1);
      expect(saves.count).to.equal(1);
      expect(saves.events[0].cancelable).to.be.true;
      expect(saves.events[0].detail.config.tenantId).to.equal(VALID.tenant);
      expect(saves.events[0].detail.config).to.not.have.property('clientSecret');
      expect(saves.events[0].detail.credentialChanged).to.be.true;
      const [input, etag] = adapter.calls.find((c) => c.method === 'saveConfig')!.args as [Record<string, unknown>, string];
      expect(input.clientSecret).to.equal(VALID.secret);
      expect(input.fromName).to.equal('Payroll');
      expect(etag).to.equal('"1"');
      expect(saved.events[0].detail.config.secret.set).to.be.true;
      // The secret is gone from the DOM: no input holds it and no markup contains it.
      await el.updateComplete;
      expect(control<HTMLInputElement>(el, 'Client secret').value).to.equal('');
      expect(el.shadowRoot!.innerHTML).to.not.contain(VALID.secret);
      for (const field of el.shadowRoot!.querySelectorAll('input, textarea')) {
        expect((field as HTMLInputElement).value).to.not.contain(VALID.secret);
      }
      expect(text(el)).to.contain('A secret is saved (Qx8)');
      expect(text(el)).to.contain('Settings saved.');
    });

    it('a vetoed gm-save saves nothing', async () => {
      const adapter = new FakeAdapter();
      const el = await mountForm(adapter);
      el.addEventListener('gm-save', (e) => e.preventDefault());
      await fillValid(el);
      button(el, 'Save').click();
      await aTimeout(20);
      expect(adapter.count('saveConfig')).to.equal(0);
    });

    it('shows the saving state accessibly', async () => {
      const adapter = new FakeAdapter();
      let release!: () => void;
      adapter.holdSave = new Promise((resolve) => (release = resolve));
      const el = await mountForm(adapter);
      await fillValid(el);
      button(el, 'Save').click();
      await waitUntil(() => el.shadowRoot!.querySelector<HTMLButtonElement>('[data-action="save"]')!.disabled);
      expect(el.shadowRoot!.querySelector('[data-action="save"]')!.textContent).to.contain('Saving…');
      await expect(el).to.be.accessible();
      release();
      await waitUntil(() => !el.shadowRoot!.querySelector<HTMLButtonElement>('[data-action="save"]')!.disabled);
    });

    it('keeps the saved secret when the field is left empty, and removes it only when asked', async () => {
      const adapter = new FakeAdapter(readyView());
      const el = await mountForm(adapter);
      expect(control<HTMLInputElement>(el, 'Client secret').value).to.equal('');
      expect(text(el)).to.match(/A secret is saved \(abc\), expires in (199|200) days\./);
      button(el, 'Save').click();
      await waitUntil(() => adapter.count('saveConfig') === 1);
      let input = adapter.calls.find((c) => c.method === 'saveConfig')!.args[0] as Record<string, unknown>;
      expect(input).to.not.have.property('clientSecret');
      expect(input).to.not.have.property('removeSecret');
      await waitUntil(() => !el.shadowRoot!.querySelector<HTMLButtonElement>('[data-action="save"]')!.disabled);
      button(el, 'Remove saved secret').click();
      await el.updateComplete;
      expect(text(el)).to.contain('will be removed when you select Save');
      await typeInto(el, 'Client secret', VALID.secret);
      button(el, 'Save').click();
      await waitUntil(() => adapter.count('saveConfig') === 2);
      input = adapter.calls.filter((c) => c.method === 'saveConfig')[1].args[0] as Record<string, unknown>;
      expect(input.removeSecret).to.equal(true);
    });

    it('warns about a secret expiring within 30 days and flags an expired one', async () => {
      const soon = new FakeAdapter(readyView({ secret: { set: true, hint: 'abc', expiresAt: new Date(Date.now() + 10 * 86400000).toISOString() } }));
      const el = await mountForm(soon);
      expect(text(el)).to.contain('The credential expires in 10 days');
      const old = new FakeAdapter(readyView({ secret: { set: true, hint: 'abc', expiresAt: '2020-01-31T00:00:00Z' } }));
      const el2 = await mountForm(old);
      expect(el2.shadowRoot!.querySelector('[role="alert"]')!.textContent).to.contain('expired on 2020-01-31');
      await expect(el2).to.be.accessible();
    });

    it('puts the server field errors on the same fields, and endpoint errors into the editor', async () => {
      const adapter = new FakeAdapter();
      const el = await mountForm(adapter);
      await fillValid(el);
      adapter.failNext.saveConfig = new ValidationProblem([
        { path: 'tenantId', message: 'Tenant ID must be a GUID…', key: 'tenantId.format' },
        { path: 'fromAddress', message: 'The server says this mailbox does not exist.' },
        { path: 'endpoints.graphEndpoint', message: 'Graph API endpoint points at evil.test, which is not a host of the Domain Global.', key: 'endpoint.hostNotAllowed' },
      ]);
      button(el, 'Save').click();
      await waitUntil(() => feedback(el, 'Tenant ID') !== '');
      expect(feedback(el, 'Tenant ID')).to.contain('Tenant ID must be a GUID such as');
      expect(feedback(el, 'From address')).to.equal('The server says this mailbox does not exist.');
      expect(el.shadowRoot!.activeElement).to.equal(control(el, 'Tenant ID'));
      const editor = el.shadowRoot!.querySelector('[part~="endpoints"]') as HTMLElement & { serverErrors: unknown[] };
      expect(editor.serverErrors).to.deep.equal([
        { path: 'endpoints.graphEndpoint', message: 'Graph API endpoint points at evil.test, which is not a host of the Domain Global.', key: 'endpoint.hostNotAllowed' },
      ]);
      await expect(el).to.be.accessible();
      // Editing the field clears the server's word.
      await typeInto(el, 'From address', 'ops@contoso.com');
      expect(feedback(el, 'From address')).to.equal('');
    });

    it('switches to the API Endpoints tab when only an endpoint is wrong', async () => {
      const adapter = new FakeAdapter();
      const el = await mountForm(adapter);
      await fillValid(el);
      adapter.failNext.saveConfig = new ValidationProblem([{ path: 'endpoints.graphEndpoint', message: 'bad host', key: 'endpoint.hostNotAllowed' }]);
      button(el, 'Save').click();
      await waitUntil(() => el.shadowRoot!.querySelector('#tab-endpoints')!.getAttribute('aria-selected') === 'true');
      expect(el.shadowRoot!.querySelector<HTMLElement>('#panel-endpoints')!.hidden).to.be.false;
      expect(el.shadowRoot!.querySelector<HTMLElement>('#panel-connection')!.hidden).to.be.true;
    });

    it('explains a 409 conflict', async () => {
      const adapter = new FakeAdapter();
      const el = await mountForm(adapter);
      await fillValid(el);
      adapter.failNext.saveConfig = new ConflictError('locked');
      button(el, 'Save').click();
      await waitUntil(() => el.shadowRoot!.querySelector('[role="alert"]'));
      expect(el.shadowRoot!.querySelector('[role="alert"]')!.textContent).to.contain('Disconnect Azure Email');
    });

    it('Reset returns to the last saved state', async () => {
      const adapter = new FakeAdapter(readyView({ fromName: 'Payroll' }));
      const el = await mountForm(adapter);
      await typeInto(el, 'From name', 'Someone else');
      await typeInto(el, 'Tenant ID', 'bad');
      await typeInto(el, 'Client secret', VALID.secret);
      button(el, 'Reset').click();
      await el.updateComplete;
      expect(control<HTMLInputElement>(el, 'From name').value).to.equal('Payroll');
      expect(control<HTMLInputElement>(el, 'Tenant ID').value).to.equal(readyView().tenantId);
      expect(control<HTMLInputElement>(el, 'Client secret').value).to.equal('');
      expect(feedback(el, 'Tenant ID')).to.equal('');
    });

    it('Clear asks first; Cancel keeps everything, confirming clears and fires gm-cleared once', async () => {
      const adapter = new FakeAdapter(readyView());
      const el = await mountForm(adapter);
      const cleared = counter(el, 'gm-cleared');
      button(el, 'Clear').click();
      const dialog = el.shadowRoot!.querySelector('dialog')!;
      expect(dialog.open).to.be.true;
      expect(dialog.getAttribute('aria-labelledby')).to.equal('clear-title');
      await expect(el).to.be.accessible();
      await sendKeys({ press: 'Escape' });
      await el.updateComplete;
      expect(dialog.open).to.be.false;
      expect(adapter.count('clearConfig')).to.equal(0);
      button(el, 'Clear').click();
      button(el, 'Clear settings').click();
      await waitUntil(() => cleared.count === 1);
      expect(adapter.count('clearConfig')).to.equal(1);
      expect(control<HTMLInputElement>(el, 'Tenant ID').value).to.equal('');
    });
  });

  describe('connection and lock', () => {
    it('locks the connection fields while connected, keeping the credential and sender editable', async () => {
      const adapter = new FakeAdapter(connectedView('user@contoso.com'));
      const el = await mountForm(adapter);
      expect(control<HTMLInputElement>(el, 'Tenant ID').readOnly).to.be.true;
      expect(control<HTMLInputElement>(el, 'Application (client) ID').readOnly).to.be.true;
      expect(control<HTMLSelectElement>(el, 'Email method').disabled).to.be.true;
      expect(control<HTMLSelectElement>(el, 'Domain').disabled).to.be.true;
      expect(control<HTMLInputElement>(el, 'Client secret').readOnly).to.be.false;
      expect(control<HTMLInputElement>(el, 'From address').readOnly).to.be.false;
      const editor = el.shadowRoot!.querySelector('[part~="endpoints"]') as HTMLElement;
      expect(editor.hasAttribute('readonly')).to.be.true;
      expect(text(el)).to.contain('the connection settings are locked');
      const button = el.shadowRoot!.querySelector('azure-connect-button')!;
      await waitUntil(() => button.shadowRoot!.textContent!.includes('Connected to user@contoso.com'));
      await expect(el).to.be.accessible();
      // Disconnect through the button unlocks the form.
      button.shadowRoot!.querySelector<HTMLButtonElement>('[part~="button"]')!.click();
      await waitUntil(() => !control<HTMLInputElement>(el, 'Tenant ID').readOnly);
      expect(control<HTMLSelectElement>(el, 'Email method').disabled).to.be.false;
      expect(text(el)).to.not.contain('the connection settings are locked');
    });

    it('reloads and locks when the connect button reports a connection', async () => {
      const adapter = new FakeAdapter(readyView());
      const el = await mountForm(adapter);
      expect(control<HTMLInputElement>(el, 'Tenant ID').readOnly).to.be.false;
      const connectButton = el.shadowRoot!.querySelector('azure-connect-button') as HTMLElement & { pollInterval: number };
      connectButton.pollInterval = 10;
      const original = window.open;
      window.open = (() => ({ closed: false, close() {} })) as unknown as typeof window.open;
      try {
        await waitUntil(() => connectButton.shadowRoot!.querySelector('[part~="button"]')?.getAttribute('aria-disabled') === 'false');
        connectButton.shadowRoot!.querySelector<HTMLButtonElement>('[part~="button"]')!.click();
        await waitUntil(() => adapter.count('connectStatus') > 0);
        adapter.status = { state: 'connected', account: 'user@contoso.com' };
        await waitUntil(() => control<HTMLInputElement>(el, 'Tenant ID').readOnly, 'form did not lock');
      } finally {
        window.open = original;
      }
    });

    it('shows why a reconnect is needed', async () => {
      const adapter = new FakeAdapter(
        readyView({ connection: { state: 'needs-reconnect', account: 'user@contoso.com', connectedAt: '', reason: 'The password was reset.' } }),
      );
      const el = await mountForm(adapter);
      expect(text(el)).to.contain('needs to be renewed: The password was reset.');
      await expect(el).to.be.accessible();
    });

    it('copies the redirect URI and announces it', async () => {
      const el = await mountForm(new FakeAdapter());
      const copied: string[] = [];
      const original = Object.getOwnPropertyDescriptor(Navigator.prototype, 'clipboard');
      Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText: async (t: string) => void copied.push(t) } });
      try {
        button(el, 'Copy').click();
        await waitUntil(() => copied.length === 1);
        expect(copied[0]).to.equal('http://127.0.0.1:8787/api/mail/connect/callback');
        await waitUntil(() => text(el).includes('Copied to the clipboard.'));
      } finally {
        delete (navigator as unknown as Record<string, unknown>).clipboard;
        if (original) Object.defineProperty(Navigator.prototype, 'clipboard', original);
      }
    });
    it('falls back to a selection copy when the clipboard API refuses', async () => {
      const el = await mountForm(new FakeAdapter());
      const original = Object.getOwnPropertyDescriptor(Navigator.prototype, 'clipboard');
      const exec = document.execCommand;
      const commands: string[] = [];
      Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText: () => Promise.reject(new Error('denied')) } });
      document.execCommand = ((command: string) => (commands.push(command), true)) as typeof document.execCommand;
      try {
        button(el, 'Copy').click();
        await waitUntil(() => text(el).includes('Copied to the clipboard.'));
        expect(commands).to.deep.equal(['copy']);
        expect(el.shadowRoot!.querySelectorAll('textarea')).to.have.length(0);
      } finally {
        document.execCommand = exec;
        delete (navigator as unknown as Record<string, unknown>).clipboard;
        if (original) Object.defineProperty(Navigator.prototype, 'clipboard', original);
      }
    });
  });

  describe('tabs', () => {
    it('are ARIA tabs with a roving tabindex and arrow keys', async () => {
      const el = await mountForm(new FakeAdapter());
      const [connection, endpoints] = [...el.shadowRoot!.querySelectorAll<HTMLElement>('[role="tab"]')];
      expect(connection.textContent!.trim()).to.equal('Connection');
      expect(endpoints.textContent!.trim()).to.equal('API Endpoints');
      expect(connection.tabIndex).to.equal(0);
      expect(endpoints.tabIndex).to.equal(-1);
      connection.focus();
      await sendKeys({ press: 'ArrowRight' });
      await el.updateComplete;
      expect(endpoints.getAttribute('aria-selected')).to.equal('true');
      expect(el.shadowRoot!.activeElement).to.equal(endpoints);
      expect(endpoints.tabIndex).to.equal(0);
      expect(el.shadowRoot!.querySelector<HTMLElement>('#panel-endpoints')!.hidden).to.be.false;
      await sendKeys({ press: 'ArrowLeft' });
      await el.updateComplete;
      expect(el.shadowRoot!.activeElement).to.equal(connection);
      await sendKeys({ press: 'End' });
      await el.updateComplete;
      expect(el.shadowRoot!.activeElement).to.equal(endpoints);
    });
  });

  describe('test settings', () => {
    const failedReport = {
      ok: false,
      steps: [
        { id: 'config', label: 'Settings', status: 'ok', ms: 2 },
        { id: 'tenant', label: 'Tenant', status: 'ok', ms: 40 },
        {
          id: 'token',
          label: 'Token',
          status: 'failed',
          ms: 120,
          error: {
            code: 'AADSTS7000215',
            message: 'The client secret is not valid.',
            hint: 'Copy the Value of the secret, not its Secret ID.',
            requestId: 'req-123',
            correlationId: 'corr-456',
            timestamp: '2026-01-01T00:00:00Z',
          },
        },
        { id: 'permissions', label: 'Permissions', status: 'skipped', ms: 0 },
        { id: 'mailbox', label: 'Mailbox', status: 'skipped', ms: 0 },
        { id: 'send', label: 'Send', status: 'skipped', ms: 0 },
      ],
    } as const;

    it('sends a test to the from address by default and shows the failed step with its fix and ids', async () => {
      const adapter = new FakeAdapter(readyView({ fromAddress: 'ops@contoso.com' }));
      adapter.testReport = structuredClone(failedReport) as never;
      const el = await mountForm(adapter);
      const done = counter(el, 'gm-test-complete');
      button(el, 'Test Settings').click();
      await el.updateComplete;
      expect(button(el, 'Test Settings').getAttribute('aria-expanded')).to.equal('true');
      expect(control<HTMLInputElement>(el, 'Send test to').value).to.equal('ops@contoso.com');
      await typeInto(el, 'Subject (optional)', 'Hello');
      button(el, 'Send test').click();
      await waitUntil(() => done.count === 1);
      expect(adapter.calls.find((c) => c.method === 'test')!.args[0]).to.deep.equal({ to: 'ops@contoso.com', subject: 'Hello' });
      await el.updateComplete;
      const steps = [...el.shadowRoot!.querySelectorAll('[part~="test-steps"] > li')];
      expect(steps.map((s) => s.getAttribute('data-step'))).to.deep.equal(['config', 'tenant', 'token', 'permissions', 'mailbox', 'send']);
      expect(steps[2].textContent).to.contain('Failed');
      expect(steps[2].textContent).to.contain('120 ms');
      expect(steps[2].textContent).to.contain('The client secret is not valid.');
      expect(steps[2].textContent).to.contain('How to fix: Copy the Value');
      expect(steps[2].textContent).to.contain('req-123');
      expect(steps[2].textContent).to.contain('corr-456');
      expect(steps[0].querySelector('[aria-hidden="true"]')!.textContent).to.equal('✓');
      expect(steps[0].textContent).to.contain('Passed');
      expect(text(el)).to.contain('The test failed at the step "Token issued"');
      await expect(el).to.be.accessible();
    });

    it('defaults to the connected account and refuses an invalid address', async () => {
      const adapter = new FakeAdapter(connectedView('me@contoso.com'));
      const el = await mountForm(adapter);
      button(el, 'Test Settings').click();
      await el.updateComplete;
      expect(control<HTMLInputElement>(el, 'Send test to').value).to.equal('me@contoso.com');
      await typeInto(el, 'Send test to', 'nope');
      button(el, 'Send test').click();
      await el.updateComplete;
      expect(adapter.count('test')).to.equal(0);
      const input = control(el, 'Send test to');
      expect(input.getAttribute('aria-invalid')).to.equal('true');
      expect(describedText(el, input)).to.contain('Send test to must be an email address');
    });

    it('shows the token permissions after a test, with missing ones marked', async () => {
      const adapter = new FakeAdapter(readyView({ fromAddress: 'ops@contoso.com' }));
      adapter.testReport = {
        ok: true,
        steps: [],
        permissions: { granted: ['User.Read', 'Mail.Send'], required: ['offline_access', 'User.Read', 'Mail.Send'], missing: ['offline_access'] },
      };
      const el = await mountForm(adapter);
      const panel = el.shadowRoot!.querySelector('[part~="permissions"]')!;
      expect(panel.textContent).to.contain('offline_access');
      expect(panel.textContent).to.not.contain('Missing');
      button(el, 'Test Settings').click();
      await el.updateComplete;
      button(el, 'Send test').click();
      await waitUntil(() => panel.textContent!.includes('The last token issued had these permissions'));
      expect(panel.textContent).to.contain('Missing: offline_access.');
      expect(panel.querySelector('.missing')!.closest('li')!.textContent).to.contain('offline_access');
      expect(text(el)).to.contain('With Mail.Send alone');
    });
  });

  describe('setup guide', () => {
    it('fills in this installation’s values and the admin-consent link in application mode', async () => {
      const adapter = new FakeAdapter(readyView({ mode: 'application', fromAddress: 'ops@contoso.com' }));
      const el = await mountForm(adapter);
      const guide = el.shadowRoot!.querySelector('details[part~="guide"]') as HTMLDetailsElement;
      expect(guide.open).to.be.false;
      expect(guide.textContent).to.contain('Single tenant');
      expect(guide.textContent).to.contain('Mail.Send, Mail.ReadWrite, User.Read.All');
      expect(guide.textContent).to.contain('Copy the Value, not the Secret ID');
      const link = guide.querySelector('a')!;
      expect(link.getAttribute('href')).to.equal(
        `https://login.microsoftonline.com/${readyView().tenantId}/adminconsent?client_id=${readyView().clientId}`,
      );
      await choose(el, 'Email method', 'delegated');
      expect(guide.textContent).to.contain('http://127.0.0.1:8787/api/mail/connect/callback');
      expect(guide.textContent).to.contain('"Web"');
      expect(guide.querySelector('a')).to.equal(null);
    });
  });

  describe('embedding', () => {
    it('Enter in a field and clicks on every button never submit an outer form; FormData has no secret', async () => {
      const adapter = new FakeAdapter();
      const form = await fixture<HTMLFormElement>(html`<form><input name="__VIEWSTATE" value="x" /><email-config-form .adapter=${adapter}></email-config-form></form>`);
      let submits = 0;
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        submits += 1;
      });
      const keypresses: string[] = [];
      form.addEventListener('keypress', (e) => keypresses.push((e as KeyboardEvent).key));
      const el = form.querySelector('email-config-form') as EmailConfigForm;
      await waitUntil(() => el.shadowRoot!.querySelector('[role="tablist"]'));
      control(el, 'Tenant ID').focus();
      await sendKeys({ type: VALID.tenant });
      await sendKeys({ press: 'Enter' });
      control(el, 'Client secret').focus();
      await sendKeys({ type: VALID.secret });
      await sendKeys({ press: 'Enter' });
      const data = new FormData(form);
      expect([...data.keys()]).to.deep.equal(['__VIEWSTATE']);
      expect(JSON.stringify([...data.values()])).to.not.contain(VALID.secret);
      for (const name of ['Test Settings', 'Reset', 'Save']) button(el, name).click();
      await aTimeout(30);
      expect(submits).to.equal(0);
      expect(keypresses.filter((k) => k === 'Enter'), 'Enter reached the page (WebForms default button)').to.deep.equal([]);
    });

    it('fires no event for programmatic changes', async () => {
      const adapter = new FakeAdapter(readyView());
      const el = await mountForm(adapter);
      const all = ['gm-save', 'gm-saved', 'gm-cleared', 'gm-test-complete', 'change', 'input'].map((type) => counter(el, type));
      el.methods = [{ value: 'smtp', label: 'SMTP' }];
      el.appName = 'Payroll mail';
      el.adapter = new FakeAdapter(connectedView());
      await waitUntil(() => control<HTMLInputElement>(el, 'Tenant ID').readOnly);
      el.reset();
      await aTimeout(20);
      expect(all.map((c) => c.count)).to.deep.equal([0, 0, 0, 0, 0, 0]);
    });

    it('offers host methods whose fields come through a slot', async () => {
      const adapter = new FakeAdapter();
      const el = await fixture<EmailConfigForm>(html`<email-config-form .adapter=${adapter} .methods=${[{ value: 'smtp', label: 'SMTP server' }]}>
        <label slot="method-smtp">Host <input name="smtp-host" /></label>
      </email-config-form>`);
      await waitUntil(() => el.shadowRoot!.querySelector('[role="tablist"]'));
      await choose(el, 'Email method', 'smtp');
      expect(hasControl(el, 'Tenant ID')).to.be.false;
      const slot = el.shadowRoot!.querySelector<HTMLSlotElement>('slot[name="method-smtp"]')!;
      expect(slot.assignedElements()).to.have.length(1);
      const saves = counter(el, 'gm-save');
      button(el, 'Save').click();
      await el.updateComplete;
      expect(saves.count).to.equal(1);
      expect(saves.events[0].detail.method).to.equal('smtp');
      expect(adapter.count('saveConfig')).to.equal(0);
    });
  });

});
