import { html } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { expect, userEvent } from 'storybook/test';
import { SAMPLE_CONFIG } from '../src/services/memory-adapter.js';
import { actionOf, cssVariables, storyAdapter, withinShadow } from './decorators.js';

const ACCOUNT = 'adele.vance@contoso.onmicrosoft.com';

const meta: Meta = {
  title: 'Elements/azure-connect-button',
  component: 'azure-connect-button',
  tags: ['autodocs'],
  parameters: {
    docs: {
      description: {
        component:
          'On its own here (inside `<email-config-form>` it gets the saved settings from the form). The Microsoft sign-in ' +
          'window is simulated: the in-browser backend finishes the sign-in by itself after a moment.',
      },
    },
  },
  args: { 'pending-changes': false, timeout: 300_000, 'poll-interval': 500 },
  argTypes: {
    adapter: { control: false },
    config: { control: false },
    status: { control: false },
    pendingChanges: { control: false },
    pollInterval: { control: false },
    'pending-changes': { control: 'boolean' },
    timeout: { control: 'number' },
    'poll-interval': { control: 'number' },
  },
  render: (args) =>
    html`<azure-connect-button
      style=${styleMap(cssVariables(args))}
      ?pending-changes=${Boolean(args['pending-changes'])}
      timeout=${args.timeout as number}
      poll-interval=${args['poll-interval'] as number}
      @gm-connect=${actionOf(args, 'onGmConnect')}
      @gm-connected=${actionOf(args, 'onGmConnected')}
      @gm-disconnected=${actionOf(args, 'onGmDisconnected')}
      @gm-connect-error=${actionOf(args, 'onGmConnectError')}
    ></azure-connect-button>`,
};
export default meta;
type Story = StoryObj;

const button = (canvasElement: HTMLElement) => withinShadow(canvasElement, 'azure-connect-button');

/** Not configured yet: the button is disabled and says what to save first. */
export const NotConfigured: Story = {
  parameters: { backend: {} },
  play: async ({ canvasElement }) => {
    const b = await button(canvasElement);
    await expect(await b.findByRole('button', { name: 'Connect Azure Email' })).toHaveAttribute('aria-disabled', 'true');
    await expect(b.getByText(/Save the Tenant ID/)).toBeVisible();
  },
};

/** The host has unsaved changes: connecting would use the old settings, so the button asks to save first. */
export const UnsavedChanges: Story = {
  args: { 'pending-changes': true },
  parameters: { backend: { config: SAMPLE_CONFIG } },
};

/** Exchange Online (application) needs no sign-in: the button explains why it is disabled. */
export const ApplicationMode: Story = {
  parameters: { backend: { config: { ...SAMPLE_CONFIG, mode: 'application' } } },
};

/** Saved and ready: Connect is enabled. */
export const ReadyToConnect: Story = {
  parameters: { backend: { config: SAMPLE_CONFIG } },
};

/** Waiting for the sign-in: progress, Cancel, and the time-out still running. */
export const Connecting: Story = {
  parameters: { backend: { config: SAMPLE_CONFIG, scenario: { connect: { delayMs: 60 * 60_000 } } } },
  play: async ({ canvasElement }) => {
    const b = await button(canvasElement);
    await userEvent.click(await b.findByRole('button', { name: 'Connect Azure Email' }));
    await expect(await b.findByRole('button', { name: 'Cancel' })).toBeVisible();
    await expect(b.getByText(/Waiting for you to sign in/)).toBeVisible();
  },
};

/** Connect, sign in (simulated), "Connected to …"; then Disconnect. */
export const ConnectAndDisconnect: Story = {
  parameters: { backend: { config: SAMPLE_CONFIG, scenario: { connect: { delayMs: 600, account: ACCOUNT } } } },
  play: async ({ canvasElement, step }) => {
    const b = await button(canvasElement);
    await step('Connect', async () => {
      await userEvent.click(await b.findByRole('button', { name: 'Connect Azure Email' }));
      await expect(await b.findByText(`Connected to ${ACCOUNT}`, undefined, { timeout: 5000 })).toBeVisible();
    });
    await step('Disconnect', async () => {
      await userEvent.click(b.getByRole('button', { name: 'Disconnect Azure Email' }));
      await expect(await b.findByText('Not connected')).toBeVisible();
    });
  },
};

