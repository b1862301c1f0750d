// A right-to-left locale: `graph-mail-elements/locales/ar` translates the form and the connect button;
// the rest falls back to English key by key.
import { expect, fixture, waitUntil } from '@open-wc/testing';
import { html } from 'lit';
import '../../../src/locales/ar/index.js';
import { emailConfigFormAr } from '../../../src/locales/ar/email-config-form.js';
import { azureConnectButtonAr } from '../../../src/locales/ar/azure-connect-button.js';
import { emailConfigFormStrings } from '../../../src/components/email-config-form/email-config-form.strings.js';
import { azureConnectButtonStrings } from '../../../src/components/azure-connect-button/azure-connect-button.strings.js';
import { EmailConfigForm, MemoryAdapter, define } from '../../../src/index.js';

define();

const labels = (root: ShadowRoot) => [...root.querySelectorAll('label')].map((l) => l.textContent!.replace(/\s+/g, ' ').trim());

describe('locales/ar', () => {
  it('translates every key of the form and the button, with the same parameters', () => {
    const params = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [english, arabic] of [
      [emailConfigFormStrings, emailConfigFormAr],
      [azureConnectButtonStrings, azureConnectButtonAr],
    ] as Array<[Record<string, string>, Record<string, string>]>) {
      expect(Object.keys(arabic).sort()).to.deep.equal(Object.keys(english).sort());
      for (const key of Object.keys(english)) {
        expect(params(arabic[key]), key).to.deep.equal(params(english[key]));
        expect(arabic[key], key).to.match(/[\u0600-\u06ff]/);
      }
    }
  });

  it('shows the form and its button in Arabic inside dir="rtl", and stays accessible', async () => {
    const wrapper = await fixture<HTMLElement>(html`<div lang="ar" dir="rtl"><email-config-form .adapter=${new MemoryAdapter()}></email-config-form></div>`);
    const form = wrapper.firstElementChild as EmailConfigForm;
    await waitUntil(() => labels(form.shadowRoot!).length > 0, 'the form did not render');
    expect(labels(form.shadowRoot!).join(' | ')).to.contain(emailConfigFormAr['label.tenantId']);
    expect(labels(form.shadowRoot!).join(' | ')).to.contain(emailConfigFormAr['label.clientId']);
    const button = form.shadowRoot!.querySelector('azure-connect-button')!;
    await waitUntil(() => button.shadowRoot?.textContent?.includes(azureConnectButtonAr['connect.connect']), 'the nested button is not in Arabic');
    await expect(form).to.be.accessible();
  });
});
