import { html } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { expect, userEvent, waitFor } from 'storybook/test';
import type { LogEntry, LogStatus } from '../src/services/contract.js';
import { HOSTILE_SUBJECTS } from '../src/services/memory-log.js';
import { actionOf, cssVariables, storyAdapter, withinShadow } from './decorators.js';

const meta: Meta = {
  title: 'Elements/notification-log',
  component: 'notification-log',
  tags: ['autodocs'],
  parameters: {
    backend: { logRows: 500 },
    docs: {
      description: {
        component: 'Rows come from the in-browser backend (a seeded, deterministic log with the server\'s filters and keyset paging).',
      },
    },
  },
  args: { status: '', 'page-size': 100 },
  argTypes: {
    adapter: { control: false },
    query: { control: false },
    pageSize: { control: false },
    status: { control: 'select', options: ['', 'queued', 'sending', 'sent', 'failed', 'unknown'] },
    'page-size': { control: { type: 'number', min: 1, max: 200 } },
  },
  render: (args) =>
    html`<notification-log
      style=${styleMap(cssVariables(args))}
      status=${(args.status as LogStatus | '') ?? ''}
      page-size=${(args['page-size'] as number) ?? 100}
      @gm-retry=${actionOf(args, 'onGmRetry')}
      @gm-export=${actionOf(args, 'onGmExport')}
    ></notification-log>`,
};
export default meta;
type Story = StoryObj;

const log = (canvasElement: HTMLElement) => withinShadow(canvasElement, 'notification-log');
const rows = (root: ShadowRoot) => [...root.querySelectorAll<HTMLElement>('[role="row"][data-id]')];

async function firstRows(canvasElement: HTMLElement) {
  const l = await log(canvasElement);
  await waitFor(() => expect(rows(l.root).length).toBeGreaterThan(0), { timeout: 5000 });
  return l;
}

/** Text a renderer must show as text: markup, formulas, bidi overrides, a 1 MB subject. */
function hostileEntries(): LogEntry[] {
  const now = Date.now();
  const subjects = [...HOSTILE_SUBJECTS, `One megabyte: ${'x'.repeat(1_000_000)}`];
  return subjects.map((subject, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    createdAt: new Date(now - i * 60_000).toISOString(),
    to: [i % 3 === 0 ? '"><img src=x onerror=alert(1)>@evil.example' : `user${i}\u202E@contoso.com`],
    subject,
    status: i % 2 ? 'failed' : 'sent',
    attempts: 1 + (i % 3),
    durationMs: 300 + i * 10,
    source: 'app',
    ...(i % 2
      ? { error: { code: '<b>ErrorAccessDenied</b>', message: '<iframe src="javascript:alert(1)"></iframe>', hint: '=cmd|\' /C calc\'!A0 shown as text.' } }
      : {}),
  }));
}

/** Nothing sent yet. */
export const Empty: Story = {
  parameters: { backend: { logRows: 0 } },
  play: async ({ canvasElement }) => {
    const l = await log(canvasElement);
    await expect(await l.findByText('No messages have been sent yet.', undefined, { timeout: 3000 })).toBeVisible();
  },
};

/** The first page is on its way (the backend answers slowly here). */
export const Loading: Story = {
  parameters: { backend: { logRows: 50, latencyMs: 60 * 60_000 } },
};

/** The log could not be loaded: the reason and "Try again". */
export const LoadError: Story = {
  parameters: {
    backend: () => {
      const adapter = storyAdapter({ logRows: 200 });
      adapter.failNext('queryLog', 'network');
      return adapter;
    },
  },
  play: async ({ canvasElement }) => {
    const l = await log(canvasElement);
    await userEvent.click(await l.findByRole('button', { name: 'Try again' }, { timeout: 3000 }));
    await firstRows(canvasElement);
  },
};

/** A typical log: mostly sent, some failed or unknown, the newest queued. */
export const Default: Story = {};

/** The sending mailbox's budget above the table: 800 recipients left of Exchange Online's 10,000 a day. */
export const SendBudget: Story = {
  parameters: { backend: { logRows: 200, sendBudget: { messagesPerMinute: 30, recipientsPerDay: 10_000, recipientsUsed: 9_200 } } },
  play: async ({ canvasElement }) => {
    const l = await firstRows(canvasElement);
    await expect(l.root.querySelector('[part="budget"]')?.textContent).toMatch(/of 10,000 recipients left today · at most 30 messages a minute/);
  },
};

