// define('tag'): the form alone under a host's name, registering first the elements it renders.
import { expect } from '@open-wc/testing';
import { AzureConnectButton, EmailConfigForm, EndpointTemplateEditor, define } from '../../../src/index.js';

describe('define(tagName)', () => {
  it('registers the form under that name and what it renders under their default names, nothing else', () => {
    define('my-mail-form');
    expect(customElements.get('my-mail-form')).to.equal(EmailConfigForm);
    expect(customElements.get('azure-connect-button')).to.equal(AzureConnectButton);
    expect(customElements.get('endpoint-template-editor')).to.equal(EndpointTemplateEditor);
    expect(customElements.get('email-config-form')).to.equal(undefined);
    expect(customElements.get('notification-log')).to.equal(undefined);
  });
});
