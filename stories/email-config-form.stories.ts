import { html, nothing } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { styleMap } from 'lit/directives/style-map.js';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { ValidationProblem } from '../src/services/errors.js';
import { SAMPLE_CONFIG, type MemoryAdapterOptions, type MemoryTestFailure } from '../src/services/memory-adapter.js';
import { actionOf, cssVariables, daysFromNow, pasteInto, retype, storyAdapter, withinShadow } from './decorators.js';

const ACCOUNT = 'adele.vance@contoso.onmicrosoft.com';
const SECRET_ID = '3f2c6a1e-8b7d-4c1a-9e2f-5a6b7c8d9e0f';

/** A saved delegated configuration whose secret expires in 200 days. */
const SAVED = { ...SAMPLE_CONFIG, secretExpiresAt: daysFromNow(200) };
/** A saved application configuration (no sign-in; the app's own credential). */
const APPLICATION = { ...SAVED, mode: 'application' as const, fromAddress: 'notifications@contoso.com' };

const meta: Meta = {
  title: 'Elements/email-config-form',
  component: 'email-config-form',
  tags: ['autodocs'],
  parameters: {
    docs: {
      description: {
        component:
          'Every story runs on its own in-browser backend (the MemoryAdapter), provided through the adapter context. ' +
          'Use the toolbar to switch the language (English, German) and the direction.',
      },
    },
  },
  args: { 'app-name': '', methods: [] },
  argTypes: {
    adapter: { control: false },
    appName: { control: false },
    'app-name': { control: 'text' },
    methods: { control: 'object' },
    // A private @query field the analyzer records without its privacy.
    dialog: { table: { disable: true } },
  },
  render: (args) =>
    html`<email-config-form
      style=${styleMap(cssVariables(args))}
      app-name=${ifDefined((args['app-name'] as string) || undefined)}
      .methods=${(args.methods as []) ?? []}
      @gm-save=${actionOf(args, 'onGmSave')}
      @gm-saved=${actionOf(args, 'onGmSaved')}
      @gm-cleared=${actionOf(args, 'onGmCleared')}
      @gm-test-complete=${actionOf(args, 'onGmTestComplete')}
    >
      ${(args.methods as unknown[])?.length
        ? html`<fieldset slot="method-smtp">
            <legend>SMTP</legend>
            <label>Host <input name="smtp-host" value="smtp.contoso.com" /></label>
            <label>Port <input name="smtp-port" type="number" value="587" /></label>
          </fieldset>`
        : nothing}
    </email-config-form>`,
};
export default meta;
type Story = StoryObj;

/** The form's shadow root, once the settings have loaded. */
async function form(canvasElement: HTMLElement) {
  const found = await withinShadow(canvasElement, 'email-config-form');
  await found.findByRole('tab', { name: 'Connection' }, { timeout: 3000 });
  return found;
}

/** Opens "Test Settings", sends, and waits for the report. */
async function runTest(canvasElement: HTMLElement) {
  const f = await form(canvasElement);
  await userEvent.click(f.getByRole('button', { name: 'Test Settings' }));
  await userEvent.click(await f.findByRole('button', { name: 'Send test' }));
  await f.findByText('Test results', undefined, { timeout: 3000 });
  return f;
}

/** A story whose test report fails at `step` with `test` (the MemoryAdapter's scripted failure). */
function failedTest(test: MemoryTestFailure, step: string, message: RegExp, options: MemoryAdapterOptions = {}): Story {
  return {
    parameters: { backend: { config: SAVED, connected: ACCOUNT, scenario: { test }, ...options } },
    play: async ({ canvasElement }) => {
      const f = await runTest(canvasElement);
      const failed = f.root.querySelector(`[data-step="${step}"]`);
      await expect(failed).toHaveAttribute('data-status', 'failed');
      await expect(failed).toHaveTextContent(message);
      await expect(failed).toHaveTextContent(/How to fix:/);
    },
  };
}

// Configuration.