/**
 * 100,000 rows. Pages load as you scroll ("Load more" too); only the rows in view (plus a few) are in the
 * DOM however many are loaded.
 */
export const HundredThousandRows: Story = {
  args: { 'page-size': 200 },
  parameters: { backend: { logRows: 100_000 } },
  play: async ({ canvasElement }) => {
    const l = await firstRows(canvasElement);
    for (let i = 0; i < 4; i += 1) {
      await userEvent.click(await l.findByRole('button', { name: 'Load more' }, { timeout: 5000 }));
      // The footer formats numbers for the page's language: "1,000 of 100,000 messages".
      const shown = ((i + 2) * 200).toLocaleString('en');
      await waitFor(() => expect(l.getByText(new RegExp(`^${shown} of`))).toBeInTheDocument(), { timeout: 5000 });
    }
    await expect(rows(l.root).length).toBeLessThan(100);
  },
};

/** Only failed messages; a row opens its attempts, the explanation and fix, and "Send again". */
export const Failures: Story = {
  args: { status: 'failed' },
  parameters: { backend: { logRows: 2000 } },
  play: async ({ canvasElement }) => {
    const l = await firstRows(canvasElement);
    await userEvent.click(rows(l.root)[0]);
    await expect(await l.findByText('What to do')).toBeVisible();
    await userEvent.click(l.getByRole('button', { name: 'Send again' }));
    await expect(await l.findByText('The message is queued again.')).toBeInTheDocument();
  },
};

/** An unknown outcome may already have gone out: "Send again" asks before risking a duplicate. */
export const UnknownOutcome: Story = {
  args: { status: 'unknown' },
  parameters: { backend: { logRows: 3000 } },
  play: async ({ canvasElement }) => {
    const l = await firstRows(canvasElement);
    await userEvent.click(rows(l.root)[0]);
    await userEvent.click(await l.findByRole('button', { name: 'Send again' }));
    await expect(await l.findByText(/Sending again can deliver it twice/)).toBeVisible();
  },
};

/** Markup, formulas, right-to-left overrides and a 1 MB subject, all shown as inert, truncated text. */
export const HostileText: Story = {
  parameters: { backend: { logRows: hostileEntries() } },
  play: async ({ canvasElement }) => {
    const l = await firstRows(canvasElement);
    await expect(l.root.querySelector('img, script, iframe, b')).toBeNull();
    await expect(l.root.textContent).toContain('<img src=x onerror=alert(1)>');
    const longest = Math.max(...rows(l.root).map((row) => row.textContent?.length ?? 0));
    await expect(longest).toBeLessThan(5000);
    await userEvent.click(rows(l.root).find((row) => row.textContent?.includes('<b>ErrorAccessDenied</b>'))!);
    await expect(await l.findByText('<iframe src="javascript:alert(1)"></iframe>')).toBeInTheDocument();
    await expect(l.root.querySelector('iframe')).toBeNull();
  },
};

/** Search over recipients and subject (debounced; a newer search cancels the previous request). */
export const Search: Story = {
  parameters: { backend: { logRows: 5000 } },
  play: async ({ canvasElement }) => {
    const l = await firstRows(canvasElement);
    const search = l.root.querySelector<HTMLInputElement>('input[type="search"]')!;
    await userEvent.type(search, 'invoice');
    await waitFor(
      () => {
        const shown = rows(l.root);
        expect(shown.length).toBeGreaterThan(0);
        for (const row of shown) expect(row.textContent!.toLowerCase()).toContain('invoice');
      },
      { timeout: 5000 },
    );
  },
};

/** Live updates: new messages arrive every two seconds and wait behind "N new — show". */
export const LiveUpdates: Story = {
  parameters: { backend: { logRows: 50, liveEveryMs: 2000 } },
  play: async ({ canvasElement }) => {
    const l = await firstRows(canvasElement);
    await expect(await l.findByRole('button', { name: /new — show/ }, { timeout: 6000 })).toBeVisible();
  },
};

/** German (dates in the German format too). */
export const German: Story = {
  globals: { locale: 'de' },
  args: { status: 'failed' },
  parameters: { backend: { logRows: 1000 } },
};

/** Right to left, with the hostile text (bidi overrides stay contained in their cells). */
export const RightToLeft: Story = {
  globals: { direction: 'rtl' },
  parameters: { backend: { logRows: hostileEntries() } },
};
