import { expect, waitUntil } from '@open-wc/testing';
import '../../../src/locales/de/email-config-form.js';
import '../../../src/locales/de/azure-connect-button.js';
import { FakeAdapter, readyView } from '../azure-connect-button/fake-adapter.js';
import { button, control, feedback, hasControl, mountForm, typeInto } from './helpers.js';

describe('<email-config-form> in German', () => {
  let lang: string;
  beforeEach(() => {
    lang = document.documentElement.lang;
    document.documentElement.lang = 'de';
  });
  afterEach(() => {
    document.documentElement.lang = lang;
  });

  it('labels, options, buttons and validation messages follow <html lang="de">', async () => {
    const el = await mountForm(new FakeAdapter(readyView()));
    for (const name of ['E-Mail-Methode', 'Mandanten-ID', 'Anwendungs-ID (Client)', 'Geheimer Clientschlüssel', 'Domäne', 'Absenderadresse']) {
      expect(hasControl(el, name), name).to.be.true;
    }
    expect(control<HTMLSelectElement>(el, 'E-Mail-Methode').options[0].text.trim()).to.equal('Azure-Dienst (angemeldetes Postfach)');
    for (const name of ['Speichern', 'Einstellungen testen', 'Löschen', 'Zurücksetzen']) expect(button(el, name)).to.exist;
    await typeInto(el, 'Geheimer Clientschlüssel', 'b1e2c3d4-0000-4000-8000-123456789abc');
    expect(feedback(el, 'Geheimer Clientschlüssel')).to.contain('Das ist die geheime ID');
    await typeInto(el, 'Absenderadresse', 'kaputt');
    expect(feedback(el, 'Absenderadresse')).to.contain('Absenderadresse muss eine E-Mail-Adresse');
    const connect = el.shadowRoot!.querySelector('azure-connect-button')!;
    await waitUntil(() => connect.shadowRoot!.textContent!.includes('Azure-E-Mail verbinden'));
    await expect(el).to.be.accessible();
  });
});