/** Never configured: the defaults (Azure Service, Global), empty fields, and the connect button saying what to save first. */
export const Empty: Story = {
  parameters: { backend: {} },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await expect(f.getByRole('combobox', { name: 'Email method' })).toHaveValue('delegated');
    await expect(f.getByRole('textbox', { name: 'Tenant ID' })).toHaveValue('');
    const button = await withinShadow(canvasElement, 'email-config-form', 'azure-connect-button');
    await expect(await button.findByRole('button', { name: 'Connect Azure Email' })).toHaveAttribute('aria-disabled', 'true');
  },
};

/** A tenant that is neither a GUID nor a domain, and a client ID that is not a GUID: each message names the field and the fix once the field is left. */
export const InvalidFields: Story = {
  parameters: { backend: {} },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    const tenant = f.getByRole('textbox', { name: 'Tenant ID' });
    await userEvent.type(tenant, 'not a tenant');
    tenant.blur();
    await expect(await f.findByText(/Tenant ID must be a GUID/)).toBeVisible();
    await expect(tenant).toHaveAttribute('aria-invalid', 'true');
    const client = f.getByRole('textbox', { name: 'Application (client) ID' });
    await userEvent.type(client, 'my-app');
    client.blur();
    await expect(await f.findByText(/Application \(client\) ID must be a GUID/)).toBeVisible();
  },
};

/** Save with nothing filled in: every required field says what is missing, and focus moves to the first. */
export const SaveWithEmptyFields: Story = {
  parameters: { backend: {} },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await userEvent.click(f.getByRole('button', { name: 'Save' }));
    await expect(await f.findByText(/Some fields need attention/)).toBeVisible();
    await expect(f.getByText(/Tenant ID is required/)).toBeVisible();
    await expect(f.getByText(/Client secret is required/)).toBeVisible();
    await waitFor(() => expect(f.root.activeElement).toBe(f.getByRole('textbox', { name: 'Tenant ID' })));
  },
};

/** The Secret ID (a GUID) pasted where the secret's Value belongs is caught before anything is sent. */
export const SecretIdPasted: Story = {
  parameters: { backend: {} },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    const secret = f.getByLabelText(/^Client secret/) as HTMLInputElement;
    await pasteInto(secret, SECRET_ID);
    secret.blur();
    await expect(await f.findByText(/This is the Secret ID, not the secret/)).toBeVisible();
    await expect(secret).toHaveAttribute('aria-invalid', 'true');
  },
};

/**
 * Saved and not connected: the secret is never shown, only "A secret is saved (…hint), expires in N days".
 * The play changes the From name and saves; the field keeps the saved secret when left empty.
 */
export const Saved: Story = {
  parameters: { backend: { config: SAVED } },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await expect(f.getByText(/A secret is saved .*expires in \d+ days/)).toBeVisible();
    await retype(f.getByRole('textbox', { name: 'From name' }), 'Contoso Billing');
    await userEvent.click(f.getByRole('button', { name: 'Save' }));
    await expect(await f.findByText('Settings saved.')).toBeInTheDocument();
    await expect(f.getByLabelText(/^Client secret/)).toHaveValue('');
  },
};

/**
 * The saved secret expires in 12 days: the 14-day reminder, and the fields of a second secret open by
 * themselves (a rotation without a pause in sending).
 */
export const SecretExpiringSoon: Story = {
  parameters: { backend: { config: { ...SAMPLE_CONFIG, secretExpiresAt: daysFromNow(12) } } },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await expect(f.getByText(/The credential expires in \d+ days .*enter it as New client secret/)).toBeVisible();
    await expect(f.getByLabelText(/^New client secret/)).toBeVisible();
  },
};

/** Three days left: the last reminder. */
export const SecretReminderThreeDays: Story = {
  parameters: { backend: { config: { ...SAMPLE_CONFIG, secretExpiresAt: daysFromNow(3) } } },
};

/**
 * A second secret is saved and waits for its first use: the server tries it first and, once it works,
 * makes it the secret and forgets the old one. Before 30 days, "Add a new client secret" opens the fields.
 */
