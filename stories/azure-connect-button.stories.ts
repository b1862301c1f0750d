import { html } from 'lit';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { SAMPLE_CONFIG } from '../src/services/memory-adapter.js';
import { withBackend } from './decorators.js';

const meta: Meta = {
  title: 'Elements/azure-connect-button',
  component: 'azure-connect-button',
  tags: ['autodocs'],
  decorators: [withBackend],
  render: () => html`<azure-connect-button></azure-connect-button>`,
};
export default meta;
type Story = StoryObj;

/** Not configured yet: the button says what to save first. */
export const NotConfigured: Story = {};
export const ReadyToConnect: Story = { parameters: { backend: { config: SAMPLE_CONFIG } } };
export const Connected: Story = { parameters: { backend: { config: SAMPLE_CONFIG, connected: 'adele.vance@contoso.onmicrosoft.com' } } };
/** The sign-in fails with missing consent (AADSTS65001). */
export const ConsentMissing: Story = {
  parameters: { backend: { config: SAMPLE_CONFIG, scenario: { connect: { outcome: 'error', error: 'AADSTS65001: The user or administrator has not consented to use the application.' } } } },
};

/** The refresh token was revoked (invalid_grant): the admin is asked to sign in again. */
export const NeedsReconnect: Story = {
  parameters: { backend: { config: SAMPLE_CONFIG, connected: 'adele.vance@contoso.onmicrosoft.com' } },
  play: async ({ canvasElement }) => {
    const host = canvasElement.querySelector('story-backend') as HTMLElement & { adapter: { loseConnection(): void } };
    host.adapter.loseConnection();
    const button = canvasElement.querySelector('azure-connect-button') as HTMLElement & { requestUpdate(): void };
    button.remove();
    host.append(document.createElement('azure-connect-button'));
  },
};
