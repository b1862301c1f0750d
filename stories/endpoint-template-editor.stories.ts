import { html } from 'lit';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { defaultEndpoints } from '../src/services/endpoints.js';
import { withBackend } from './decorators.js';

const meta: Meta = {
  title: 'Elements/endpoint-template-editor',
  component: 'endpoint-template-editor',
  tags: ['autodocs'],
  decorators: [withBackend],
};
export default meta;
type Story = StoryObj;

export const GlobalDefaults: Story = {
  render: () => html`<endpoint-template-editor cloud="global" tenant-id="contoso.onmicrosoft.com" from-address="adele.vance@contoso.com" .endpoints=${defaultEndpoints('global')}></endpoint-template-editor>`,
};

/** Each rule of the templates: not https, a host outside the cloud, an unknown placeholder, unbalanced braces. */
export const EndpointErrors: Story = {
  render: () =>
    html`<endpoint-template-editor
      cloud="global"
      .endpoints=${{
        ...defaultEndpoints('global'),
        tokenEndpoint: 'http://login.microsoftonline.com/{TenantId}/oauth2/v2.0/token',
        graphEndpoint: 'https://graph.microsoft.com.evil.test/v1.0',
        userEndpoint: '/users/{UPN}',
        draftSendEndpoint: '/{DraftMessageId/send',
      }}
    ></endpoint-template-editor>`,
};

/** Locked while connected. */
export const Locked: Story = { render: () => html`<endpoint-template-editor cloud="usgov" readonly .endpoints=${defaultEndpoints('usgov')}></endpoint-template-editor>` };