export const SecondSecretPending: Story = {
  parameters: { backend: { config: { ...SAVED, nextClientSecret: 'Nw9Q~secondSecretValueForTheRotation01', nextSecretExpiresAt: daysFromNow(730) } } },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await expect(f.getByText(/A new secret is saved .*as soon as it has worked once/)).toBeVisible();
  },
};

/** The identity platform refused the second secret (AADSTS7000215): mail still goes out with the current one, and the form says why. */
export const SecondSecretRefused: Story = {
  parameters: {
    backend: {
      config: { ...SAMPLE_CONFIG, secretExpiresAt: daysFromNow(20), nextClientSecret: 'Wr0Q~notASecretOfThisAppRegistration99' },
      scenario: { acceptedSecret: SAMPLE_CONFIG.clientSecret },
    },
  },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await expect(f.getByText(/was refused; mail is still sent with the current one/)).toBeVisible();
    await expect(f.getByRole('button', { name: 'Remove the new secret' })).toBeVisible();
  },
};

/** Exchange Online (application): no sign-in; the permission panel asks for admin consent and the guide links to it. */
export const ApplicationMode: Story = {
  parameters: { backend: { config: APPLICATION } },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await expect(f.root.querySelector('azure-connect-button')).toBeNull();
    await expect(f.getByText('Admin consent is required for application permissions.')).toBeVisible();
    await expect(f.root.querySelector('[part~="consent-link"]')).toHaveAttribute('href', expect.stringContaining('/adminconsent?client_id='));
  },
};

/** A host adds its own method (SMTP): its fields come through the slot `method-smtp`. */
export const HostMethod: Story = {
  args: { methods: [{ value: 'smtp', label: 'SMTP server' }] },
  parameters: { backend: { config: SAVED } },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await userEvent.selectOptions(f.getByRole('combobox', { name: 'Email method' }), 'smtp');
    await expect(await f.findByRole('group', { name: /SMTP server/ })).toBeInTheDocument();
  },
};

/** The server rejects a field: its problem+json error lands on the same field as the form's own. */
export const ServerFieldError: Story = {
  parameters: {
    backend: () => {
      const adapter = storyAdapter({ config: SAVED });
      adapter.failNext(
        'saveConfig',
        new ValidationProblem([{ path: 'fromAddress', key: 'fromAddress.format', message: 'From address must be an email address such as notifications@contoso.com.' }]),
      );
      return adapter;
    },
  },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await userEvent.click(f.getByRole('button', { name: 'Save' }));
    await expect(await f.findByText(/From address must be an email address/)).toBeVisible();
  },
};

/** Someone else saved in the meantime (412): the form says so and offers Reset. */
export const SavedElsewhere: Story = {
  parameters: {
    backend: () => {
      const adapter = storyAdapter({ config: SAVED });
      adapter.failNext('saveConfig', 'stale');
      return adapter;
    },
  },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await userEvent.click(f.getByRole('button', { name: 'Save' }));
    await expect(await f.findByText(/Someone else saved these settings/)).toBeVisible();
  },
};

/** Clear asks for confirmation, then removes every setting and the stored secret. */
export const ClearSettings: Story = {
  parameters: { backend: { config: SAVED } },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await userEvent.click(f.getByRole('button', { name: 'Clear' }));
    const dialog = await f.findByRole('dialog', { name: 'Clear all email settings?' });
    await expect(dialog).toBeVisible();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Clear settings' }));
    await expect(await f.findByText('All email settings were cleared.')).toBeInTheDocument();
    await expect(f.getByRole('textbox', { name: 'Tenant ID' })).toHaveValue('');
  },
};

/** The mail server did not answer when the form loaded: a message and Retry. */
export const LoadFailed: Story = {
  parameters: {
    backend: () => {
      const adapter = storyAdapter({ config: SAVED });
      adapter.failNext('getConfig', 'network');
      return adapter;
    },
  },
  play: async ({ canvasElement }) => {
    const f = await withinShadow(canvasElement, 'email-config-form');
    await userEvent.click(await f.findByRole('button', { name: 'Retry' }, { timeout: 3000 }));
    await expect(await f.findByRole('tab', { name: 'Connection' })).toBeInTheDocument();
  },
};

