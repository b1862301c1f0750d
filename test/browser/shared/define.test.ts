// define(): a host may rename tags; what an element renders is registered first and rendered under
// the name its class got; a second definition warns instead of throwing.
import { expect, fixture, waitUntil } from '@open-wc/testing';
import { html, unsafeStatic } from 'lit/static-html.js';
import { AzureConnectButton, EmailConfigForm, EndpointTemplateEditor, MemoryAdapter, NotificationLog, define } from '../../../src/index.js';
import { defineElement } from '../../../src/components/shared/index.js';

/** Collects console.warn calls while `run` runs. */
function warningsOf(run: () => void): string[] {
  const seen: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void seen.push(args.map(String).join(' '));
  try {
    run();
  } finally {
    console.warn = original;
  }
  return seen;
}

describe('define()', () => {
  before(() => {
    const warnings = warningsOf(() => define({ 'email-config-form': 'acme-mail-form', 'azure-connect-button': 'acme-connect' }));
    expect(warnings, 'a first definition is quiet').to.deep.equal([]);
  });

  it('registers each element under the chosen name, the others under their default', () => {
    expect(customElements.get('acme-mail-form')).to.equal(EmailConfigForm);
    expect(customElements.get('acme-connect')).to.equal(AzureConnectButton);
    expect(customElements.get('endpoint-template-editor')).to.equal(EndpointTemplateEditor);
    expect(customElements.get('notification-log')).to.equal(NotificationLog);
    expect(customElements.get('email-config-form')).to.equal(undefined);
    expect(customElements.get('azure-connect-button')).to.equal(undefined);
  });

  it('renders the renamed button inside the renamed form', async () => {
    const tag = unsafeStatic('acme-mail-form');
    const form = await fixture<EmailConfigForm>(html`<${tag} .adapter=${new MemoryAdapter()}></${tag}>`);
    await waitUntil(() => form.shadowRoot!.querySelector('acme-connect'), 'the form never rendered <acme-connect>');
    const button = form.shadowRoot!.querySelector('acme-connect')!;
    expect(button).to.be.instanceOf(AzureConnectButton);
    expect(form.shadowRoot!.querySelector('azure-connect-button')).to.equal(null);
    // It is upgraded and running: it rendered its own shadow content.
    await waitUntil(() => button.shadowRoot?.querySelector('button'), 'the renamed button did not render');
  });

  it('warns, and does not throw, on a second definition', () => {
    let warnings = warningsOf(() => expect(() => define()).not.to.throw());
    // The form and the button are already registered under other names; the editor and the log again under theirs.
    expect(warnings.some((w) => w.includes('<acme-mail-form>') && w.includes('<email-config-form>')), warnings.join('\n')).to.be.true;
    expect(warnings.some((w) => w.includes('<acme-connect>') && w.includes('<azure-connect-button>')), warnings.join('\n')).to.be.true;
    expect(customElements.get('email-config-form')).to.equal(undefined);

    warnings = warningsOf(() => expect(() => NotificationLog.define('acme-log')).not.to.throw());
    expect(warnings).to.have.length(1);
    expect(customElements.get('acme-log')).to.equal(undefined);

    class Impostor extends HTMLElement {}
    warnings = warningsOf(() => expect(() => defineElement('acme-connect', Impostor)).not.to.throw());
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.contain('<acme-connect> is already defined');
    expect(customElements.get('acme-connect')).to.equal(AzureConnectButton);
  });

  it('is quiet when the same class is defined again under the same name', () => {
    expect(warningsOf(() => EmailConfigForm.define('acme-mail-form'))).to.deep.equal([]);
  });
});