/** Cancel while waiting: back to Connect, nothing connected. */
export const Cancelled: Story = {
  parameters: { backend: { config: SAMPLE_CONFIG, scenario: { connect: { delayMs: 60 * 60_000 } } } },
  play: async ({ canvasElement }) => {
    const b = await button(canvasElement);
    await userEvent.click(await b.findByRole('button', { name: 'Connect Azure Email' }));
    await userEvent.click(await b.findByRole('button', { name: 'Cancel' }));
    await expect(await b.findByRole('button', { name: 'Connect Azure Email' })).toHaveAttribute('aria-disabled', 'false');
    await expect(b.queryByRole('button', { name: 'Cancel' })).toBeNull();
  },
};

/** The sign-in was never finished: after the time-out (3 s here) the button says so and offers Retry. */
export const TimedOut: Story = {
  args: { timeout: 3000 },
  parameters: { backend: { config: SAMPLE_CONFIG, scenario: { connect: { delayMs: 60 * 60_000 } } } },
  play: async ({ canvasElement }) => {
    const b = await button(canvasElement);
    await userEvent.click(await b.findByRole('button', { name: 'Connect Azure Email' }));
    await expect(await b.findByText(/was not finished/, undefined, { timeout: 6000 })).toBeVisible();
    await expect(b.getByRole('button', { name: 'Retry' })).toBeVisible();
  },
};

/** Connected: "Connected to …" and Disconnect. */
export const Connected: Story = {
  parameters: { backend: { config: SAMPLE_CONFIG, connected: ACCOUNT } },
  play: async ({ canvasElement }) => {
    const b = await button(canvasElement);
    await expect(await b.findByText(`Connected to ${ACCOUNT}`)).toBeVisible();
    await expect(b.getByRole('button', { name: 'Disconnect Azure Email' })).toBeVisible();
  },
};

/** The refresh token was revoked (invalid_grant): the reason and Reconnect. */
export const NeedsReconnect: Story = {
  parameters: {
    backend: () => {
      const adapter = storyAdapter({ config: SAMPLE_CONFIG, connected: ACCOUNT });
      adapter.loseConnection();
      return adapter;
    },
  },
  play: async ({ canvasElement }) => {
    const b = await button(canvasElement);
    await expect(await b.findByRole('button', { name: 'Reconnect Azure Email' })).toBeVisible();
    await expect(b.getByText(/invalid_grant/)).toBeVisible();
  },
};

/** Consent declined in the Microsoft window (AADSTS65004): a mapped message and Retry. */
export const ConsentDeclined: Story = {
  parameters: { backend: { config: SAMPLE_CONFIG, scenario: { connect: { outcome: 'error', delayMs: 300 } } } },
  play: async ({ canvasElement }) => {
    const b = await button(canvasElement);
    await userEvent.click(await b.findByRole('button', { name: 'Connect Azure Email' }));
    await expect(await b.findByText(/consent was refused/, undefined, { timeout: 5000 })).toBeVisible();
    await expect(b.getByRole('button', { name: 'Retry' })).toBeVisible();
  },
};

/** Another sign-in error (the redirect URI is not registered, AADSTS50011): shown as the server reports it. */
export const SignInFailed: Story = {
  parameters: {
    backend: {
      config: SAMPLE_CONFIG,
      scenario: { connect: { outcome: 'error', delayMs: 300, error: 'AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application.' } },
    },
  },
  play: async ({ canvasElement }) => {
    const b = await button(canvasElement);
    await userEvent.click(await b.findByRole('button', { name: 'Connect Azure Email' }));
    await expect(await b.findByText(/AADSTS50011/, undefined, { timeout: 5000 })).toBeVisible();
  },
};

/** The mail server cannot be reached when Connect is selected. */
export const ServerUnreachable: Story = {
  parameters: {
    backend: () => {
      const adapter = storyAdapter({ config: SAMPLE_CONFIG });
      adapter.failNext('beginConnect', 'network');
      return adapter;
    },
  },
  play: async ({ canvasElement }) => {
    const b = await button(canvasElement);
    await userEvent.click(await b.findByRole('button', { name: 'Connect Azure Email' }));
    await expect(await b.findByText(/could not be reached/)).toBeVisible();
  },
};

/** German. */
export const German: Story = {
  globals: { locale: 'de' },
  parameters: { backend: { config: SAMPLE_CONFIG, connected: ACCOUNT } },
};

/** Right to left. */
export const RightToLeft: Story = {
  globals: { direction: 'rtl' },
  parameters: { backend: { config: SAMPLE_CONFIG, scenario: { connect: { delayMs: 60 * 60_000 } } } },
};
