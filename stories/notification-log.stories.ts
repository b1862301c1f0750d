import { html } from 'lit';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import type { LogEntry } from '../src/services/contract.js';
import { withBackend } from './decorators.js';

const meta: Meta = {
  title: 'Elements/notification-log',
  component: 'notification-log',
  tags: ['autodocs'],
  decorators: [withBackend],
  render: () => html`<notification-log></notification-log>`,
};
export default meta;
type Story = StoryObj;

const hostile = (id: number): LogEntry => ({
  id: `h${id}`,
  createdAt: new Date(Date.UTC(2026, 10, 20, 9, id)).toISOString(),
  to: ['"><img src=x onerror=alert(1)>@evil.test'],
  subject: `<script>alert(${id})</script> ${'very long subject '.repeat(30)}`,
  status: 'failed',
  attempts: 3,
  durationMs: 1200,
  error: { code: '<b>ErrorAccessDenied</b>', message: '<iframe src=javascript:alert(1)>', hint: 'Shown as text.' },
  source: 'app',
});

export const Empty: Story = { parameters: { backend: { logRows: 0 } } };
/** 100,000 rows: only the visible ones are in the DOM. */
export const HundredThousandRows: Story = { parameters: { backend: { logRows: 100_000 } } };
export const Failures: Story = { args: { status: 'failed' }, render: () => html`<notification-log status="failed"></notification-log>`, parameters: { backend: { logRows: 500 } } };
export const HostileText: Story = { parameters: { backend: { logRows: [hostile(1), hostile(2)] } } };
export const Live: Story = { parameters: { backend: { logRows: 50, liveEveryMs: 3000 } } };
export const German: Story = { globals: { locale: 'de' }, parameters: { backend: { logRows: 200 } } };
