/**
 * The administrator's assistant in <email-config-form>, against the MemoryAdapter (which answers as the
 * reference server does): the cloud of a tenant and the offer to switch the Domain, the support bundle
 * download, and the PowerShell that restricts an application-mode app to its sender mailbox.
 */
import { aTimeout, expect, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { EndpointTemplateEditor } from '../../../src/components/endpoint-template-editor/endpoint-template-editor.js';
import type { EmailConfigForm } from '../../../src/components/email-config-form/email-config-form.js';
import '../../../src/locales/de/email-config-form.js';
import { MemoryAdapter, SAMPLE_CONFIG, type MemoryAdapterOptions } from '../../../src/services/memory-adapter.js';
import { FakeAdapter } from '../azure-connect-button/fake-adapter.js';
import { VALID, button, control, counter, describedText, mountForm, text, typeInto } from './helpers.js';

const ELSEWHERE = 'fabrikam.onmicrosoft.us';
const NOWHERE = '0b0b0b0b-1111-4222-8333-444444444444';

const made: MemoryAdapter[] = [];
afterEach(() => {
  for (const adapter of made.splice(0)) adapter.dispose();
});

/** A MemoryAdapter whose assistant calls are counted. */
function memory(options: MemoryAdapterOptions = {}) {
  const adapter = new MemoryAdapter({ ...options, scenario: { tenants: { [ELSEWHERE]: 'usgov', [NOWHERE]: null }, ...options.scenario } });
  made.push(adapter);
  const calls = { lookupTenant: [] as string[], getAppRestriction: 0 };
  const lookup = adapter.lookupTenant.bind(adapter);
  adapter.lookupTenant = (tenant, signal) => (calls.lookupTenant.push(tenant), lookup(tenant, signal));
  const restriction = adapter.getAppRestriction.bind(adapter);
  adapter.getAppRestriction = (signal) => ((calls.getAppRestriction += 1), restriction(signal));
  return { adapter, calls };
}

const notice = (el: EmailConfigForm) => el.shadowRoot!.querySelector<HTMLElement>('[part="cloud-notice"]');

describe('<email-config-form> assistant', () => {
  describe('the cloud of a tenant', () => {
    it('offers to switch the Domain when the tenant lives in another cloud; switching moves the endpoints and saves', async () => {
      const { adapter } = memory();
      const el = await mountForm(adapter);
      await typeInto(el, 'Tenant ID', ELSEWHERE);
      await waitUntil(() => notice(el), 'no notice for a tenant of another cloud');
      expect(notice(el)!.textContent).to.contain('This tenant is in the US Government (GCC High) cloud, not Global');
      expect(describedText(el, control(el, 'Tenant ID'))).to.contain('US Government (GCC High) cloud');
      await expect(el).to.be.accessible();

      button(el, 'Switch Domain to US Government (GCC High)').click();
      await el.updateComplete;
      await waitUntil(() => el.shadowRoot!.activeElement === control(el, 'Domain'), 'focus did not move to the Domain');
      expect(control<HTMLSelectElement>(el, 'Domain').value).to.equal('usgov');
      expect(notice(el)).to.equal(null);
      const editor = el.shadowRoot!.querySelector('endpoint-template-editor') as EndpointTemplateEditor;
      expect((editor.value as Record<string, string>).tokenEndpoint).to.equal('https://login.microsoftonline.us/{TenantId}/oauth2/v2.0/token');

      await typeInto(el, 'Application (client) ID', VALID.client);
      await typeInto(el, 'Client secret', VALID.secret);
      const saved = counter(el, 'gm-saved');
      button(el, 'Save').click();
      await waitUntil(() => saved.count === 1, 'not saved');
      const view = await adapter.getConfig();
      expect([view.cloud, view.tenantId, view.endpoints.graphEndpoint]).to.deep.equal(['usgov', ELSEWHERE, 'https://graph.microsoft.us/v1.0']);
    });

    it('looks up only once the field is left with a valid tenant, says nothing when the cloud matches, and drops a lookup the admin typed over', async () => {
      const { adapter, calls } = memory();
      const el = await mountForm(adapter);
      await typeInto(el, 'Tenant ID', VALID.tenant, false);
      await typeInto(el, 'Tenant ID', 'not a tenant');
      await aTimeout(400);
      expect(calls.lookupTenant, 'nothing while typing, nothing for an invalid value').to.deep.equal([]);

      // Left, then changed again before the lookup went out: it never goes out.
      await typeInto(el, 'Tenant ID', ELSEWHERE);
      await typeInto(el, 'Tenant ID', VALID.tenant, false);
      await aTimeout(400);
      expect(calls.lookupTenant).to.deep.equal([]);

      control(el, 'Tenant ID').dispatchEvent(new FocusEvent('blur'));
      await waitUntil(() => calls.lookupTenant.length === 1);
      expect(calls.lookupTenant).to.deep.equal([VALID.tenant]);
      await aTimeout(50);
      expect(notice(el), 'the tenant lives in the chosen cloud').to.equal(null);
    });

    it('says at the field when the chosen cloud does not know the tenant; a failed lookup says nothing', async () => {
      const { adapter, calls } = memory();
      const el = await mountForm(adapter);
      await typeInto(el, 'Tenant ID', NOWHERE);
      await waitUntil(() => notice(el), 'no notice for an unknown tenant');
      expect(notice(el)!.textContent!.trim()).to.equal(`The Global cloud has no tenant "${NOWHERE}".`);
      expect(describedText(el, control(el, 'Tenant ID'))).to.contain('has no tenant');
      expect(text(el)).to.not.contain('Switch Domain');
      await expect(el).to.be.accessible();

      adapter.failNext('lookupTenant', 'network');
      await typeInto(el, 'Tenant ID', ELSEWHERE);
      await waitUntil(() => calls.lookupTenant.length === 2);
      await aTimeout(50);
      expect(notice(el)).to.equal(null);
      expect(el.shadowRoot!.querySelector('[role="alert"]')).to.equal(null);
    });

    it('does not look up while connected: the cloud is locked', async () => {
      const { calls, adapter } = memory({ connected: 'admin@contoso.com' });
      const el = await mountForm(adapter);
      control(el, 'Tenant ID').dispatchEvent(new FocusEvent('blur'));
      await aTimeout(400);
      expect(calls.lookupTenant).to.deep.equal([]);
    });
  });

  describe('support bundle', () => {
    it('saves the redacted JSON as a dated file, and explains a failure', async () => {
      const { adapter } = memory({ config: SAMPLE_CONFIG });
      const el = await mountForm(adapter);
      const blobs: Blob[] = [];
      const downloads: Array<{ href: string; download: string }> = [];
      const createObjectURL = URL.createObjectURL;
      const click = HTMLAnchorElement.prototype.click;
      URL.createObjectURL = (blob: Blob | MediaSource) => (blobs.push(blob as Blob), `blob:bundle-${blobs.length}`);
      HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
        downloads.push({ href: this.href, download: this.download });
      };
      try {
        const bundleButton = button(el, 'Download support bundle');
        bundleButton.focus();
        await sendKeys({ press: 'Enter' });
        await waitUntil(() => downloads.length === 1, 'nothing was downloaded');
        expect(downloads[0].href).to.equal('blob:bundle-1');
        expect(downloads[0].download).to.match(/^graph-mail-support-\d{4}-\d{2}-\d{2}\.json$/);
        const bundle = JSON.parse(await blobs[0].text());
        expect(bundle.kind).to.equal('graph-mail-support-bundle');
        expect(bundle.config.tenantId).to.equal(SAMPLE_CONFIG.tenantId);
        expect(JSON.stringify(bundle)).to.not.contain(SAMPLE_CONFIG.clientSecret);
        expect(el.shadowRoot!.querySelectorAll('a[download]')).to.have.length(0);

        adapter.failNext('downloadSupportBundle', 'network');
        bundleButton.click();
        await waitUntil(() => el.shadowRoot!.querySelector('[role="alert"]'));
        expect(el.shadowRoot!.querySelector('[role="alert"]')!.textContent!.trim()).to.equal('No support bundle: The mail server could not be reached.');
        expect(downloads).to.have.length(1);
        await expect(el).to.be.accessible();
      } finally {
        URL.createObjectURL = createObjectURL;
        HTMLAnchorElement.prototype.click = click;
      }
    });

    it('is not offered by an adapter without the assistant', async () => {
      const el = await mountForm(new FakeAdapter());
      expect(text(el)).to.not.contain('Download support bundle');
      expect(el.shadowRoot!.querySelector('[part="restrict-app"]')).to.equal(null);
    });
  });

  describe('restricting the app', () => {
    const application = { ...SAMPLE_CONFIG, mode: 'application' as const, fromName: 'Timesheets', fromAddress: 'payroll@contoso.com' };

    it('loads the script for the sender mailbox when opened from the keyboard, shows the warnings and copies it', async () => {
      const { adapter, calls } = memory({ config: application });
      const el = await mountForm(adapter);
      const details = el.shadowRoot!.querySelector<HTMLDetailsElement>('[part="restrict-app"]')!;
      expect(details.open).to.equal(false);
      expect(calls.getAppRestriction, 'nothing loaded while closed').to.equal(0);
      await expect(el).to.be.accessible();

      details.querySelector('summary')!.focus();
      await sendKeys({ press: 'Enter' });
      const script = () => details.querySelector<HTMLTextAreaElement>('[part~="script"]');
      await waitUntil(() => script(), 'no script');
      expect(calls.getAppRestriction).to.equal(1);
      expect(script()!.readOnly).to.equal(true);
      expect(script()!.value).to.contain(`New-ManagementScope -Name 'Timesheets - payroll@contoso.com' -RecipientRestrictionFilter "PrimarySmtpAddress -eq 'payroll@contoso.com'"`);
      expect(script()!.value).to.contain(`Test-ServicePrincipalAuthorization -Identity $appId -Resource 'payroll@contoso.com'`);
      expect(details.textContent).to.contain('limits it to payroll@contoso.com');
      const warnings = [...details.querySelectorAll('.warning')].map((p) => p.textContent!);
      expect(warnings.some((w) => w.includes('tenant-wide'))).to.equal(true);
      expect(warnings.some((w) => w.includes('30 minutes to 2 hours'))).to.equal(true);
      await expect(el).to.be.accessible();

      const copied: string[] = [];
      const original = Object.getOwnPropertyDescriptor(Navigator.prototype, 'clipboard');
      Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText: async (t: string) => void copied.push(t) } });
      try {
        button(el, 'Copy').click();
        await waitUntil(() => copied.length === 1);
        expect(copied[0]).to.equal(script()!.value);
        await waitUntil(() => details.textContent!.includes('Copied to the clipboard.'));
      } finally {
        delete (navigator as unknown as Record<string, unknown>).clipboard;
        if (original) Object.defineProperty(Navigator.prototype, 'clipboard', original);
      }
    });

    it('shows the server\'s reason when the saved settings are not application mode, and nothing in delegated mode', async () => {
      const { adapter } = memory({ config: SAMPLE_CONFIG });
      const el = await mountForm(adapter);
      expect(el.shadowRoot!.querySelector('[part="restrict-app"]'), 'delegated: no disclosure').to.equal(null);
      const mode = control<HTMLSelectElement>(el, 'Email method');
      mode.value = 'application';
      mode.dispatchEvent(new Event('change'));
      await el.updateComplete;
      const details = el.shadowRoot!.querySelector<HTMLDetailsElement>('[part="restrict-app"]')!;
      details.open = true;
      await waitUntil(() => details.querySelector('[role="alert"]'), 'no reason shown');
      expect(details.querySelector('[role="alert"]')!.textContent).to.contain('Exchange Online (application)');
      await expect(el).to.be.accessible();
    });
  });

  describe('in German', () => {
    let lang: string;
    beforeEach(() => {
      lang = document.documentElement.lang;
      document.documentElement.lang = 'de';
    });
    afterEach(() => {
      document.documentElement.lang = lang;
    });

    it('offers the switch, the bundle and the restriction in German', async () => {
      const { adapter } = memory({ config: { ...SAMPLE_CONFIG, mode: 'application' } });
      const el = await mountForm(adapter);
      await typeInto(el, 'Mandanten-ID', ELSEWHERE);
      await waitUntil(() => notice(el));
      expect(notice(el)!.textContent).to.contain('Dieser Mandant liegt in der Cloud US-Regierung (GCC High), nicht Global');
      expect(button(el, 'Domäne auf US-Regierung (GCC High) umstellen')).to.exist;
      expect(button(el, 'Supportpaket herunterladen')).to.exist;
      expect(el.shadowRoot!.querySelector('[part="restrict-app"] summary')!.textContent!.trim()).to.equal('Die App auf das Absenderpostfach beschränken');
      await expect(el).to.be.accessible();
    });
  });
});