// Connection.

/** Connect selected: the sign-in is under way (progress and Cancel) until the Microsoft window finishes. */
export const Connecting: Story = {
  parameters: { backend: { config: SAVED, scenario: { connect: { delayMs: 60 * 60_000 } } } },
  play: async ({ canvasElement }) => {
    const button = await withinShadow(canvasElement, 'email-config-form', 'azure-connect-button');
    await userEvent.click(await button.findByRole('button', { name: 'Connect Azure Email' }));
    await expect(await button.findByRole('button', { name: 'Cancel' })).toBeVisible();
    await expect(button.getByRole('progressbar', { name: 'Sign-in in progress' })).toBeInTheDocument();
  },
};

/** The whole sign-in: Connect, the (simulated) Microsoft window, then "Connected to …" and the fields locked. */
export const ConnectFlow: Story = {
  parameters: { backend: { config: SAVED, scenario: { connect: { delayMs: 800, account: ACCOUNT } } } },
  play: async ({ canvasElement }) => {
    const button = await withinShadow(canvasElement, 'email-config-form', 'azure-connect-button');
    await userEvent.click(await button.findByRole('button', { name: 'Connect Azure Email' }));
    await expect(await button.findByText(`Connected to ${ACCOUNT}`, undefined, { timeout: 5000 })).toBeVisible();
    const f = await form(canvasElement);
    await waitFor(() => expect(f.getByRole('textbox', { name: 'Tenant ID' })).toHaveAttribute('readonly'), { timeout: 3000 });
  },
};

/** Connected: the connection settings are read-only until "Disconnect Azure Email"; the credential stays editable for rotation. */
export const ConnectedAndLocked: Story = {
  parameters: { backend: { config: SAVED, connected: ACCOUNT } },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await expect(f.getByText(/the connection settings are locked/)).toBeVisible();
    await expect(f.getByRole('textbox', { name: 'Tenant ID' })).toHaveAttribute('readonly');
    await expect(f.getByRole('combobox', { name: 'Email method' })).toBeDisabled();
    const button = await withinShadow(canvasElement, 'email-config-form', 'azure-connect-button');
    await expect(await button.findByRole('button', { name: 'Disconnect Azure Email' })).toBeVisible();
  },
};

/** Connected as a delegate of a shared From address: the check after the sign-in found Send As. */
export const SendAsAllowed: Story = {
  parameters: { backend: { config: { ...SAVED, fromAddress: 'info@contoso.onmicrosoft.com' }, connected: ACCOUNT } },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await expect(f.getByText(`${ACCOUNT} may send as info@contoso.onmicrosoft.com.`)).toBeVisible();
  },
};

/** The signed-in account has neither Send As nor Send on Behalf on the From address: ErrorSendAsDenied, explained right after connecting. */
export const SendAsDenied: Story = {
  parameters: { backend: { config: { ...SAVED, fromAddress: 'billing@contoso.onmicrosoft.com' }, connected: ACCOUNT, scenario: { sendAs: 'denied' } } },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await expect(f.getByText(/may not send as billing@contoso.onmicrosoft.com: mail from this address will fail/)).toBeVisible();
  },
};

/** The refresh token was revoked (invalid_grant): the form says why and offers to reconnect; the fields unlock. */
export const NeedsReconnect: Story = {
  parameters: {
    backend: () => {
      const adapter = storyAdapter({ config: SAVED, connected: ACCOUNT });
      adapter.loseConnection();
      return adapter;
    },
  },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await expect(f.getByText(/needs to be renewed/)).toBeVisible();
    const button = await withinShadow(canvasElement, 'email-config-form', 'azure-connect-button');
    await expect(await button.findByRole('button', { name: 'Reconnect Azure Email' })).toBeVisible();
  },
};

// The test report.

