import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { NotificationLog } from '../../../src/components/notification-log/notification-log.js';
import type { LogEntry, LogPage, LogQuery } from '../../../src/services/contract.js';
import { MemoryAdapter } from '../../../src/services/memory-adapter.js';

NotificationLog.define();

const entry = (id: string, overrides: Partial<LogEntry> = {}): LogEntry => ({
  id,
  createdAt: new Date(Date.UTC(2026, 10, 20, 12, 0, Number(id.replace(/\D/g, '')) % 60)).toISOString(),
  to: [`user${id}@contoso.test`],
  subject: `Subject ${id}`,
  status: 'sent',
  attempts: 1,
  durationMs: 420,
  source: 'app',
  ...overrides,
});

async function mount(adapter: MemoryAdapter, extra = ''): Promise<NotificationLog> {
  const element = await fixture<NotificationLog>(html`<notification-log .adapter=${adapter} page-size="50" style="--gm-log-height: 300px"></notification-log>`);
  void extra;
  await settle(element);
  return element;
}

/** Lets pending adapter calls and renders finish (MemoryAdapter answers on timers). */
async function settle(element: NotificationLog, rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    await element.updateComplete;
  }
}

const rows = (element: NotificationLog) => [...element.shadowRoot!.querySelectorAll<HTMLElement>('.row')];
const button = (element: NotificationLog, text: string | RegExp) =>
  [...element.shadowRoot!.querySelectorAll<HTMLButtonElement>('button')].find((b) => (typeof text === 'string' ? b.textContent!.trim() === text : text.test(b.textContent!.trim())))!;

