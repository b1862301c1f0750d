import { html } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { styleMap } from 'lit/directives/style-map.js';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { expect, userEvent, waitFor } from 'storybook/test';
import type { CloudId, EndpointTemplates } from '../src/services/contract.js';
import { defaultEndpoints } from '../src/services/endpoints.js';
import type { FieldError } from '../src/services/errors.js';
import { actionOf, cssVariables, retype, withinShadow } from './decorators.js';

const GLOBAL = defaultEndpoints('global');

const meta: Meta = {
  title: 'Elements/endpoint-template-editor',
  component: 'endpoint-template-editor',
  tags: ['autodocs'],
  parameters: {
    // The editor talks to no backend: its value comes from the host (the form's API Endpoints tab).
    backend: false,
  },
  args: {
    cloud: 'global',
    'tenant-id': 'contoso.onmicrosoft.com',
    'from-address': 'adele.vance@contoso.com',
    readonly: false,
    disabled: false,
    endpoints: GLOBAL,
    errors: [],
  },
  argTypes: {
    cloud: { control: 'select', options: ['global', 'usgov', 'usgov-dod', 'china', 'sandbox'] },
    'tenant-id': { control: 'text' },
    'from-address': { control: 'text' },
    'sandbox-origin': { control: 'text' },
    readonly: { control: 'boolean' },
    disabled: { control: 'boolean' },
    endpoints: { control: 'object' },
    errors: { control: 'object' },
    // One control per value: the attribute forms above drive these.
    tenantId: { control: false },
    fromAddress: { control: false },
    sandboxOrigin: { control: false },
    formAssociatedOptIn: { control: false },
    value: { control: false },
    serverErrors: { control: false },
    validationIssues: { control: false },
    form: { control: false },
    validity: { control: false },
    validationMessage: { control: false },
  },
  render: (args) =>
    html`<endpoint-template-editor
      style=${styleMap(cssVariables(args))}
      cloud=${args.cloud as CloudId}
      tenant-id=${ifDefined(args['tenant-id'] as string | undefined)}
      from-address=${ifDefined(args['from-address'] as string | undefined)}
      sandbox-origin=${ifDefined(args['sandbox-origin'] as string | undefined)}
      ?readonly=${Boolean(args.readonly)}
      ?disabled=${Boolean(args.disabled)}
      .endpoints=${args.endpoints as EndpointTemplates}
      .errors=${(args.errors as FieldError[]) ?? []}
      @change=${actionOf(args, 'onChange')}
      @gm-reset=${actionOf(args, 'onGmReset')}
    ></endpoint-template-editor>`,
};
export default meta;
type Story = StoryObj;

const editor = (canvasElement: HTMLElement) => withinShadow(canvasElement, 'endpoint-template-editor');
const row = (root: ShadowRoot, name: keyof EndpointTemplates) => root.querySelector(`[data-name="${name}"]`);

