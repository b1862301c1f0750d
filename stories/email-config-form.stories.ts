import { html } from 'lit';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { expect, userEvent } from 'storybook/test';
import { SAMPLE_CONFIG } from '../src/services/memory-adapter.js';
import { withBackend } from './decorators.js';

const meta: Meta = {
  title: 'Elements/email-config-form',
  component: 'email-config-form',
  tags: ['autodocs'],
  decorators: [withBackend],
  render: () => html`<email-config-form></email-config-form>`,
};
export default meta;
type Story = StoryObj;

const field = (canvas: HTMLElement, label: string): HTMLInputElement => {
  const form = canvas.querySelector('email-config-form')!.shadowRoot!;
  const labelled = [...form.querySelectorAll<HTMLInputElement>('input, select, textarea')].find((input) => input.labels?.[0]?.textContent?.trim().startsWith(label));
  return labelled!;
};

/** Never configured: the defaults (Azure Service, Global) and empty fields. */
export const Empty: Story = {};

/** A complete delegated configuration, saved and not yet connected. */
export const Saved: Story = { parameters: { backend: { config: SAMPLE_CONFIG } } };

/** Connected: the connection settings are locked; the credential stays editable for rotation. */
export const ConnectedAndLocked: Story = { parameters: { backend: { config: SAMPLE_CONFIG, connected: 'adele.vance@contoso.onmicrosoft.com' } } };

/** The Secret ID (a GUID) pasted where the secret's value belongs is caught before anything is sent. */
export const SecretIdPasted: Story = {
  play: async ({ canvasElement }) => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const secret = field(canvasElement, 'Client secret');
    await userEvent.type(secret, '3f2c6a1e-8b7d-4c1a-9e2f-5a6b7c8d9e0f');
    secret.blur();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const text = canvasElement.querySelector('email-config-form')!.shadowRoot!.textContent!;
    await expect(text).toContain('This is the Secret ID, not the secret');
  },
};

/** A tenant that is neither a GUID nor a domain name. */
export const InvalidTenant: Story = {
  play: async ({ canvasElement }) => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const tenant = field(canvasElement, 'Tenant ID');
    await userEvent.type(tenant, 'not a tenant');
    tenant.blur();
  },
};

/** The test report when the stored secret is wrong (AADSTS7000215). */
export const WrongSecretInTest: Story = { parameters: { backend: { config: SAMPLE_CONFIG, scenario: { acceptedSecret: 'another-secret-value~1234567890' } } } };

/** German, from the same translation keys. */
export const German: Story = { globals: { locale: 'de' }, parameters: { backend: { config: SAMPLE_CONFIG } } };

/** Right to left. */
export const RightToLeft: Story = { globals: { direction: 'rtl' } };
