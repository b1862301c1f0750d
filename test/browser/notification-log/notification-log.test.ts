import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { NotificationLog } from '../../../src/components/notification-log/notification-log.js';
import { defineElement } from '../../../src/components/shared/index.js';
import type { LogEntry, LogPage, LogQuery } from '../../../src/services/contract.js';
import { MemoryAdapter } from '../../../src/services/memory-adapter.js';

defineElement('notification-log', NotificationLog);

const at = (second: number) => new Date(Date.UTC(2026, 10, 20, 12, 0, second)).toISOString();
const entry = (id: string, overrides: Partial<LogEntry> = {}): LogEntry => ({
  id,
  createdAt: at(Number(id.replace(/\D/g, '')) % 60),
  to: [`user${id}@contoso.test`],
  subject: `Subject ${id}`,
  status: 'sent',
  attempts: 1,
  durationMs: 420,
  source: 'app',
  ...overrides,
});

async function mount(adapter: MemoryAdapter, pageSize = 50): Promise<NotificationLog> {
  const element = await fixture<NotificationLog>(
    html`<notification-log .adapter=${adapter} page-size=${pageSize} style="--gm-log-height: 300px"></notification-log>`,
  );
  await loaded(element);
  return element;
}

const shadow = (element: NotificationLog) => element.shadowRoot!;
const text = (element: NotificationLog) => shadow(element).textContent!.replace(/\s+/g, ' ');
const rows = (element: NotificationLog) => [...shadow(element).querySelectorAll<HTMLElement>('.row')];
const body = (element: NotificationLog) => shadow(element).querySelector<HTMLElement>('.body')!;
const buttons = (element: NotificationLog) => [...shadow(element).querySelectorAll<HTMLButtonElement>('button')];
const button = (element: NotificationLog, name: string | RegExp) => {
  const found = buttons(element).find((b) => (typeof name === 'string' ? b.textContent!.trim() === name : name.test(b.textContent!.trim())));
  if (!found) throw new Error(`no button ${String(name)} in: ${buttons(element).map((b) => b.textContent!.trim()).join(' | ')}`);
  return found;
};
const hasButton = (element: NotificationLog, name: string | RegExp) =>
  buttons(element).some((b) => (typeof name === 'string' ? b.textContent!.trim() === name : name.test(b.textContent!.trim())));
const detail = (element: NotificationLog) => shadow(element).querySelector<HTMLElement>('[part="detail"]');
const focusedRow = (element: NotificationLog) => shadow(element).activeElement as HTMLElement | null;
const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(null)));

/** Until the table shows rows or a message, and no request is under way. */
async function loaded(element: NotificationLog): Promise<void> {
  // A filter set just before starts its request in the next update.
  await element.updateComplete;
  await waitUntil(() => shadow(element).querySelector('.table')?.getAttribute('aria-busy') === 'false', 'the log did not finish loading', { timeout: 5000 });
  await element.updateComplete;
}

async function scrollTo(element: NotificationLog, top: number): Promise<void> {
  body(element).scrollTop = top;
  body(element).dispatchEvent(new Event('scroll'));
  await frame();
  await element.updateComplete;
}

/** The row whose box holds the top edge of the scrolling area: what the reader sees first. */
function rowAtTop(element: NotificationLog): HTMLElement | undefined {
  const top = body(element).getBoundingClientRect().top + 1;
  return rows(element).find((row) => {
    const box = row.getBoundingClientRect();
    return box.top <= top && box.bottom > top;
  });
}

/** Wraps `queryLog` to record what the element asked for. */
function recordQueries(adapter: MemoryAdapter): LogQuery[] {
  const queries: LogQuery[] = [];
  const original = adapter.queryLog.bind(adapter);
  adapter.queryLog = (query, signal) => {
    queries.push(query);
    return original(query, signal);
  };
  return queries;
}

