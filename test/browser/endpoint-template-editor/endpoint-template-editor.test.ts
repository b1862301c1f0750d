import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { EndpointName } from '../../../src/services/contract.js';
import { ENDPOINT_NAMES } from '../../../src/services/contract.js';
import { defaultEndpoints } from '../../../src/services/endpoints.js';
import type { EndpointTemplateEditor } from '../../../src/components/endpoint-template-editor/endpoint-template-editor.js';
import {
  LABELS,
  accessibleName,
  active,
  buttonNamed,
  counter,
  described,
  field,
  messages,
  mount,
  preview,
  previewUrl,
  squash,
} from './helpers.js';

const GLOBAL = defaultEndpoints('global');
const USGOV = defaultEndpoints('usgov');

describe('<endpoint-template-editor>', () => {
  it('labels each template with its exact accessible name and shows the seed notice', async () => {
    const el = await mount();
    const inputs = [...el.shadowRoot!.querySelectorAll('input')];
    expect(inputs.map((input) => accessibleName(input))).to.deep.equal(Object.values(LABELS));
    // The row buttons name their template too.
    expect(accessibleName(el.shadowRoot!.querySelector('#reset-tokenEndpoint')!)).to.equal('Reset to default Token endpoint');
    expect(accessibleName(el.shadowRoot!.querySelector('#menu-button-userEndpoint')!)).to.equal('Insert placeholder User endpoint');
    expect(field(el, 'Token endpoint').value).to.equal(GLOBAL.tokenEndpoint);
    expect(squash(el.shadowRoot!.querySelector('[part~="notice"]')!.textContent)).to.contain(
      'Several contain placeholders, such as {TenantId}',
    );
    expect(squash(el.shadowRoot!.querySelector('[part~="notice"]')!.textContent)).to.contain('should not be changed under normal circumstances');
    // Every button of ours is a plain button.
    for (const button of el.shadowRoot!.querySelectorAll('button')) expect(button.type).to.equal('button');
    await expect(el).to.be.accessible();
  });

  it('highlights placeholders as tokens and marks the wrong ones', async () => {
    const el = await mount({ endpoints: { userEndpoint: '/users/{UserPrincipalName}/{DraftMessageId}/{' } });
    const tokens = [...el.shadowRoot!.querySelectorAll('[data-name="userEndpoint"] [part~="token"]')];
    expect(tokens.map((t) => [t.textContent, t.getAttribute('part')])).to.deep.equal([
      ['{UserPrincipalName}', 'token'],
      ['{DraftMessageId}', 'token token-invalid'],
      ['{', 'token token-invalid'],
    ]);
    // The highlighting layer repeats the input's text exactly, so the tokens sit under the right characters.
    const mirror = el.shadowRoot!.querySelector('[data-name="userEndpoint"] [part~="tokens"]')!;
    expect(mirror.textContent).to.equal(field(el, 'User endpoint').value);
  });

  it('keeps the highlighting under the text when a long template scrolls', async () => {
    const long = `/users/{UserPrincipalId}/messages/${'segment/'.repeat(30)}{DraftMessageId}/attachments/createUploadSession`;
    const el = await mount({ endpoints: { uploadSessionEndpoint: long } });
    const input = field(el, 'Create upload session endpoint');
    input.focus();
    await sendKeys({ press: 'End' });
    await el.updateComplete;
    expect(input.scrollLeft).to.be.greaterThan(0);
    const inner = el.shadowRoot!.querySelector<HTMLElement>('[data-name="uploadSessionEndpoint"] .mirror-inner')!;
    expect(inner.style.transform).to.equal(`translateX(${-input.scrollLeft}px)`);
  });

  describe('validation', () => {
    const cases: { name: EndpointName; value: string; expected: string[] }[] = [
      {
        name: 'tokenEndpoint',
        value: 'https://login.microsoftonline.com/{Tenant}/oauth2/v2.0/token',
        expected: [
          'Token endpoint uses the unknown placeholder {Tenant}. Use one of: {TenantId}.',
          'Token endpoint must contain {TenantId}, where the value goes, as in https://login.microsoftonline.com/{TenantId}/oauth2/v2.0/token',
        ],
      },
      {
        name: 'draftSendEndpoint',
        value: '/send',
        expected: ['Draft send endpoint must contain {DraftMessageId}, where the value goes, as in /{DraftMessageId}/send'],
      },
      {
        name: 'userEndpoint',
        value: '/users/{UserPrincipalName',
        expected: [
          'User endpoint has an unmatched "{" at position 8. Write each placeholder as its name in one pair of braces, such as {TenantId}.',
          'User endpoint must contain one of {UserPrincipalName}, {UserPrincipalId}, where the value goes, as in /users/{UserPrincipalName}',
        ],
      },
      {
        name: 'graphEndpoint',
        value: 'http://graph.microsoft.com/v1.0',
        expected: ['Graph API endpoint must use https://, as in https://graph.microsoft.com/v1.0'],
      },
      {
        name: 'tokenEndpoint',
        value: 'https://login.example.com/{TenantId}/oauth2/v2.0/token',
        expected: [
          'Token endpoint points at login.example.com, which is not a host of the Domain Global. Use login.microsoftonline.com.',
        ],
      },
      {
        name: 'graphEndpoint',
        value: 'https://graph.microsoft.us/v1.0',
        expected: [
          'Graph API endpoint points at graph.microsoft.us, a host of US Government (GCC High), but the Domain is Global. Use graph.microsoft.com, or choose the Domain US Government (GCC High) and reset the templates.',
        ],
      },
      {
        name: 'userMessagesEndpoint',
        value: 'https://graph.microsoft.com/v1.0/users/{UserPrincipalId}/messages',
        expected: [
          'User messages endpoint must be a path relative to the Graph API endpoint, starting with a single "/", such as /users/{UserPrincipalId}/messages',
        ],
      },
      {
        name: 'tokenEndpoint',
        value: '/{TenantId}/oauth2/v2.0/token',
        expected: [
          'Token endpoint must be a full URL that starts with https://, such as https://login.microsoftonline.com/{TenantId}/oauth2/v2.0/token',
        ],
      },
    ];

    for (const { name, value, expected } of cases) {
      it(`${LABELS[name]}: ${expected[0].slice(LABELS[name].length + 1, LABELS[name].length + 40)}…`, async () => {
        const el = await mount({ endpoints: { [name]: value } });
        const input = field(el, LABELS[name]);
        expect(input.getAttribute('aria-invalid')).to.equal('true');
        expect(messages(el, name)).to.deep.equal(expected);
        // The messages are announced with the field, and only this row is invalid.
        expect(described(el, input)).to.contain(expected[0]);
        for (const other of ENDPOINT_NAMES.filter((n) => n !== name)) {
          expect(field(el, LABELS[other]).getAttribute('aria-invalid'), other).to.equal('false');
        }
        expect(el.validationIssues.every((issue) => issue.name === name)).to.be.true;
        expect(squash(el.shadowRoot!.querySelector('[part~="summary"]')!.textContent)).to.equal('1 endpoint(s) need attention.');
      });
    }

    it('validates while typing and is accessible with errors shown', async () => {
      const el = await mount();
      const input = field(el, 'Default scope');
      input.focus();
      input.select();
      await sendKeys({ type: 'https://graph.microsoft.com/{TenantId}/.default' });
      await el.updateComplete;
      expect(messages(el, 'defaultScope')).to.deep.equal([
        'Default scope takes no placeholders: remove {TenantId}, as in https://graph.microsoft.com/.default',
        'Default scope must be the Graph API endpoint\'s origin followed by /.default, such as https://graph.microsoft.com/.default',
      ]);
      expect(preview(el, 'defaultScope')).to.contain('Fix the messages above to see the URL.');
      await expect(el).to.be.accessible();
    });

    it('shows server field errors on their row until that row is edited, and focus() goes there', async () => {
      const el = await mount();
      el.errors = [
        { path: 'endpoints.graphEndpoint', message: 'Graph API endpoint is not reachable from the server.' },
        { path: 'tenantId', message: 'not mine' },
      ];
      await el.updateComplete;
      const input = field(el, 'Graph API endpoint');
      expect(messages(el, 'graphEndpoint')).to.deep.equal(['The server says: Graph API endpoint is not reachable from the server.']);
      expect(input.getAttribute('aria-invalid')).to.equal('true');
      expect(squash(el.shadowRoot!.textContent)).to.not.contain('not mine');
      el.focus();
      expect(active(el)).to.equal(input);
      await expect(el).to.be.accessible();
      await sendKeys({ press: 'End' });
      await sendKeys({ type: '/' });
      await el.updateComplete;
      expect(messages(el, 'graphEndpoint')).to.deep.equal([]);
      expect(input.getAttribute('aria-invalid')).to.equal('false');
    });
  });

  describe('insert placeholder menu', () => {
    it('opens from the keyboard, offers only the allowed placeholders and inserts at the caret', async () => {
      const el = await mount({ endpoints: { userEndpoint: '/users//messages' } });
      const changes = counter(el, 'change');
      const input = field(el, 'User endpoint');
      input.focus();
      input.setSelectionRange(7, 7);
      await sendKeys({ press: 'Tab' });
      const button = active(el) as HTMLButtonElement;
      expect(button.getAttribute('part')).to.contain('menu-button');
      expect(button.getAttribute('aria-haspopup')).to.equal('menu');
      expect(button.getAttribute('aria-expanded')).to.equal('false');
      await sendKeys({ press: 'Enter' });
      await el.updateComplete;
      expect(button.getAttribute('aria-expanded')).to.equal('true');
      const menu = el.shadowRoot!.getElementById(button.getAttribute('aria-controls')!)!;
      expect(menu.getAttribute('role')).to.equal('menu');
      const items = [...menu.querySelectorAll('[role="menuitem"]')];
      expect(items.map((item) => item.getAttribute('data-placeholder'))).to.deep.equal(['UserPrincipalName', 'UserPrincipalId']);
      expect(active(el)).to.equal(items[0]);
      await expect(el).to.be.accessible();
      await sendKeys({ press: 'ArrowDown' });
      await el.updateComplete;
      expect(active(el)).to.equal(el.shadowRoot!.querySelectorAll('[role="menuitem"]')[1]);
      await sendKeys({ press: 'ArrowDown' });
      await el.updateComplete;
      expect(active(el)).to.equal(el.shadowRoot!.querySelectorAll('[role="menuitem"]')[0]);
      await sendKeys({ press: 'End' });
      await el.updateComplete;
      await sendKeys({ press: 'Enter' });
      await el.updateComplete;
      expect(input.value).to.equal('/users/{UserPrincipalId}/messages');
      expect(el.endpoints.userEndpoint).to.equal('/users/{UserPrincipalId}/messages');
      expect(el.shadowRoot!.querySelector('[role="menu"]')).to.equal(null);
      expect(active(el)).to.equal(input);
      expect(input.selectionStart).to.equal(24);
      expect(changes.count).to.equal(1);
      expect(input.getAttribute('aria-invalid')).to.equal('false');
    });

    it('closes on Escape and returns focus to its button; templates without placeholders have no menu', async () => {
      const el = await mount();
      const button = el.shadowRoot!.querySelector<HTMLButtonElement>('#menu-button-draftSendEndpoint')!;
      button.focus();
      await sendKeys({ press: 'ArrowUp' });
      await el.updateComplete;
      const items = [...el.shadowRoot!.querySelectorAll('[role="menuitem"]')];
      expect(items.map((item) => item.getAttribute('data-placeholder'))).to.deep.equal(['DraftMessageId']);
      expect(active(el)).to.equal(items[0]);
      await sendKeys({ press: 'Escape' });
      await el.updateComplete;
      expect(el.shadowRoot!.querySelector('[role="menu"]')).to.equal(null);
      expect(active(el)).to.equal(button);
      expect(el.shadowRoot!.querySelector('#menu-button-defaultScope')).to.equal(null);
      expect(el.shadowRoot!.querySelector('#menu-button-graphEndpoint')).to.equal(null);
      expect(el.shadowRoot!.querySelector('#menu-button-tokenEndpoint')).to.not.equal(null);
    });
  });

  describe('preview', () => {
    it('percent-encodes a guest UPN with #EXT# as the server sends it', async () => {
      const el = await mount({ tenantId: 'contoso.onmicrosoft.com', fromAddress: 'jane_fabrikam.com#EXT#@contoso.onmicrosoft.com' });
      expect(previewUrl(el, 'userEndpoint')).to.equal(
        'https://graph.microsoft.com/v1.0/users/jane_fabrikam.com%23EXT%23%40contoso.onmicrosoft.com',
      );
      expect(previewUrl(el, 'tokenEndpoint')).to.equal('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
      // The sender's object id and the draft id are only known when sending: shown as pending, not invented.
      expect(previewUrl(el, 'draftSendEndpoint')).to.equal(
        'https://graph.microsoft.com/v1.0/users/{UserPrincipalId}/messages/{DraftMessageId}/send',
      );
      expect(preview(el, 'draftSendEndpoint')).to.contain('Values in braces are filled in when mail is sent');
      expect(described(el, field(el, 'User endpoint'))).to.contain('%23EXT%23%40');
    });

    it('looks a $-UPN up with $filter and follows property changes', async () => {
      const el = await mount();
      expect(previewUrl(el, 'tokenEndpoint')).to.equal('https://login.microsoftonline.com/{TenantId}/oauth2/v2.0/token');
      el.fromAddress = '$admin@contoso.com';
      el.tenantId = '7e2a2f5c-6b1d-4b8e-9f0a-1c2d3e4f5a6b';
      await el.updateComplete;
      expect(previewUrl(el, 'userEndpoint')).to.equal(
        "https://graph.microsoft.com/v1.0/users?$filter=userPrincipalName%20eq%20%27%24admin%40contoso.com%27",
      );
      expect(preview(el, 'userEndpoint')).to.contain('looked up with $filter');
      expect(previewUrl(el, 'tokenEndpoint')).to.equal(
        'https://login.microsoftonline.com/7e2a2f5c-6b1d-4b8e-9f0a-1c2d3e4f5a6b/oauth2/v2.0/token',
      );
      el.tenantId = 'not a tenant';
      await el.updateComplete;
      expect(preview(el, 'tokenEndpoint')).to.contain('Token endpoint cannot use this value for {TenantId}');
    });

    it('the form sets the sender through the `sender` attribute', async () => {
      const el = await fixture<EndpointTemplateEditor>(html`<endpoint-template-editor
        .value=${GLOBAL}
        cloud="global"
        sender="o'brien@contoso.com"
      ></endpoint-template-editor>`);
      expect(previewUrl(el, 'userEndpoint')).to.equal('https://graph.microsoft.com/v1.0/users/o%27brien%40contoso.com');
    });

    it('waits for a broken base template', async () => {
      const el = await mount({ endpoints: { graphEndpoint: 'https://graph.microsoft.com' } });
      expect(preview(el, 'userEndpoint')).to.contain('Fix the Graph API endpoint to see the URL.');
      expect(preview(el, 'draftSendEndpoint')).to.contain('Fix the Graph API endpoint to see the URL.');
    });
  });

  describe('resets', () => {
    it('resets one row and then all, firing gm-reset (and no change)', async () => {
      const el = await mount({
        endpoints: { tokenEndpoint: 'https://login.microsoftonline.com/{TenantId}/oauth2/token', userEndpoint: '/users/{UserPrincipalId}' },
      });
      const resets = counter(el, 'gm-reset');
      const changes = counter(el, 'change');
      const tokenReset = el.shadowRoot!.querySelector<HTMLButtonElement>('#reset-tokenEndpoint')!;
      expect(el.shadowRoot!.querySelector<HTMLButtonElement>('#reset-graphEndpoint')!.disabled).to.be.true;
      expect(squash(tokenReset.textContent)).to.equal('Reset to default');
      tokenReset.click();
      await el.updateComplete;
      expect(field(el, 'Token endpoint').value).to.equal(GLOBAL.tokenEndpoint);
      expect(field(el, 'User endpoint').value).to.equal('/users/{UserPrincipalId}');
      expect(resets.count).to.equal(1);
      expect((resets.events[0] as CustomEvent).detail.names).to.deep.equal(['tokenEndpoint']);
      expect(resets.events[0].bubbles && resets.events[0].composed).to.be.true;
      expect(tokenReset.disabled).to.be.true;

      buttonNamed(el, 'Reset all').click();
      await el.updateComplete;
      expect(el.endpoints).to.deep.equal(GLOBAL);
      expect(resets.count).to.equal(2);
      expect((resets.events[1] as CustomEvent).detail.names).to.deep.equal(['userEndpoint']);
      expect(buttonNamed(el, 'Reset all').disabled).to.be.true;
      expect(changes.count).to.equal(0);
      await el.updateComplete;
      expect(squash(el.shadowRoot!.querySelector('[role="status"]')!.textContent)).to.equal('All endpoints reset to the defaults.');
    });
  });

  describe('cloud change', () => {
    it('offers to switch the untouched templates and warns about the customised ones', async () => {
      const custom = 'https://login.microsoftonline.com/{TenantId}/oauth2/v2.0/token?x=1';
      const el = await mount({ endpoints: { tokenEndpoint: custom } });
      const changes = counter(el, 'change');
      el.cloud = 'usgov';
      await el.updateComplete;
      const offer = el.shadowRoot!.querySelector('[part~="cloud-offer"]')!;
      expect(squash(offer.textContent)).to.contain(
        'The Domain changed to US Government (GCC High), but 3 endpoint(s) still use the Global defaults: Authorize endpoint, Default scope, Graph API endpoint.',
      );
      const warning = el.shadowRoot!.querySelector('[part~="cloud-warning"]')!;
      expect(squash(warning.textContent)).to.contain('These endpoints were changed and point at hosts that may not belong to US Government (GCC High): Token endpoint.');
      expect(changes.count).to.equal(0);
      await expect(el).to.be.accessible();

      buttonNamed(el, 'Use the US Government (GCC High) defaults').click();
      await el.updateComplete;
      expect(el.endpoints.authorizeEndpoint).to.equal(USGOV.authorizeEndpoint);
      expect(el.endpoints.defaultScope).to.equal(USGOV.defaultScope);
      expect(el.endpoints.graphEndpoint).to.equal(USGOV.graphEndpoint);
      expect(el.endpoints.tokenEndpoint).to.equal(custom);
      expect(changes.count).to.equal(1);
      expect(el.shadowRoot!.querySelector('[part~="cloud-offer"]')).to.equal(null);
      expect(el.shadowRoot!.querySelector('[part~="cloud-warning"]')).to.not.equal(null);
      // The customised token endpoint is on the Global host: now a mixed-clouds problem with the fix named.
      expect(messages(el, 'tokenEndpoint')[0]).to.contain('a host of Global, but the Domain is US Government (GCC High)');
    });

    it('only warns when the host already moved the untouched templates along (as the form does)', async () => {
      const el = await mount({ endpoints: { graphEndpoint: 'https://graph.microsoft.com/beta' } });
      el.value = { ...USGOV, graphEndpoint: 'https://graph.microsoft.com/beta' };
      el.cloud = 'usgov';
      await el.updateComplete;
      expect(el.shadowRoot!.querySelector('[part~="cloud-offer"]')).to.equal(null);
      expect(squash(el.shadowRoot!.querySelector('[part~="cloud-warning"]')!.textContent)).to.contain(': Graph API endpoint.');
      buttonNamed(el, 'Dismiss').click();
      await el.updateComplete;
      expect(el.shadowRoot!.querySelector('[part~="cloud-warning"]')).to.equal(null);
    });

    it('says nothing when the templates are already the new defaults', async () => {
      const el = await mount();
      el.value = USGOV;
      el.cloud = 'usgov';
      await el.updateComplete;
      expect(el.shadowRoot!.querySelector('[part~="cloud-offer"], [part~="cloud-warning"]')).to.equal(null);
      expect(el.validationIssues).to.deep.equal([]);
    });
  });

  describe('sandbox cloud', () => {
    it('uses the sandbox origin for defaults, hosts and the preview', async () => {
      const el = await fixture<EndpointTemplateEditor>(html`<endpoint-template-editor
        .endpoints=${GLOBAL}
        cloud="sandbox"
        sandbox-origin="http://127.0.0.1:8788"
        tenant-id="contoso.com"
      ></endpoint-template-editor>`);
      expect(messages(el, 'graphEndpoint')[0]).to.contain('Use http://127.0.0.1:8788');
      buttonNamed(el, 'Reset all').click();
      await el.updateComplete;
      expect(el.value).to.deep.equal(defaultEndpoints('sandbox', 'http://127.0.0.1:8788'));
      expect(el.validationIssues).to.deep.equal([]);
      expect(previewUrl(el, 'tokenEndpoint')).to.equal('http://127.0.0.1:8788/contoso.com/oauth2/v2.0/token');
    });

    it('recognises the sandbox from its templates when the origin is not given (as the form passes it)', async () => {
      const sandbox = defaultEndpoints('sandbox', 'http://localhost:9000');
      const el = await fixture<EndpointTemplateEditor>(html`<endpoint-template-editor
        .value=${{ ...sandbox, tokenEndpoint: 'http://localhost:9000/x/{TenantId}' }}
        cloud="sandbox"
      ></endpoint-template-editor>`);
      expect(el.validationIssues).to.deep.equal([]);
      el.shadowRoot!.querySelector<HTMLButtonElement>('#reset-tokenEndpoint')!.click();
      await el.updateComplete;
      expect(el.value).to.deep.equal(sandbox);
    });
  });

  describe('events', () => {
    it('fires change for typing (on leaving the field or Enter), never for programmatic changes', async () => {
      const el = await mount();
      const changes = counter(el, 'change');
      const inputs = counter(el, 'input');
      el.value = { ...GLOBAL, userEndpoint: '/users/{UserPrincipalId}' };
      el.endpoints = GLOBAL;
      el.cloud = 'china';
      el.tenantId = 'contoso.com';
      el.errors = [{ path: 'endpoints.tokenEndpoint', message: 'x' }];
      await el.updateComplete;
      el.resetAll();
      await el.updateComplete;
      expect(changes.count).to.equal(0);

      const input = field(el, 'User endpoint');
      input.focus();
      await sendKeys({ press: 'End' });
      await sendKeys({ type: 'x' });
      await el.updateComplete;
      expect(inputs.count).to.equal(1);
      expect(el.value.userEndpoint).to.equal('/users/{UserPrincipalName}x');
      await sendKeys({ press: 'Tab' });
      expect(changes.count).to.equal(1);
      expect(changes.events[0].target).to.equal(el);
      expect(changes.events[0].bubbles && changes.events[0].composed).to.be.true;

      input.focus();
      await sendKeys({ press: 'Backspace' });
      await sendKeys({ press: 'Enter' });
      expect(changes.count).to.equal(2);
      expect(el.value.userEndpoint).to.equal('/users/{UserPrincipalName}');
      // Leaving the field without a further edit commits nothing new.
      await sendKeys({ press: 'Tab' });
      expect(changes.count).to.equal(2);
    });
  });

  describe('locked', () => {
    it('disabled: nothing can be changed or reset', async () => {
      const el = await mount({ endpoints: { userEndpoint: '/users/{UserPrincipalId}' } });
      el.disabled = true;
      await el.updateComplete;
      for (const label of Object.values(LABELS)) expect(field(el, label).disabled, label).to.be.true;
      expect(el.shadowRoot!.querySelectorAll('button').length).to.equal(0);
      expect(squash(el.shadowRoot!.querySelector('[part~="locked"]')!.textContent)).to.equal(
        'These fields are locked and cannot be changed now.',
      );
      await expect(el).to.be.accessible();
    });

    it('readonly: the templates can be read and focused but not edited', async () => {
      const el = await mount();
      const changes = counter(el, 'change');
      el.readonly = true;
      await el.updateComplete;
      const input = field(el, 'Token endpoint');
      expect(input.readOnly).to.be.true;
      input.focus();
      await sendKeys({ type: 'abc' });
      await sendKeys({ press: 'Tab' });
      expect(el.value).to.deep.equal(GLOBAL);
      expect(changes.count).to.equal(0);
      expect(el.shadowRoot!.querySelector('[part~="reset-all-button"], [part~="menu-button"]')).to.equal(null);
      await expect(el).to.be.accessible();
    });
  });

  describe('inside a host page form', () => {
    it('Enter in a template and clicks on our buttons never submit the outer form', async () => {
      const form = await fixture<HTMLFormElement>(html`<form>
        <input name="other" />
        <endpoint-template-editor .endpoints=${{ ...GLOBAL, tokenEndpoint: 'https://login.microsoftonline.com/x/{TenantId}' }}></endpoint-template-editor>
        <button type="submit">Post</button>
      </form>`);
      let submits = 0;
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        submits += 1;
      });
      // What WebForms' default-button script does: any Enter that reaches the form posts the page.
      form.addEventListener('keypress', (event) => {
        if (event.key === 'Enter') form.requestSubmit();
      });
      const el = form.querySelector('endpoint-template-editor')!;
      await el.updateComplete;
      field(el, 'Graph API endpoint').focus();
      await sendKeys({ press: 'Enter' });
      for (const button of el.shadowRoot!.querySelectorAll('button')) button.click();
      await el.updateComplete;
      for (const button of el.shadowRoot!.querySelectorAll('button')) button.click();
      expect(submits).to.equal(0);
      // The same key in the page's own field does submit: the check above could have failed.
      form.querySelector<HTMLInputElement>('input[name="other"]')!.focus();
      await sendKeys({ press: 'Enter' });
      expect(submits).to.be.greaterThan(0);
    });

    it('a disabled fieldset locks it like `disabled`', async () => {
      const form = await fixture<HTMLFormElement>(html`<form>
        <fieldset disabled><endpoint-template-editor name="api" .endpoints=${GLOBAL}></endpoint-template-editor></fieldset>
      </form>`);
      const el = form.querySelector('endpoint-template-editor')!;
      await el.updateComplete;
      expect(field(el, 'Token endpoint').disabled).to.be.true;
      expect(el.shadowRoot!.querySelectorAll('button').length).to.equal(0);
      // A disabled control is not submitted.
      expect(new FormData(form).has('api')).to.be.false;
      form.querySelector('fieldset')!.disabled = false;
      await el.updateComplete;
      expect(field(el, 'Token endpoint').disabled).to.be.false;
      expect(new FormData(form).has('api')).to.be.true;
    });

    it('adds the templates as JSON to FormData and constrains the form only when the host opts in', async () => {
      const form = await fixture<HTMLFormElement>(html`<form>
        <endpoint-template-editor .endpoints=${GLOBAL}></endpoint-template-editor>
        <endpoint-template-editor name="api" .endpoints=${USGOV} cloud="usgov"></endpoint-template-editor>
        <endpoint-template-editor form-associated .endpoints=${{ ...GLOBAL, draftSendEndpoint: '/send' }}></endpoint-template-editor>
      </form>`);
      const [plain, named, optedIn] = [...form.querySelectorAll('endpoint-template-editor')];
      await Promise.all([plain.updateComplete, named.updateComplete, optedIn.updateComplete]);
      const data = new FormData(form);
      expect([...data.keys()].sort()).to.deep.equal(['api', 'endpoints']);
      expect(JSON.parse(data.get('api') as string)).to.deep.equal(USGOV);
      expect(JSON.parse(data.get('endpoints') as string).draftSendEndpoint).to.equal('/send');
      expect(named.form).to.equal(form);

      // The opted-in invalid one blocks the form, with the shared message; the others do not.
      expect(form.checkValidity()).to.be.false;
      expect(optedIn.validationMessage).to.contain('Draft send endpoint must contain {DraftMessageId}');
      expect(plain.checkValidity()).to.be.true;

      // A user edit shows up in FormData; a form reset returns to the value set by the host, silently.
      const changes = counter(named, 'change');
      const input = field(named, 'Graph API endpoint');
      input.focus();
      await sendKeys({ press: 'End' });
      await sendKeys({ type: '/' });
      await sendKeys({ press: 'Tab' });
      await named.updateComplete;
      expect(JSON.parse(new FormData(form).get('api') as string).graphEndpoint).to.equal(`${USGOV.graphEndpoint}/`);
      form.reset();
      await named.updateComplete;
      expect(named.value).to.deep.equal(USGOV);
      expect(input.value).to.equal(USGOV.graphEndpoint);
      expect(JSON.parse(new FormData(form).get('api') as string)).to.deep.equal(USGOV);
      expect(changes.count).to.equal(1);
    });
  });
});