/** Every step passes: the checklist with times, and the permissions the token had. */
export const TestPassed: Story = {
  parameters: { backend: { config: SAVED, connected: ACCOUNT } },
  play: async ({ canvasElement }) => {
    const f = await runTest(canvasElement);
    await expect(f.getByText(/All checks passed/)).toBeVisible();
    await expect(f.root.querySelectorAll('[data-status="ok"]')).toHaveLength(6);
  },
};

/** AADSTS7000215: the secret is wrong — most often the Secret ID pasted instead of the Value. */
export const TestWrongSecret = failedTest('wrong-secret', 'token', /not a valid secret value/);

/** AADSTS7000222: the secret has expired. */
export const TestExpiredSecret = failedTest('expired-secret', 'token', /has expired/);

/** AADSTS90002: no such tenant (a typo, or a tenant in another national cloud). */
export const TestUnknownTenant = failedTest('unknown-tenant', 'tenant', /tenant was not found/);

/** The token lacks Mail.Send: the permission panel shows what is missing. */
export const TestMissingPermission = failedTest('missing-permission', 'permissions', /denied access/);

/** MailboxNotEnabledForRESTAPI: the sender has no Exchange Online mailbox. */
export const TestMailboxNotFound = failedTest('mailbox-not-found', 'mailbox', /no Exchange Online mailbox/);

/** ErrorSendAsDenied: the account may not send as the From address (Send As is needed). */
export const TestSendDenied = failedTest('send-failure', 'send', /may not send as/);

/** In application mode the missing permission is an application permission that needs admin consent. */
export const TestMissingPermissionApplication = failedTest('missing-permission', 'permissions', /denied access/, { config: APPLICATION, connected: false });

// The administrator's assistant.

/** A tenant that lives in another national cloud: when the Tenant ID is left, the form says so and offers to switch the Domain (the endpoints follow). */
export const TenantInAnotherCloud: Story = {
  parameters: { backend: { scenario: { tenants: { 'fabrikam.onmicrosoft.us': 'usgov' } } } },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    const tenant = f.getByRole('textbox', { name: 'Tenant ID' });
    await userEvent.type(tenant, 'fabrikam.onmicrosoft.us');
    tenant.blur();
    await expect(await f.findByText(/This tenant is in the US Government \(GCC High\) cloud, not Global/, undefined, { timeout: 3000 })).toBeVisible();
    await userEvent.click(f.getByRole('button', { name: 'Switch Domain to US Government (GCC High)' }));
    await expect(f.getByRole('combobox', { name: 'Domain' })).toHaveValue('usgov');
    await waitFor(() => expect(f.root.activeElement).toBe(f.getByRole('combobox', { name: 'Domain' })));
  },
};

/** A tenant the chosen cloud does not know: said at the field before any token request fails with AADSTS90002. */
export const TenantUnknown: Story = {
  parameters: { backend: { scenario: { tenants: { 'contoso-typo.onmicrosoft.com': null } } } },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    const tenant = f.getByRole('textbox', { name: 'Tenant ID' });
    await userEvent.type(tenant, 'contoso-typo.onmicrosoft.com');
    tenant.blur();
    await expect(await f.findByText('The Global cloud has no tenant "contoso-typo.onmicrosoft.com".', undefined, { timeout: 3000 })).toBeVisible();
    await expect(f.queryByRole('button', { name: /Switch Domain/ })).toBeNull();
  },
};

/** "Download support bundle" saves the redacted JSON the server makes (no secret, no tokens, masked addresses). */
export const SupportBundle: Story = {
  parameters: { backend: { config: SAVED, connected: ACCOUNT, logRows: 40 } },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    const download = f.getByRole('button', { name: 'Download support bundle' });
    download.focus();
    await expect(f.root.activeElement).toBe(download);
  },
};

/** The support bundle could not be fetched: the form says so, and nothing is saved. */
export const SupportBundleFailed: Story = {
  parameters: {
    backend: () => {
      const adapter = storyAdapter({ config: SAVED });
      adapter.failNext('downloadSupportBundle', 'network');
      return adapter;
    },
  },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await userEvent.click(f.getByRole('button', { name: 'Download support bundle' }));
    await expect(await f.findByText('No support bundle: The mail server could not be reached.')).toBeVisible();
  },
};