/** The Global cloud's defaults, with the preview of each URL as it will be sent. */
export const GlobalDefaults: Story = {
  play: async ({ canvasElement }) => {
    const e = await editor(canvasElement);
    await expect(e.getByRole('textbox', { name: 'Token endpoint' })).toHaveValue(GLOBAL.tokenEndpoint);
    await expect(row(e.root, 'tokenEndpoint')).toHaveTextContent('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
  },
};

/** A guest sender (`#EXT#`): the preview shows the address percent-encoded, as Graph receives it. */
export const GuestSenderPreview: Story = {
  args: { 'from-address': 'adele.vance_fabrikam.com#EXT#@contoso.onmicrosoft.com' },
  play: async ({ canvasElement }) => {
    const e = await editor(canvasElement);
    await expect(row(e.root, 'userEndpoint')).toHaveTextContent('%23EXT%23');
  },
};

/** Not https: the Token endpoint on plain http. */
export const NotHttps: Story = {
  args: { endpoints: { ...GLOBAL, tokenEndpoint: 'http://login.microsoftonline.com/{TenantId}/oauth2/v2.0/token' } },
  play: async ({ canvasElement }) => {
    const e = await editor(canvasElement);
    await expect(await e.findByText(/Token endpoint must use https:\/\//)).toBeVisible();
    await expect(e.getByRole('textbox', { name: 'Token endpoint' })).toHaveAttribute('aria-invalid', 'true');
  },
};

/** Foreign hosts: a look-alike Graph host and a sign-in host outside the chosen cloud. */
export const ForeignHost: Story = {
  args: {
    endpoints: {
      ...GLOBAL,
      authorizeEndpoint: 'https://login.evil.example/{TenantId}/oauth2/v2.0/authorize',
      graphEndpoint: 'https://graph.microsoft.com.evil.example/v1.0',
    },
  },
  play: async ({ canvasElement }) => {
    const e = await editor(canvasElement);
    await expect(await e.findByText(/Authorize endpoint points at login\.evil\.example/)).toBeVisible();
    await expect(e.getByText(/Graph API endpoint points at graph\.microsoft\.com\.evil\.example/)).toBeVisible();
  },
};

/** An unknown placeholder, named in the message with the ones this template allows. */
export const UnknownPlaceholder: Story = {
  args: { endpoints: { ...GLOBAL, userEndpoint: '/users/{UserName}' } },
  play: async ({ canvasElement }) => {
    const e = await editor(canvasElement);
    await expect(await e.findByText(/User endpoint uses the unknown placeholder \{UserName\}/)).toBeVisible();
  },
};

/** Unbalanced braces (and so the required placeholder missing). */
export const UnbalancedBraces: Story = {
  args: { endpoints: { ...GLOBAL, draftSendEndpoint: '/{DraftMessageId/send' } },
};

/** Templates of different clouds: Graph in China while the Domain is Global. */
export const MixedClouds: Story = {
  args: {
    endpoints: { ...GLOBAL, graphEndpoint: 'https://microsoftgraph.chinacloudapi.cn/v1.0', defaultScope: 'https://microsoftgraph.chinacloudapi.cn/.default' },
  },
};

/** A relative path where a full URL is needed, and a full URL where a path below the Graph API endpoint is needed. */
export const RelativeAndAbsolute: Story = {
  args: {
    endpoints: {
      ...GLOBAL,
      tokenEndpoint: '/{TenantId}/oauth2/v2.0/token',
      userMessagesEndpoint: 'https://graph.microsoft.com/v1.0/users/{UserPrincipalId}/messages',
    },
  },
};

/** Field errors from the server (problem+json `endpoints.<name>`) shown on their row until the row is edited. */
export const ServerErrors: Story = {
  args: { errors: [{ path: 'endpoints.graphEndpoint', message: 'Graph answered 404 for this endpoint: check the API version.' }] },
  play: async ({ canvasElement }) => {
    const e = await editor(canvasElement);
    await expect(await e.findByText(/The server says: Graph answered 404/)).toBeVisible();
  },
};

/** A person types an http URL: the message appears as they type; Reset to default puts the row back. */
export const EditAndReset: Story = {
  play: async ({ canvasElement, step }) => {
    const e = await editor(canvasElement);
    const token = e.getByRole('textbox', { name: 'Token endpoint' });
    await step('Type an http URL', async () => {
      // `{{` types one literal brace (a single `{` starts a key name in userEvent.type).
      await retype(token, 'http://login.microsoftonline.com/{{TenantId}/token');
      await expect(await e.findByText(/Token endpoint must use https:\/\//)).toBeVisible();
    });
    await step('Reset the row', async () => {
      await userEvent.click(e.getByRole('button', { name: 'Reset to default Token endpoint' }));
      await waitFor(() => expect(token).toHaveValue(GLOBAL.tokenEndpoint));
      await expect(e.queryByText(/Token endpoint must use https:\/\//)).toBeNull();
    });
  },
};

/** The insert-placeholder menu offers only the placeholders the template allows. */
export const InsertPlaceholder: Story = {
  args: { endpoints: { ...GLOBAL, userEndpoint: '/users/' } },
  play: async ({ canvasElement }) => {
    const e = await editor(canvasElement);
    await userEvent.click(e.getByRole('button', { name: 'Insert placeholder User endpoint' }));
    const items = await e.findAllByRole('menuitem');
    await expect(items.map((item) => item.getAttribute('data-placeholder'))).toEqual(['UserPrincipalName', 'UserPrincipalId']);
    await userEvent.click(items[0]);
    await waitFor(() => expect(e.getByRole('textbox', { name: 'User endpoint' })).toHaveValue('/users/{UserPrincipalName}'));
  },
};

/** The Domain changed to US Government: the editor offers to switch the untouched templates to that cloud's defaults. */
export const CloudChanged: Story = {
  play: async ({ canvasElement }) => {
    const e = await editor(canvasElement);
    const host = canvasElement.querySelector('endpoint-template-editor')!;
    host.cloud = 'usgov';
    await userEvent.click(await e.findByRole('button', { name: /Use the US Government \(GCC High\) defaults/ }));
    await waitFor(() => expect(e.getByRole('textbox', { name: 'Graph API endpoint' })).toHaveValue(defaultEndpoints('usgov').graphEndpoint));
  },
};

/** The sandbox cloud (offline emulator) on its loopback origin. */
export const SandboxCloud: Story = {
  args: { cloud: 'sandbox', 'sandbox-origin': 'http://127.0.0.1:8788', endpoints: defaultEndpoints('sandbox', 'http://127.0.0.1:8788') },
};

/** Locked while connected: readable and copyable, not editable. */
export const Locked: Story = {
  args: { readonly: true, cloud: 'usgov', endpoints: defaultEndpoints('usgov') },
  play: async ({ canvasElement }) => {
    const e = await editor(canvasElement);
    await expect(e.getByRole('textbox', { name: 'Token endpoint' })).toHaveAttribute('readonly');
    await expect(e.queryByRole('button', { name: /Reset to default/ })).toBeNull();
  },
};

/** German, with the same errors as NotHttps. */
export const German: Story = {
  globals: { locale: 'de' },
  args: { endpoints: { ...GLOBAL, tokenEndpoint: 'http://login.microsoftonline.com/{TenantId}/oauth2/v2.0/token', userEndpoint: '/users/{UserName}' } },
};

/** Right to left: the URLs themselves stay left to right. */
export const RightToLeft: Story = {
  globals: { direction: 'rtl' },
  args: { endpoints: { ...GLOBAL, userEndpoint: '/users/{UserName}' } },
};
