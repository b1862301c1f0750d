import { expect } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { endpointTemplateEditorDe } from '../../../src/locales/de/endpoint-template-editor.js';
import { endpointTemplateEditorStrings } from '../../../src/components/endpoint-template-editor/endpoint-template-editor.strings.js';
import { active, buttonNamed, field, messages, mount, preview, squash } from './helpers.js';

describe('<endpoint-template-editor> in German', () => {
  let lang: string;
  beforeEach(() => {
    lang = document.documentElement.lang;
    document.documentElement.lang = 'de';
  });
  afterEach(() => {
    document.documentElement.lang = lang;
  });

  it('translates every key, the shared validation messages included', () => {
    const missing = Object.keys(endpointTemplateEditorStrings).filter((key) => !(key in endpointTemplateEditorDe));
    expect(missing).to.deep.equal([]);
  });

  it('labels, buttons, menu, messages and preview follow <html lang="de">', async () => {
    const el = await mount({ endpoints: { graphEndpoint: 'https://graph.microsoft.us/v1.0', draftSendEndpoint: '/send' } });
    for (const label of ['Token-Endpunkt', 'Graph-API-Endpunkt', 'Benutzer-Endpunkt', 'Upload-Sitzung-erstellen-Endpunkt']) {
      expect(field(el, label), label).to.exist;
    }
    expect(buttonNamed(el, 'Alle zurücksetzen')).to.exist;
    expect(squash(el.shadowRoot!.querySelector('[part~="notice"]')!.textContent)).to.contain('Unter normalen Umständen');
    expect(messages(el, 'graphEndpoint')).to.deep.equal([
      'Graph-API-Endpunkt zeigt auf graph.microsoft.us, einen Host von US-Regierung (GCC High), aber die Domäne ist Global. Verwenden Sie graph.microsoft.com oder wählen Sie die Domäne US-Regierung (GCC High) und setzen Sie die Endpunkte zurück.',
    ]);
    expect(messages(el, 'draftSendEndpoint')[0]).to.match(/^Entwurf-Senden-Endpunkt muss \{DraftMessageId\} enthalten/);
    expect(preview(el, 'userEndpoint')).to.contain('Korrigieren Sie den Graph-API-Endpunkt');
    expect(preview(el, 'tokenEndpoint')).to.match(/^Gesendet als: https:\/\/login\.microsoftonline\.com\/\{TenantId\}/);

    el.shadowRoot!.querySelector<HTMLButtonElement>('#menu-button-tokenEndpoint')!.focus();
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(squash(active(el)!.textContent)).to.equal('{TenantId} Die Mandanten-ID');
    await expect(el).to.be.accessible();
  });

  it('switches language when the lang attribute changes', async () => {
    const el = await mount();
    expect(field(el, 'Standardbereich')).to.exist;
    document.documentElement.lang = 'en';
    await new Promise((resolve) => setTimeout(resolve));
    await el.updateComplete;
    expect(field(el, 'Default scope')).to.exist;
  });
});