describe('<notification-log>', () => {
  it('shows the newest messages with their status as text, and is accessible', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('1'), entry('2', { status: 'failed', error: { code: 'ErrorAccessDenied', message: 'Access is denied.', hint: 'Grant Mail.Send.' } })] });
    const element = await mount(adapter);
    expect(rows(element)).to.have.length(2);
    const text = element.shadowRoot!.textContent!;
    expect(text).to.contain('Subject 1');
    expect(text).to.contain('Failed');
    expect(text).to.contain('ErrorAccessDenied: Access is denied.');
    await expect(element).to.be.accessible();
  });

  it('shows an empty state, and a different one when filters match nothing', async () => {
    const element = await mount(new MemoryAdapter({ logRows: 0 }));
    expect(element.shadowRoot!.textContent).to.contain('No messages have been sent yet.');
    await expect(element).to.be.accessible();
    button(element, /^Failed/).click();
    await settle(element);
    expect(element.shadowRoot!.textContent).to.contain('No message matches these filters.');
  });

  it('filters by status with counts from the server, and marks the pressed filter', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('1'), entry('2', { status: 'failed' }), entry('3', { status: 'failed' }), entry('4', { status: 'unknown' })] });
    const element = await mount(adapter);
    const failed = button(element, /^Failed/);
    expect(failed.textContent!.trim()).to.equal('Failed (2)');
    failed.click();
    await settle(element);
    expect(failed.getAttribute('aria-pressed')).to.equal('true');
    expect(element.status).to.equal('failed');
    expect(rows(element).map((row) => row.dataset.id)).to.have.members(['2', '3']);
    expect(button(element, /^All/).textContent!.trim()).to.equal('All (4)');
  });

  it('never lets a slow, older search answer overwrite a newer one', async () => {
    const calls: Array<{ query: LogQuery; resolve: (page: LogPage) => void }> = [];
    const adapter = new MemoryAdapter({ logRows: [entry('1')] });
    adapter.queryLog = (query) => new Promise<LogPage>((resolve) => calls.push({ query, resolve }));
    const element = await fixture<NotificationLog>(html`<notification-log .adapter=${adapter}></notification-log>`);
    const page = (id: string): LogPage => ({ items: [entry(id, { subject: `answer ${id}` })], nextCursor: null, counts: { queued: 0, sending: 0, sent: 1, failed: 0, unknown: 0 } });
    const search = element.shadowRoot!.querySelector<HTMLInputElement>('input[type="search"]')!;
    search.value = 'first';
    search.dispatchEvent(new Event('input'));
    await new Promise((resolve) => setTimeout(resolve, 350));
    search.value = 'second';
    search.dispatchEvent(new Event('input'));
    await new Promise((resolve) => setTimeout(resolve, 350));
    const first = calls.find((call) => call.query.q === 'first')!;
    const second = calls.find((call) => call.query.q === 'second')!;
    second.resolve(page('2'));
    await settle(element);
    first.resolve(page('1'));
    await settle(element);
    expect(element.shadowRoot!.textContent).to.contain('answer 2');
    expect(element.shadowRoot!.textContent).not.to.contain('answer 1');
  });

  it('keeps at most a screenful of row nodes for 100,000 rows while scrolling to the end of what is loaded', async () => {
    const adapter = new MemoryAdapter({ logRows: 100_000 });
    const element = await mount(adapter);
    const body = element.shadowRoot!.querySelector<HTMLElement>('.body')!;
    let most = 0;
    for (let step = 0; step < 30; step += 1) {
      body.scrollTop = body.scrollHeight;
      body.dispatchEvent(new Event('scroll'));
      await new Promise((resolve) => requestAnimationFrame(() => resolve(null)));
      await settle(element, 2);
      most = Math.max(most, rows(element).length);
    }
    expect(most).to.be.greaterThan(5);
    expect(most).to.be.at.most(200);
    // Scrolling to the end of the loaded rows fetched further pages with the cursor.
    expect(element.shadowRoot!.textContent).to.match(/\d+ of 100000 messages/);
    expect(Number(/(\d+) of 100000/.exec(element.shadowRoot!.textContent!)![1])).to.be.greaterThan(50);
  });

  it('opens the details of a row with the keyboard, with every attempt and the request id', async () => {
    const adapter = new MemoryAdapter({ logRows: 40, seed: 7 });
    const element = await mount(adapter);
    const failedRow = rows(element).find((row) => row.querySelector('.badge.failed')) ?? rows(element)[0];
    failedRow.focus();
    failedRow.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await settle(element);
    const detail = element.shadowRoot!.querySelector('[part="detail"]')!;
    expect(detail).to.exist;
    expect(detail.querySelectorAll('tbody tr').length).to.be.greaterThan(0);
    expect(detail.textContent).to.contain('Graph request-id');
    await expect(element).to.be.accessible();
    button(element, 'Close details').click();
    await settle(element);
    expect(element.shadowRoot!.querySelector('[part="detail"]')).to.equal(null);
  });

  it('fires a cancelable gm-retry before queuing a failed message again', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('9', { status: 'failed', error: { code: 'X', message: 'm', hint: 'h' } })] });
    const element = await mount(adapter);
    rows(element)[0].click();
    await settle(element);
    let retried = 0;
    const original = adapter.retryLogEntry.bind(adapter);
    adapter.retryLogEntry = (id, signal) => {
      retried += 1;
      return original(id, signal);
    };
    element.addEventListener('gm-retry', (event) => event.preventDefault(), { once: true });
    button(element, 'Send again').click();
    await settle(element);
    expect(retried).to.equal(0);
    const fired = oneEvent(element, 'gm-retry');
    button(element, 'Send again').click();
    const event = await fired;
    expect(event.detail).to.deep.equal({ id: '9', status: 'failed' });
    await settle(element);
    expect(retried).to.equal(1);
  });

  it('asks before sending an unknown message again, since it may have been delivered', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('5', { status: 'unknown' })] });
    const element = await mount(adapter);
    let retried = 0;
    adapter.retryLogEntry = async () => {
      retried += 1;
    };
    rows(element)[0].click();
    await settle(element);
    button(element, 'Send again').click();
    await settle(element);
    expect(retried).to.equal(0);
    expect(element.shadowRoot!.querySelector('.confirm')!.textContent).to.contain('deliver it twice');
    button(element, 'Cancel').click();
    await settle(element);
    expect(element.shadowRoot!.querySelector('.confirm')).to.equal(null);
    button(element, 'Send again').click();
    await settle(element);
    button(element, 'Send again').click();
    await settle(element);
    expect(retried).to.equal(1);
  });

  it('exports the filtered log as CSV through the adapter, after a cancelable gm-export', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('1'), entry('2', { status: 'failed' })] });
    const element = await mount(adapter);
    const queries: LogQuery[] = [];
    adapter.downloadLogCsv = async (query) => {
      queries.push(query);
      return new Blob(['id\n1\n'], { type: 'text/csv' });
    };
    button(element, /^Failed/).click();
    await settle(element);
    const fired = oneEvent(element, 'gm-export');
    button(element, 'Export CSV').click();
    expect((await fired).detail.query).to.deep.equal({ status: 'failed' });
    await settle(element);
    expect(queries).to.deep.equal([{ status: 'failed' }]);
  });

  it('renders hostile text as text, cut to a readable length', async () => {
    const hostile = `<img src=x onerror="window.__pwned=1">${'A'.repeat(1000)}`;
    const element = await mount(new MemoryAdapter({ logRows: [entry('1', { subject: hostile, to: ['"><script>window.__pwned=1</script>@evil.test'] })] }));
    expect(element.shadowRoot!.querySelector('img')).to.equal(null);
    expect(element.shadowRoot!.querySelector('script')).to.equal(null);
    expect((window as unknown as { __pwned?: number }).__pwned).to.equal(undefined);
    const subject = rows(element)[0].querySelectorAll('[role="cell"]')[2];
    expect(subject.textContent!.length).to.be.lessThan(400);
    expect(subject.textContent).to.contain('<img src=x');
  });

  it('neutralises bidirectional overrides, and shows the exact time on hover', async () => {
    const element = await mount(new MemoryAdapter({ logRows: [entry('1', { subject: 'invoice\u202Efdp.exe' })] }));
    const cells = rows(element)[0].querySelectorAll<HTMLElement>('[role="cell"]');
    expect(cells[2].textContent).not.to.contain('\u202E');
    expect(cells[2].textContent).to.contain('invoice\uFFFDfdp.exe');
    expect(cells[0].title).to.contain('2026');
  });

  it('labels the search box "Search" and draws sent and failed per day with a text alternative', async () => {
    const day1 = '2026-11-20T10:00:00.000Z';
    const day2 = '2026-11-21T10:00:00.000Z';
    const element = await mount(
      new MemoryAdapter({ logRows: [entry('1', { createdAt: day1 }), entry('2', { createdAt: day1, status: 'failed' }), entry('3', { createdAt: day2 })] }),
    );
    const search = element.shadowRoot!.querySelector<HTMLInputElement>('input[type="search"]')!;
    expect(search.labels![0].textContent!.trim()).to.equal('Search');
    const chart = element.shadowRoot!.querySelector('svg[role="img"]')!;
    expect(chart.querySelectorAll('rect.sent')).to.have.length(2);
    expect(chart.getAttribute('aria-label')).to.contain('1 sent, 1 failed');
    expect(chart.getAttribute('aria-label')).to.contain('1 sent, 0 failed');
    await expect(element).to.be.accessible();
  });

  it('shows an error state with a way to try again when the server does not answer', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('1')] });
    adapter.failNext('queryLog', 'network');
    const element = await mount(adapter);
    expect(element.shadowRoot!.textContent).to.contain('could not be loaded');
    await expect(element).to.be.accessible();
    button(element, 'Try again').click();
    await settle(element);
    expect(rows(element)).to.have.length(1);
  });

  it('holds live rows behind a notice until asked, so the list does not jump', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('1')] });
    const element = await mount(adapter);
    adapter.pushLog({ subject: 'Live one' });
    await settle(element);
    expect(rows(element)).to.have.length(1);
    const notice = button(element, /new/);
    expect(notice.textContent).to.contain('1 new');
    notice.click();
    await settle(element);
    expect(rows(element)).to.have.length(2);
    expect(rows(element)[0].textContent).to.contain('Live one');
  });

  it('speaks German when the page does', async () => {
    await import('../../../src/locales/de/notification-log.js');
    const wrapper = await fixture(html`<div lang="de"><notification-log .adapter=${new MemoryAdapter({ logRows: 0 })}></notification-log></div>`);
    const element = wrapper.querySelector('notification-log')!;
    await settle(element);
    expect(element.shadowRoot!.textContent).to.contain('Es wurde noch keine Nachricht gesendet.');
    expect(button(element, /^Fehlgeschlagen/)).to.exist;
  });
});
