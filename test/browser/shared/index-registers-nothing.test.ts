// The main entry is side-effect free: importing it (and a locale) defines no tag, so a host can pick
// its own names before anything is registered.
import { expect } from '@open-wc/testing';
import * as library from '../../../src/index.js';
import '../../../src/locales/de/index.js';

const DEFAULT_TAGS = ['email-config-form', 'azure-connect-button', 'endpoint-template-editor', 'notification-log'];

describe('graph-mail-elements (main entry)', () => {
  it('registers no tag and no class when imported', () => {
    for (const tag of DEFAULT_TAGS) expect(customElements.get(tag), tag).to.equal(undefined);
    for (const ctor of [library.EmailConfigForm, library.AzureConnectButton, library.EndpointTemplateEditor, library.NotificationLog]) {
      expect(customElements.getName(ctor), ctor.name).to.equal(null);
    }
  });

  it('exports the four classes, both adapters, the errors, registerStrings and define', () => {
    expect(Object.keys(library.DEFAULT_TAGS).sort()).to.deep.equal([...DEFAULT_TAGS].sort());
    expect(new library.HttpAdapter({ baseUrl: '/x/' }).baseUrl).to.equal('/x');
    expect(new library.MemoryAdapter()).to.be.instanceOf(library.MemoryAdapter);
    expect(new library.NetworkError('down')).to.be.instanceOf(library.BackendError);
    expect(library.registerStrings).to.be.a('function');
    expect(library.define).to.be.a('function');
    // Still nothing registered after touching the exports.
    for (const tag of DEFAULT_TAGS) expect(customElements.get(tag), tag).to.equal(undefined);
  });
});
