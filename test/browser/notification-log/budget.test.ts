/**
 * The sending budget's line in <notification-log>: what is left of the day's recipients and the pace, as
 * the log page reports them; none when the backend does not pace; German and Arabic.
 */
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { NotificationLog } from '../../../src/components/notification-log/notification-log.js';
import { defineElement } from '../../../src/components/shared/index.js';
import '../../../src/locales/de/notification-log.js';
import '../../../src/locales/ar/notification-log.js';
import type { LogEntry } from '../../../src/services/contract.js';
import { MemoryAdapter, type MemoryAdapterOptions } from '../../../src/services/memory-adapter.js';

defineElement('notification-log', NotificationLog);

const sent = (id: string, to: string[]): LogEntry => ({
  id,
  createdAt: new Date(Date.now() - 3_600_000).toISOString(),
  to,
  subject: `Subject ${id}`,
  status: 'sent',
  attempts: 1,
  durationMs: 300,
  source: 'app',
});

async function mount(options: MemoryAdapterOptions, lang = 'en'): Promise<NotificationLog> {
  const adapter = new MemoryAdapter(options);
  const element = await fixture<NotificationLog>(html`<notification-log lang=${lang} .adapter=${adapter}></notification-log>`);
  await waitUntil(() => element.shadowRoot!.querySelector('.row'), 'the log did not load');
  return element;
}

const line = (element: NotificationLog) => element.shadowRoot!.querySelector<HTMLElement>('[part="budget"]')?.textContent?.replace(/\s+/g, ' ').trim();

describe('<notification-log> send budget', () => {
  const rows = [sent('1', ['a@contoso.com', 'b@contoso.com']), sent('2', ['c@contoso.com'])];

  it('shows the recipients left today and the pace in one line', async () => {
    const element = await mount({ logRows: rows, sendBudget: { messagesPerMinute: 30, recipientsPerDay: 10_000, recipientsUsed: 1_200 } });
    expect(line(element)).to.equal('8,797 of 10,000 recipients left today · at most 30 messages a minute');
    await expect(element).shadowDom.to.be.accessible();
  });

  it('shows nothing when the backend does not pace itself', async () => {
    const element = await mount({ logRows: rows, sendBudget: 'off' });
    expect(line(element)).to.equal(undefined);
  });

  it('speaks German and Arabic', async () => {
    const budget = { messagesPerMinute: 30, recipientsPerDay: 10_000 };
    expect(line(await mount({ logRows: rows, sendBudget: budget }, 'de'))).to.equal('Heute noch 9.997 von 10.000 Empfängern · höchstens 30 Nachrichten pro Minute');
    expect(line(await mount({ logRows: rows, sendBudget: budget }, 'ar'))).to.contain('تبقّى اليوم');
  });
});