/** Application mode: the PowerShell that restricts the app to the sender mailbox, loaded when opened, with the warnings that decide whether it works. */
export const RestrictApp: Story = {
  parameters: { backend: { config: APPLICATION } },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await userEvent.click(f.getByText('Restrict the app to the sender mailbox'));
    const script = await f.findByRole('textbox', { name: 'Restrict the app to the sender mailbox' }, { timeout: 3000 });
    await expect((script as HTMLTextAreaElement).value).toContain("PrimarySmtpAddress -eq 'notifications@contoso.com'");
    await expect(f.getByText(/tenant-wide consent still lets the app reach every mailbox/)).toBeVisible();
    await expect(f.getByRole('button', { name: 'Copy' })).toBeVisible();
  },
};

/** Application mode chosen but not saved yet: the server says why there is no script. */
export const RestrictAppNotSaved: Story = {
  parameters: { backend: { config: SAVED } },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await userEvent.selectOptions(f.getByRole('combobox', { name: 'Email method' }), 'application');
    await userEvent.click(await f.findByText('Restrict the app to the sender mailbox'));
    await expect(await f.findByRole('alert', undefined, { timeout: 3000 })).toHaveTextContent(/applies to Exchange Online \(application\)/);
  },
};

// Endpoints.

/** A template edited on the API Endpoints tab to plain http: the editor names the template and the fix. */
export const EndpointError: Story = {
  parameters: { backend: { config: SAVED } },
  play: async ({ canvasElement }) => {
    const f = await form(canvasElement);
    await userEvent.click(f.getByRole('tab', { name: 'API Endpoints' }));
    const editor = await withinShadow(canvasElement, 'email-config-form', 'endpoint-template-editor');
    await retype(editor.getByRole('textbox', { name: 'Token endpoint' }), 'http://login.microsoftonline.com/{{TenantId}/oauth2/v2.0/token');
    await expect(await editor.findByText(/Token endpoint must use https:\/\//)).toBeVisible();
  },
};

// Theming.

/** Restyled by a host: `--gm-*` custom properties (also in the controls) and `::part` rules. */
export const Restyled: Story = {
  args: {
    '--gm-color-primary': '#5b2a86',
    '--gm-color-border': '#b9a5cf',
    '--gm-color-surface': '#faf7fd',
    '--gm-border-radius': '10px',
    '--gm-focus-ring': '3px solid #5b2a86',
  },
  parameters: { backend: { config: SAVED } },
  decorators: [
    (story) => html`<style>
        email-config-form::part(tab) {
          font-weight: 600;
          letter-spacing: 0.02em;
        }
        email-config-form::part(label) {
          color: #3b1a5a;
        }
        email-config-form::part(guide) {
          border-inline-start: 4px solid #5b2a86;
          padding-inline-start: 0.75rem;
        }
      </style>
      ${story()}`,
  ],
};

// Locales and direction.

/** German, from the same translation keys (the toolbar's language switch, set for this story). */
export const German: Story = {
  globals: { locale: 'de' },
  parameters: { backend: { config: SAVED } },
  play: async ({ canvasElement }) => {
    const f = await withinShadow(canvasElement, 'email-config-form');
    await expect(await f.findByRole('textbox', { name: 'Mandanten-ID' }, { timeout: 3000 })).toBeInTheDocument();
  },
};

/** German with a failed test: the report's frame is translated, the server's explanation stays as sent. */
export const GermanTestFailed: Story = {
  globals: { locale: 'de' },
  parameters: { backend: { config: SAVED, connected: ACCOUNT, scenario: { test: 'wrong-secret' } } },
};

/** Right to left: the layout mirrors. */
export const RightToLeft: Story = {
  globals: { direction: 'rtl' },
  parameters: { backend: { config: SAVED, connected: ACCOUNT } },
};