describe('<notification-log>', () => {
  it('shows the newest messages first, the status as text, and is accessible', async () => {
    const adapter = new MemoryAdapter({
      logRows: [entry('1'), entry('2', { status: 'failed', attempts: 3, durationMs: 12_500, error: { code: 'ErrorAccessDenied', message: 'Access is denied.', hint: 'Grant Mail.Send.' } })],
    });
    const element = await mount(adapter);
    expect(rows(element).map((row) => row.dataset.id)).to.deep.equal(['2', '1']);
    const cells = [...rows(element)[0].querySelectorAll('[role="cell"]')].map((cell) => cell.textContent!.trim().replace(/\s+/g, ' '));
    expect(cells[1]).to.equal('user2@contoso.test');
    expect(cells[2]).to.equal('Subject 2');
    expect(cells[3]).to.equal('Failed');
    expect(cells[4]).to.equal('3');
    expect(cells[5]).to.equal('12.5 s');
    expect(cells[6]).to.equal('ErrorAccessDenied: Access is denied.');
    expect(rows(element)[0].querySelector('[part="status"]')!.textContent!.trim()).to.equal('Failed');
    expect(shadow(element).querySelectorAll('[role="columnheader"]')).to.have.length(7);
    expect(text(element)).to.contain('2 of 2 messages');
    expect(hasButton(element, 'Load more')).to.equal(false);
    await expect(element).to.be.accessible();
  });

  it('shows a loading state while the first page is on its way', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('1')] });
    let release!: () => void;
    const original = adapter.queryLog.bind(adapter);
    adapter.queryLog = async (query, signal) => {
      await new Promise<void>((resolve) => (release = resolve));
      return original(query, signal);
    };
    const element = await fixture<NotificationLog>(html`<notification-log .adapter=${adapter}></notification-log>`);
    await waitUntil(() => release !== undefined);
    await element.updateComplete;
    expect(text(element)).to.contain('Loading the log…');
    expect(shadow(element).querySelector('.table')!.getAttribute('aria-busy')).to.equal('true');
    await expect(element).to.be.accessible();
    release();
    await loaded(element);
    expect(rows(element)).to.have.length(1);
  });

  it('shows an empty state, and a different one when filters match nothing', async () => {
    const element = await mount(new MemoryAdapter({ logRows: 0 }));
    expect(text(element)).to.contain('No messages have been sent yet.');
    await expect(element).to.be.accessible();
    button(element, /^Failed/).click();
    await loaded(element);
    expect(text(element)).to.contain('No message matches these filters.');
    await expect(element).to.be.accessible();
  });

  it('filters by status with counts from the server, and marks the pressed filter', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('1'), entry('2', { status: 'failed' }), entry('3', { status: 'failed' }), entry('4', { status: 'unknown' })] });
    const queries = recordQueries(adapter);
    const element = await mount(adapter);
    expect(button(element, /^Failed/).textContent!.trim()).to.equal('Failed (2)');
    expect(button(element, /^Unknown/).textContent!.trim()).to.equal('Unknown (1)');
    expect(button(element, /^Queued/).textContent!.trim()).to.equal('Queued (0)');
    button(element, /^Failed/).click();
    await loaded(element);
    expect(queries.at(-1)!.status).to.equal('failed');
    expect(button(element, /^Failed/).getAttribute('aria-pressed')).to.equal('true');
    expect(button(element, /^All/).getAttribute('aria-pressed')).to.equal('false');
    expect(element.status).to.equal('failed');
    expect(element.getAttribute('status')).to.equal('failed');
    expect(rows(element).map((row) => row.dataset.id)).to.deep.equal(['3', '2']);
    // Counts follow every filter but the status, so the other chips keep theirs.
    expect(button(element, /^All/).textContent!.trim()).to.equal('All (4)');
    await expect(element).to.be.accessible();
  });

  it('takes the status filter from its attribute, and ignores one that is not a status', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('1'), entry('2', { status: 'failed' })] });
    const queries = recordQueries(adapter);
    const element = await fixture<NotificationLog>(html`<notification-log status="failed" .adapter=${adapter}></notification-log>`);
    await loaded(element);
    expect(queries[0].status).to.equal('failed');
    expect(rows(element).map((row) => row.dataset.id)).to.deep.equal(['2']);
    element.setAttribute('status', 'bogus');
    await loaded(element);
    expect(queries.at(-1)!.status).to.equal(undefined);
    expect(rows(element)).to.have.length(2);
    expect(button(element, /^All/).getAttribute('aria-pressed')).to.equal('true');
  });

  it('debounces the search box, labelled "Search", into one request', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('1', { subject: 'Invoice 1' }), entry('2', { subject: 'Welcome' }), entry('3', { to: ['invoices@contoso.test'] })] });
    const queries = recordQueries(adapter);
    const element = await mount(adapter);
    const search = shadow(element).querySelector<HTMLInputElement>('input[type="search"]')!;
    expect(search.labels![0].textContent!.trim()).to.equal('Search');
    const before = queries.length;
    for (const typed of ['i', 'in', 'inv', 'invo']) {
      search.value = typed;
      search.dispatchEvent(new Event('input'));
    }
    await waitUntil(() => queries.length > before);
    await loaded(element);
    expect(queries.slice(before).map((query) => query.q)).to.deep.equal(['invo']);
    expect(rows(element).map((row) => row.dataset.id)).to.deep.equal(['3', '1']);
  });

  it('shows the counts of a search with more matches than the server counts as lower bounds', async () => {
    const logRows = Array.from({ length: 30 }, (_, i) => entry(String(i + 1), { subject: i % 3 === 0 ? 'Invoice' : 'Welcome', status: i % 2 ? 'failed' : 'sent' }));
    const element = await mount(new MemoryAdapter({ logRows, textCountCap: 6 }));
    const table = () => shadow(element).querySelector<HTMLElement>('[role="table"]')!;
    expect(button(element, /^All/).textContent!.trim()).to.equal('All (30)');
    expect(table().getAttribute('aria-rowcount')).to.equal('31');

    const search = shadow(element).querySelector<HTMLInputElement>('input[type="search"]')!;
    search.value = 'invoice';
    search.dispatchEvent(new Event('input'));
    await waitUntil(() => rows(element).length === 10);
    await loaded(element);
    // Ten matches, six counted: each count says "at least", and the number of rows is unknown.
    const labels = buttons(element).map((b) => b.textContent!.trim()).filter((label) => /\(/.test(label));
    expect(labels.slice(0, 4)).to.deep.equal(['All (6+)', 'Queued (0+)', 'Sending (0+)', 'Sent (3+)']);
    expect(table().getAttribute('aria-rowcount')).to.equal('-1');
    await expect(element).to.be.accessible();

    search.value = '';
    search.dispatchEvent(new Event('input'));
    await waitUntil(() => button(element, /^All/).textContent!.trim() === 'All (30)');
    expect(table().getAttribute('aria-rowcount')).to.equal('31');
  });

  it('never lets a slow, older search answer overwrite a newer one, and aborts the older request', async () => {
    const calls: Array<{ query: LogQuery; signal?: AbortSignal; resolve: (page: LogPage) => void }> = [];
    const adapter = new MemoryAdapter({ logRows: [entry('1')] });
    adapter.queryLog = (query, signal) => new Promise<LogPage>((resolve) => calls.push({ query, signal, resolve }));
    const element = await fixture<NotificationLog>(html`<notification-log .adapter=${adapter}></notification-log>`);
    const page = (id: string): LogPage => ({ items: [entry(id, { subject: `answer ${id}` })], nextCursor: null, counts: { queued: 0, sending: 0, sent: 1, failed: 0, unknown: 0 } });
    const search = shadow(element).querySelector<HTMLInputElement>('input[type="search"]')!;
    const type = async (value: string) => {
      search.value = value;
      search.dispatchEvent(new Event('input'));
      await waitUntil(() => calls.some((call) => call.query.q === value), `no request for ${value}`);
    };
    await type('first');
    await type('second');
    const first = calls.find((call) => call.query.q === 'first')!;
    const second = calls.find((call) => call.query.q === 'second')!;
    expect(first.signal!.aborted).to.equal(true);
    expect(second.signal!.aborted).to.equal(false);
    second.resolve(page('2'));
    await waitUntil(() => text(element).includes('answer 2'));
    first.resolve(page('1'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await element.updateComplete;
    expect(text(element)).to.contain('answer 2');
    expect(text(element)).not.to.contain('answer 1');
  });

  it('filters by a date range of whole local days', async () => {
    const day = (d: number) => new Date(2026, 10, d, 12).toISOString();
    const adapter = new MemoryAdapter({
      logRows: [entry('18', { createdAt: day(18) }), entry('19', { createdAt: day(19) }), entry('20', { createdAt: day(20) }), entry('21', { createdAt: day(21) })],
    });
    const queries = recordQueries(adapter);
    const element = await mount(adapter);
    const input = (name: string) => shadow(element).querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
    input('from').value = '2026-11-19';
    input('from').dispatchEvent(new Event('change'));
    input('to').value = '2026-11-20';
    input('to').dispatchEvent(new Event('change'));
    await waitUntil(() => queries.at(-1)?.to !== undefined);
    await loaded(element);
    expect(queries.at(-1)!.from).to.equal(new Date(2026, 10, 19).toISOString());
    expect(queries.at(-1)!.to).to.equal(new Date(2026, 10, 21).toISOString());
    expect(rows(element).map((row) => row.dataset.id)).to.deep.equal(['20', '19']);
    input('from').value = '2026-11-22';
    input('from').dispatchEvent(new Event('change'));
    await loaded(element);
    expect(rows(element)).to.have.length(0);
    expect(text(element)).to.contain('No message matches these filters.');
    await expect(element).to.be.accessible();
  });

  it('pages with the cursor to the end with "Load more", each row once and newest first', async () => {
    const adapter = new MemoryAdapter({ logRows: 230, seed: 3 });
    const queries = recordQueries(adapter);
    const element = await mount(adapter);
    expect(text(element)).to.contain('50 of 230 messages');
    let clicks = 0;
    while (hasButton(element, 'Load more')) {
      const asked = queries.length;
      button(element, 'Load more').click();
      clicks += 1;
      await element.updateComplete;
      await waitUntil(() => queries.length > asked && !shadow(element).querySelector('.more[disabled]'));
      await element.updateComplete;
    }
    expect(clicks).to.equal(4);
    expect(queries.filter((query) => query.cursor).length).to.equal(4);
    expect(new Set(queries.filter((query) => query.cursor).map((query) => query.cursor)).size).to.equal(4);
    expect(text(element)).to.contain('230 of 230 messages');
    // The end of the list, in the keyset's order.
    await scrollTo(element, body(element).scrollHeight);
    const last = rows(element).at(-1)!;
    expect(last.getAttribute('aria-rowindex')).to.equal('231');
    const all = (await adapter.queryLog({ limit: 200 })).items.concat((await adapter.queryLog({ limit: 200, cursor: (await adapter.queryLog({ limit: 200 })).nextCursor! })).items);
    expect(last.dataset.id).to.equal(all[229].id);
  });

  it('keeps at most 200 row nodes for 100,000 rows while scrolling, loading pages as it goes', async () => {
    const adapter = new MemoryAdapter({ logRows: 100_000 });
    const element = await mount(adapter);
    let most = 0;
    for (let step = 0; step < 30; step += 1) {
      await scrollTo(element, body(element).scrollHeight);
      await waitUntil(() => !element.shadowRoot!.querySelector('.more[disabled]'));
      await element.updateComplete;
      most = Math.max(most, rows(element).length);
    }
    expect(most).to.be.greaterThan(5);
    expect(most).to.be.at.most(200);
    const shown = Number(/([\d,]+) of 100,000 messages/.exec(text(element))![1].replace(/,/g, ''));
    expect(shown).to.be.greaterThan(500);
    expect(shadow(element).querySelectorAll('[role="row"]').length).to.be.at.most(201);
    // The rows in the DOM are the ones in view, deep in the list.
    const top = rowAtTop(element)!;
    expect(Number(top.dataset.index)).to.equal(Math.floor(body(element).scrollTop / top.offsetHeight));
    expect(Number(top.dataset.index)).to.be.greaterThan(500);
  });

  it('moves through rows with the arrow keys, Home and End, with one tab stop, and opens them with Enter', async () => {
    const adapter = new MemoryAdapter({ logRows: 40, seed: 7 });
    const element = await mount(adapter);
    expect(rows(element).filter((row) => row.tabIndex === 0)).to.have.length(1);
    const first = rows(element)[0];
    first.focus();
    first.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true, composed: true }));
    await waitUntil(() => focusedRow(element)?.dataset.index === '1');
    focusedRow(element)!.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true, composed: true }));
    await waitUntil(() => focusedRow(element)?.dataset.index === '39', 'End did not reach the last row');
    expect(focusedRow(element)!.tabIndex).to.equal(0);
    focusedRow(element)!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Home', bubbles: true, composed: true }));
    await waitUntil(() => focusedRow(element)?.dataset.index === '0');
    focusedRow(element)!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true, composed: true }));
    await waitUntil(() => focusedRow(element)?.dataset.index === '1');
    const id = focusedRow(element)!.dataset.id!;
    focusedRow(element)!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true }));
    await waitUntil(() => detail(element)?.querySelector('tbody'), 'no details');
    await waitUntil(() => shadow(element).activeElement === detail(element));
    expect(rows(element).find((row) => row.dataset.id === id)!.getAttribute('aria-selected')).to.equal('true');
    detail(element)!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
    await waitUntil(() => detail(element) === null);
    await waitUntil(() => focusedRow(element)?.dataset.id === id, 'focus did not return to the row');
  });

  it('shows every attempt with its request ids, the error with its fix, and copies a request id', async () => {
    const adapter = new MemoryAdapter({ logRows: 400, seed: 7 });
    const element = await mount(adapter);
    button(element, /^Failed/).click();
    await loaded(element);
    rows(element)[0].click();
    await waitUntil(() => detail(element)?.querySelector('tbody tr'), 'no attempts');
    const id = rows(element)[0].dataset.id!;
    const truth = await adapter.getLogEntry(id);
    const section = detail(element)!;
    const attempts = section.querySelectorAll('tbody tr');
    expect(attempts.length).to.equal(truth.history.length);
    const headers = [...section.querySelectorAll('th')].map((th) => th.textContent!.trim());
    expect(headers).to.deep.equal(['Time', 'Outcome', 'HTTP status', 'Graph request-id', 'client-request-id', 'Error', 'Duration']);
    const withRequest = truth.history.findIndex((attempt) => attempt.requestId);
    expect(withRequest).to.be.at.least(0);
    const attempt = truth.history[withRequest];
    const cells = attempts[withRequest].querySelectorAll('td');
    if (attempt.httpStatus) expect(cells[2].textContent!.trim()).to.equal(String(attempt.httpStatus));
    expect(cells[3].textContent).to.contain(attempt.requestId!);
    expect(section.textContent).to.contain('What to do');
    expect(section.textContent).to.contain(truth.error!.hint.slice(0, 40));
    await expect(element).to.be.accessible();

    const copied: string[] = [];
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText: async (value: string) => void copied.push(value) } });
    try {
      const copy = cells[3].querySelector<HTMLButtonElement>('button')!;
      expect(copy.getAttribute('aria-label')).to.equal('Copy Graph request-id');
      copy.click();
      await waitUntil(() => copied.length === 1);
      expect(copied).to.deep.equal([attempt.requestId]);
      await waitUntil(() => shadow(element).querySelector('[part="notice"]')!.textContent === 'Copied.');
    } finally {
      delete (navigator as unknown as Record<string, unknown>).clipboard;
    }
    button(element, 'Close details').click();
    await waitUntil(() => detail(element) === null);
  });

  it('fires a cancelable gm-retry before queuing a failed message again, then shows the new status', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('9', { status: 'failed', error: { code: 'X', message: 'm', hint: 'h' } })] });
    const element = await mount(adapter);
    rows(element)[0].click();
    await waitUntil(() => hasButton(element, 'Send again'));
    const retried: string[] = [];
    const original = adapter.retryLogEntry.bind(adapter);
    adapter.retryLogEntry = (id, signal) => {
      retried.push(id);
      return original(id, signal);
    };
    element.addEventListener('gm-retry', (event) => event.preventDefault(), { once: true });
    button(element, 'Send again').click();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(retried).to.deep.equal([]);
    const fired = oneEvent(element, 'gm-retry');
    button(element, 'Send again').click();
    const event = await fired;
    expect(event.detail).to.deep.equal({ id: '9', status: 'failed' });
    expect(event.cancelable).to.equal(true);
    await waitUntil(() => retried.length === 1);
    expect(retried).to.deep.equal(['9']);
    await waitUntil(() => text(element).includes('The message is queued again.'));
    // The row and the counts follow (the backend's live feed reports the new status).
    await waitUntil(() => rows(element)[0].querySelector('[part="status"]')!.textContent!.trim() !== 'Failed');
    expect(button(element, /^Failed/).textContent!.trim()).to.equal('Failed (0)');
  });

  it('asks before sending an unknown message again, since it may have been delivered', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('5', { status: 'unknown', error: { code: 'Timeout', message: 't', hint: 'h' } })] });
    const element = await mount(adapter);
    let retried = 0;
    adapter.retryLogEntry = async () => {
      retried += 1;
    };
    let events = 0;
    element.addEventListener('gm-retry', () => (events += 1));
    rows(element)[0].click();
    await waitUntil(() => hasButton(element, 'Send again'));
    button(element, 'Send again').click();
    await waitUntil(() => shadow(element).querySelector('.confirm'));
    expect(retried).to.equal(0);
    expect(events).to.equal(0);
    expect(shadow(element).querySelector('.confirm')!.textContent).to.contain('deliver it twice');
    expect(shadow(element).activeElement!.textContent!.trim()).to.equal('Send again');
    await expect(element).to.be.accessible();
    button(element, 'Cancel').click();
    await waitUntil(() => shadow(element).querySelector('.confirm') === null);
    expect(retried).to.equal(0);
    button(element, 'Send again').click();
    await waitUntil(() => shadow(element).querySelector('.confirm'));
    button(element, 'Send again').click();
    await waitUntil(() => retried === 1);
    expect(events).to.equal(1);
  });

  it('exports the filtered log as CSV through the adapter, after a cancelable gm-export', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('1'), entry('2', { status: 'failed', subject: 'Broken one' })] });
    const element = await mount(adapter);
    const downloads: HTMLAnchorElement[] = [];
    shadow(element).addEventListener('click', (event) => {
      const target = event.target as HTMLElement;
      if (target instanceof HTMLAnchorElement) {
        event.preventDefault();
        downloads.push(target);
      }
    });
    button(element, /^Failed/).click();
    await loaded(element);
    element.addEventListener('gm-export', (event) => event.preventDefault(), { once: true });
    button(element, 'Export CSV').click();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(downloads).to.have.length(0);
    const fired = oneEvent(element, 'gm-export');
    button(element, 'Export CSV').click();
    expect((await fired).detail.query).to.deep.equal({ status: 'failed' });
    await waitUntil(() => downloads.length === 1);
    expect(downloads[0].download).to.match(/^notification-log-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(downloads[0].href).to.match(/^blob:/);
    const csv = await (await fetch(downloads[0].href)).text();
    expect(csv).to.contain('Broken one');
    expect(csv).not.to.contain('Subject 1');
  });

  it('renders hostile text as inert text, cut to a readable length with the full text on hover', async () => {
    const hostile = `<img src=x onerror="window.__pwned=1">${'A'.repeat(1_000_000)}`;
    const element = await mount(
      new MemoryAdapter({
        logRows: [
          entry('1', {
            subject: hostile,
            to: ['"><script>window.__pwned=1</script>@evil.test'],
            status: 'failed',
            error: { code: '<b>Bad</b>', message: '<iframe src="javascript:window.__pwned=1"></iframe>', hint: '<svg onload=window.__pwned=1>' },
          }),
        ],
      }),
    );
    const root = shadow(element);
    expect(root.querySelector('img, script, iframe, b, .row svg')).to.equal(null);
    expect((window as unknown as { __pwned?: number }).__pwned).to.equal(undefined);
    const cells = rows(element)[0].querySelectorAll<HTMLElement>('[role="cell"]');
    expect(cells[2].textContent!.length).to.be.lessThan(400);
    expect(cells[2].textContent).to.contain('<img src=x');
    expect(cells[2].title.startsWith('<img src=x onerror=')).to.equal(true);
    expect(cells[2].title.length).to.be.at.most(1000);
    expect(cells[1].textContent).to.contain('<script>');
    rows(element)[0].click();
    await waitUntil(() => detail(element)?.textContent?.includes('<iframe'));
    expect(root.querySelector('img, script, iframe, b, .detail svg')).to.equal(null);
    expect(detail(element)!.textContent).to.contain('<svg onload=');
    expect(detail(element)!.textContent!.length).to.be.lessThan(20_000);
  });

  it('neutralises bidirectional overrides, and shows the exact time on hover', async () => {
    const element = await mount(new MemoryAdapter({ logRows: [entry('1', { subject: 'invoice\u202Efdp.exe' })] }));
    const cells = rows(element)[0].querySelectorAll<HTMLElement>('[role="cell"]');
    expect(cells[2].textContent).not.to.contain('\u202E');
    expect(cells[2].textContent).to.contain('invoice\uFFFDfdp.exe');
    expect(cells[2].title).not.to.contain('\u202E');
    expect(cells[0].title).to.contain('2026');
    expect(cells[0].title.length).to.be.greaterThan(cells[0].textContent!.trim().length);
  });

  it('draws sent and failed per day with a text alternative', async () => {
    const day1 = '2026-11-20T10:00:00.000Z';
    const day2 = '2026-11-21T10:00:00.000Z';
    const element = await mount(
      new MemoryAdapter({ logRows: [entry('1', { createdAt: day1 }), entry('2', { createdAt: day1, status: 'failed' }), entry('3', { createdAt: day2 })] }),
    );
    const chart = shadow(element).querySelector('svg[role="img"]')!;
    expect(chart.querySelectorAll('rect.sent')).to.have.length(2);
    expect(chart.getAttribute('aria-label')).to.contain('1 sent, 1 failed');
    expect(chart.getAttribute('aria-label')).to.contain('1 sent, 0 failed');
    await expect(element).to.be.accessible();
  });

  it('shows an error state with a way to try again when the server does not answer', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('1')] });
    adapter.failNext('queryLog', 'network');
    const element = await mount(adapter);
    expect(text(element)).to.contain('The notification log could not be loaded: the server could not be reached.');
    await expect(element).to.be.accessible();
    button(element, 'Try again').click();
    await waitUntil(() => rows(element).length === 1);
  });

  it('adds a live row at the top when the list fits, and updates counts', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('1')] });
    const element = await mount(adapter);
    adapter.pushLog({ subject: 'Live one', status: 'queued' });
    await waitUntil(() => rows(element).length === 2);
    expect(rows(element)[0].textContent).to.contain('Live one');
    expect(button(element, /^Queued/).textContent!.trim()).to.equal('Queued (1)');
    expect(hasButton(element, /new/)).to.equal(false);
  });

  it('keeps the rows in view still when live rows arrive above them, and offers "n new"', async () => {
    const adapter = new MemoryAdapter({ logRows: 200, seed: 5 });
    const element = await mount(adapter, 200);
    await scrollTo(element, 20 * rows(element)[0].offsetHeight);
    const before = rowAtTop(element)!.dataset.id;
    const pushed = [adapter.pushLog({ subject: 'Live one' }), adapter.pushLog({ subject: 'Live two' })];
    await waitUntil(() => hasButton(element, /2 new/), 'no notice');
    await frame();
    expect(rowAtTop(element)!.dataset.id).to.equal(before);
    button(element, /2 new/).click();
    await waitUntil(() => focusedRow(element)?.dataset.index === '0');
    expect(body(element).scrollTop).to.equal(0);
    // Both arrived within a millisecond or two; the id breaks a tie, as in the server's order.
    expect(rows(element).slice(0, 2).map((row) => row.dataset.id)).to.have.members(pushed.map((entry) => entry.id));
    expect(hasButton(element, /new/)).to.equal(false);
    await expect(element).to.be.accessible();
  });

  it('ignores live rows the filters exclude', async () => {
    const adapter = new MemoryAdapter({ logRows: [entry('1', { status: 'failed' })] });
    const element = await mount(adapter);
    button(element, /^Failed/).click();
    await loaded(element);
    adapter.pushLog({ subject: 'Queued elsewhere', status: 'queued' });
    adapter.pushLog({ subject: 'Another failure', status: 'failed' });
    await waitUntil(() => rows(element).length === 2);
    expect(text(element)).not.to.contain('Queued elsewhere');
  });

  it('speaks German when the page does: text, dates and numbers', async () => {
    await import('../../../src/locales/de/notification-log.js');
    const wrapper = await fixture(html`<div lang="de"><notification-log .adapter=${new MemoryAdapter({ logRows: 0 })}></notification-log></div>`);
    const element = wrapper.querySelector('notification-log')!;
    await loaded(element);
    expect(text(element)).to.contain('Es wurde noch keine Nachricht gesendet.');
    expect(hasButton(element, /^Fehlgeschlagen \(0\)$/)).to.equal(true);
    await expect(element).to.be.accessible();

    const full = await fixture(
      html`<div lang="de"><notification-log .adapter=${new MemoryAdapter({ logRows: [entry('1'), ...Array.from({ length: 1233 }, (_, i) => entry(`x${i + 100}`))] })}></notification-log></div>`,
    );
    const log = full.querySelector('notification-log')!;
    await loaded(log);
    expect(button(log, /^Alle/).textContent!.trim()).to.equal('Alle (1.234)');
    const cells = rows(log)[0].querySelectorAll('[role="cell"]');
    expect(cells[0].textContent!.trim()).to.match(/^\d{2}\.\d{2}\.\d{2}, \d{2}:\d{2}:\d{2}$/);
    expect(text(log)).to.contain('100 von 1.234 Nachrichten');
    expect(shadow(log).querySelector('[role="table"]')!.getAttribute('aria-label')).to.equal('Benachrichtigungsprotokoll');
  });
});
