/**
 * Secret rotation, expiry reminders and the Send As check in <email-config-form>, against the
 * MemoryAdapter (which answers as the reference server does).
 */
import { expect } from '@open-wc/testing';
import type { EmailConfigForm } from '../../../src/components/email-config-form/email-config-form.js';
import '../../../src/locales/de/email-config-form.js';
import '../../../src/locales/ar/email-config-form.js';
import type { ConfigInput } from '../../../src/services/contract.js';
import { MemoryAdapter, SAMPLE_CONFIG, type MemoryAdapterOptions } from '../../../src/services/memory-adapter.js';
import { VALID, button, control, hasControl, mountForm, text, typeInto } from './helpers.js';

const DAY = 86_400_000;
/** The date whose midnight (UTC) is between `days` and `days + 1` days from now. */
const inDays = (days: number) => new Date(Date.now() + (days + 1) * DAY).toISOString().slice(0, 10);
const NEW_SECRET = 'Nw9Q~thisIsTheNewSecretValue0123456789';

const made: MemoryAdapter[] = [];
afterEach(() => {
  for (const adapter of made.splice(0)) adapter.dispose();
});

function memory(options: MemoryAdapterOptions) {
  const adapter = new MemoryAdapter(options);
  made.push(adapter);
  const saved: ConfigInput[] = [];
  const save = adapter.saveConfig.bind(adapter);
  adapter.saveConfig = (input, opts) => (saved.push(structuredClone(input)), save(input, opts));
  return { adapter, saved };
}

const part = (el: EmailConfigForm, name: string) => el.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`);

describe('<email-config-form> secret rotation', () => {
  it('offers the second secret on demand while the secret has long to live', async () => {
    const { adapter, saved } = memory({ config: { ...SAMPLE_CONFIG, secretExpiresAt: inDays(120) } });
    const el = await mountForm(adapter);
    expect(hasControl(el, 'New client secret')).to.equal(false);
    expect(el.shadowRoot!.querySelector('[data-reminder]')).to.equal(null);
    button(el, 'Add a new client secret').click();
    await el.updateComplete;
    await typeInto(el, 'New client secret', NEW_SECRET);
    await typeInto(el, 'New secret expires', inDays(700));
    await el.save();
    expect(saved.at(-1)?.nextClientSecret).to.equal(NEW_SECRET);
    expect(saved.at(-1)?.nextSecretExpiresAt).to.equal(inDays(700));
    expect(control(el, 'New client secret').value).to.equal('', 'a write-only field is emptied after saving');
    expect(text(el)).to.contain('A new secret is saved (Nw9…): it replaces the current one as soon as it has worked once.');
    await expect(el).shadowDom.to.be.accessible();
  });

  it('reminds at 14 days and shows the second secret by itself', async () => {
    const { adapter } = memory({ config: { ...SAMPLE_CONFIG, secretExpiresAt: inDays(13) } });
    const el = await mountForm(adapter);
    const reminder = el.shadowRoot!.querySelector<HTMLElement>('[data-reminder]');
    expect(reminder?.dataset.reminder).to.equal('14');
    // Whole days rounded up, as the line above it counts them.
    expect(reminder?.textContent).to.contain(`The credential expires in 14 days (${inDays(13)})`);
    expect(hasControl(el, 'New client secret')).to.equal(true);
  });

  it('says why a refused second secret was refused, and can remove it', async () => {
    const { adapter, saved } = memory({ config: { ...SAMPLE_CONFIG, secretExpiresAt: inDays(20) }, scenario: { acceptedSecret: SAMPLE_CONFIG.clientSecret } });
    const el = await mountForm(adapter);
    await typeInto(el, 'New client secret', NEW_SECRET);
    await el.save();
    const status = part(el, 'next-secret-status')!;
    expect(status.textContent).to.contain('The new secret (Nw9…) was refused; mail is still sent with the current one.');
    expect(status.textContent).to.match(/7000215|Value/);
    button(el, 'Remove the new secret').click();
    await el.updateComplete;
    await el.save();
    expect(saved.at(-1)?.removeNextSecret).to.equal(true);
    expect(part(el, 'next-secret-status')).to.equal(null);
  });

  it('refuses a Secret ID in the second secret field, naming it', async () => {
    const { adapter, saved } = memory({ config: { ...SAMPLE_CONFIG, secretExpiresAt: inDays(5) } });
    const el = await mountForm(adapter);
    const count = saved.length;
    await typeInto(el, 'New client secret', VALID.tenant);
    await el.save();
    expect(saved.length).to.equal(count, 'not sent to the server');
    expect(el.shadowRoot!.activeElement).to.equal(control(el, 'New client secret'));
    expect(text(el)).to.contain('This is the Secret ID, not the secret.');
  });

  it('speaks German and Arabic', async () => {
    const { adapter } = memory({ config: { ...SAMPLE_CONFIG, secretExpiresAt: inDays(2) } });
    for (const [lang, expected] of [
      ['de', 'Die Anmeldeinformation läuft in 3 Tagen ab'],
      ['ar', 'تنتهي صلاحية بيانات الاعتماد خلال 3 يومًا'],
    ] as const) {
      document.documentElement.lang = lang;
      try {
        const el = await mountForm(adapter);
        expect(el.shadowRoot!.querySelector('[data-reminder]')?.textContent).to.contain(expected);
      } finally {
        document.documentElement.lang = 'en';
      }
    }
  });
});

describe('<email-config-form> Send As check', () => {
  it('shows that the account may send as the shared From address', async () => {
    const { adapter } = memory({ config: { ...SAMPLE_CONFIG, fromAddress: 'info@contoso.com' }, connected: 'adele@contoso.com' });
    const el = await mountForm(adapter);
    expect(part(el, 'send-as')?.textContent?.trim()).to.equal('adele@contoso.com may send as info@contoso.com.');
  });

  it('explains a refusal (Send As or Send on Behalf)', async () => {
    const { adapter } = memory({ config: { ...SAMPLE_CONFIG, fromAddress: 'billing@contoso.com' }, connected: 'adele@contoso.com', scenario: { sendAs: 'denied' } });
    const el = await mountForm(adapter);
    const line = part(el, 'send-as')!;
    expect(line.textContent).to.contain('adele@contoso.com may not send as billing@contoso.com: mail from this address will fail.');
    expect(line.textContent).to.contain('"Send As" (or "Send on Behalf")');
    await expect(el).shadowDom.to.be.accessible();
  });

  it('does not check when the account is the From address', async () => {
    const { adapter } = memory({ config: SAMPLE_CONFIG, connected: SAMPLE_CONFIG.fromAddress });
    const el = await mountForm(adapter);
    expect(part(el, 'send-as')).to.equal(null);
  });
});
