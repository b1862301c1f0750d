// The localize controller: the nearest `lang` (across shadow roots) picks the table, a change of that
// attribute or a newly registered table re-renders, and a locale module switches real elements.
import { expect, fixture, waitUntil } from '@open-wc/testing';
import { LitElement, html } from 'lit';
import { Localize, langOf, registerStrings } from '../../../src/components/shared/index.js';
import { AzureConnectButton, MemoryAdapter } from '../../../src/index.js';

class LocalizedProbe extends LitElement {
  readonly localize = new Localize(this, { greeting: 'Hello, {name}', farewell: 'Goodbye' });
  override render() {
    return html`<p>${this.localize.term('greeting', { name: 'Ada' })}</p><p>${this.localize.term('farewell')}</p>`;
  }
}
customElements.define('localized-probe', LocalizedProbe);

/** Renders a probe inside its own shadow root, to check that `lang` is found across the boundary. */
class ProbeHost extends LitElement {
  override render() {
    return html`<localized-probe></localized-probe>`;
  }
}
customElements.define('probe-host', ProbeHost);

registerStrings('xx', { greeting: 'Xallo, {name}' });
registerStrings('yy', { greeting: 'Yello, {name}', farewell: 'Yebye' });

const textOf = (el: Element) => [...el.shadowRoot!.querySelectorAll('p')].map((p) => p.textContent).join(' | ');
const settle = async (el: LitElement) => {
  // A MutationObserver callback runs as a microtask after the attribute change; then the update.
  await new Promise((resolve) => setTimeout(resolve));
  await el.updateComplete;
};

describe('Localize', () => {
  let htmlLang: string;
  beforeEach(() => (htmlLang = document.documentElement.lang));
  afterEach(() => (document.documentElement.lang = htmlLang));

  it('uses English, with parameters, when no table matches', async () => {
    const el = await fixture<LocalizedProbe>(html`<div lang="fr"><localized-probe></localized-probe></div>`).then((d) => d.firstElementChild as LocalizedProbe);
    expect(textOf(el)).to.equal('Hello, Ada | Goodbye');
  });

  it('follows the nearest ancestor lang and its changes, falling back to English key by key', async () => {
    const outer = await fixture<HTMLElement>(html`<section lang="yy"><div lang="xx"><localized-probe></localized-probe></div></section>`);
    const div = outer.firstElementChild as HTMLElement;
    const el = div.firstElementChild as LocalizedProbe;
    expect(textOf(el)).to.equal('Xallo, Ada | Goodbye');
    div.setAttribute('lang', 'yy');
    await settle(el);
    expect(textOf(el)).to.equal('Yello, Ada | Yebye');
    div.removeAttribute('lang');
    outer.setAttribute('lang', 'en');
    await settle(el);
    expect(textOf(el)).to.equal('Hello, Ada | Goodbye');
  });

  it('follows <html lang> when no ancestor has one, and a region falls back to its language', async () => {
    document.documentElement.lang = 'XX-AT';
    const el = await fixture<LocalizedProbe>(html`<localized-probe></localized-probe>`);
    expect(el.localize.lang).to.equal('xx-at');
    expect(textOf(el)).to.equal('Xallo, Ada | Goodbye');
    document.documentElement.lang = 'yy';
    await settle(el);
    expect(textOf(el)).to.equal('Yello, Ada | Yebye');
  });

  it('finds the lang of a container across its shadow root', async () => {
    const wrapper = await fixture<HTMLElement>(html`<div lang="yy"><probe-host></probe-host></div>`);
    const host = wrapper.firstElementChild as ProbeHost;
    await host.updateComplete;
    const inner = host.shadowRoot!.querySelector('localized-probe') as LocalizedProbe;
    await inner.updateComplete;
    expect(langOf(inner)).to.equal('yy');
    expect(textOf(inner)).to.equal('Yello, Ada | Yebye');
    wrapper.lang = 'xx';
    await settle(inner);
    expect(textOf(inner)).to.equal('Xallo, Ada | Goodbye');
  });

  it('re-renders when a table is registered later; the later table wins', async () => {
    const el = await fixture<HTMLElement>(html`<div lang="zz"><localized-probe></localized-probe></div>`).then((d) => d.firstElementChild as LocalizedProbe);
    expect(textOf(el)).to.equal('Hello, Ada | Goodbye');
    registerStrings('zz', { greeting: 'Zdravo, {name}', farewell: 'Zbogom' });
    await el.updateComplete;
    expect(textOf(el)).to.equal('Zdravo, Ada | Zbogom');
    registerStrings('zz', { farewell: 'Doviđenja' });
    await el.updateComplete;
    expect(textOf(el)).to.equal('Zdravo, Ada | Doviđenja');
  });
});

describe('locale modules', () => {
  before(() => AzureConnectButton.define());

  it('switches a real element to German when graph-mail-elements/locales/de is imported', async () => {
    const wrapper = await fixture<HTMLElement>(
      html`<div lang="de"><azure-connect-button .adapter=${new MemoryAdapter({ config: { tenantId: 'contoso.onmicrosoft.com', clientId: '3aacd4f2-1c9e-4a57-9d3e-0c4f1f2a6b7d' } })}></azure-connect-button></div>`,
    );
    const button = wrapper.firstElementChild as AzureConnectButton;
    const label = () => button.shadowRoot?.querySelector('button')?.textContent?.trim() ?? '';
    await waitUntil(() => label() === 'Connect Azure Email', `English first, got "${label()}"`);
    const { azureConnectButtonDe } = await import('../../../src/locales/de/azure-connect-button.js');
    await import('../../../src/locales/de/index.js');
    await waitUntil(() => label() === azureConnectButtonDe['connect.connect'], `German after the import, got "${label()}"`);
    expect(label()).to.equal('Azure-E-Mail verbinden');
    wrapper.lang = 'en';
    await waitUntil(() => label() === 'Connect Azure Email', 'English again for lang="en"');
  });
});
