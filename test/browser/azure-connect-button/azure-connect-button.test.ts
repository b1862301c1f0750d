import { expect, fixture, html, waitUntil, aTimeout } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { AzureConnectButton, CONNECT_STORAGE_KEY } from '../../../src/components/azure-connect-button/azure-connect-button.js';
import { NetworkError } from '../../../src/services/errors.js';
import { CALLBACK_ORIGIN, FakeAdapter, connectedView, emptyView, readyView } from './fake-adapter.js';

AzureConnectButton.define();

interface FakePopup {
  closed: boolean;
  closeCalls: number;
  close(): void;
}

const realOpen = window.open;
let opened: { url: string; name: string; features: string }[] = [];
let popup: FakePopup | null;

function stubOpen(result: 'popup' | 'blocked' | 'closed-looking' = 'popup'): void {
  popup = result === 'blocked' ? null : { closed: result === 'closed-looking', closeCalls: 0, close() { this.closeCalls += 1; } };
  window.open = ((url: string, name: string, features: string) => {
    opened.push({ url, name, features });
    return popup as unknown as Window;
  }) as typeof window.open;
}

/** Counts events of a type fired on an element. */
function counter(el: EventTarget, type: string): { count: number; events: CustomEvent[] } {
  const record = { count: 0, events: [] as CustomEvent[] };
  el.addEventListener(type, (e) => {
    record.count += 1;
    record.events.push(e as CustomEvent);
  });
  return record;
}

async function mount(adapter: FakeAdapter, options: { poll?: number; timeout?: number; standalone?: boolean } = {}) {
  const el = await fixture<AzureConnectButton>(html`<azure-connect-button
    .adapter=${adapter}
    .config=${options.standalone ? undefined : adapter.view}
    .pollInterval=${options.poll ?? 20}
    .timeout=${options.timeout ?? 5000}
  ></azure-connect-button>`);
  await el.updateComplete;
  return el;
}

const mainButton = (el: AzureConnectButton) => el.shadowRoot!.querySelector<HTMLButtonElement>('[part~="button"]')!;
const text = (el: AzureConnectButton) => el.shadowRoot!.textContent!.replace(/\s+/g, ' ');

async function startConnect(el: AzureConnectButton, adapter: FakeAdapter): Promise<string> {
  mainButton(el).click();
  await waitUntil(() => adapter.count('beginConnect') > 0 && (opened.length > 0 || adapter.count('beginConnect') > 1), 'connect did not start');
  await waitUntil(() => sessionStorage.getItem(CONNECT_STORAGE_KEY), 'state not remembered');
  return JSON.parse(sessionStorage.getItem(CONNECT_STORAGE_KEY)!).state as string;
}

describe('<azure-connect-button>', () => {
  beforeEach(() => {
    sessionStorage.clear();
    opened = [];
    stubOpen();
  });
  afterEach(() => {
    window.open = realOpen;
    sessionStorage.clear();
  });

  it('is disabled with a visible reason while the saved settings are incomplete', async () => {
    const adapter = new FakeAdapter(emptyView());
    const el = await mount(adapter);
    const connected = counter(el, 'gm-connect');
    const button = mainButton(el);
    expect(button.textContent!.trim()).to.equal('Connect Azure Email');
    expect(button.getAttribute('aria-disabled')).to.equal('true');
    const reason = el.shadowRoot!.getElementById(button.getAttribute('aria-describedby')!)!;
    expect(reason.textContent).to.contain('Save the Tenant ID');
    button.click();
    await aTimeout(30);
    expect(adapter.count('beginConnect')).to.equal(0);
    expect(connected.count).to.equal(0);
    await expect(el).to.be.accessible();
  });

  it('says to save first when the host has unsaved changes, and that application mode needs no sign-in', async () => {
    const adapter = new FakeAdapter(readyView());
    const el = await mount(adapter);
    el.pendingChanges = true;
    await el.updateComplete;
    expect(text(el)).to.contain('Save your changes first');
    el.pendingChanges = false;
    el.config = readyView({ mode: 'application' });
    await el.updateComplete;
    expect(mainButton(el).getAttribute('aria-disabled')).to.equal('true');
    expect(text(el)).to.contain('needs no sign-in');
  });

  it('loads the configuration itself when used on its own', async () => {
    const adapter = new FakeAdapter(connectedView('ops@contoso.com'));
    const el = await mount(adapter, { standalone: true });
    await waitUntil(() => text(el).includes('Connected to ops@contoso.com'));
    expect(adapter.count('getConfig')).to.equal(1);
    expect(mainButton(el).textContent!.trim()).to.equal('Disconnect Azure Email');
  });

  it('shows an error with Retry when the server cannot be reached, without throwing', async () => {
    const adapter = new FakeAdapter(readyView());
    adapter.failNext.getConfig = new NetworkError('down');
    const el = await mount(adapter, { standalone: true });
    await waitUntil(() => el.shadowRoot!.querySelector('[role="alert"]'));
    await expect(el).to.be.accessible();
    mainButton(el).click();
    await waitUntil(() => text(el).includes('Connect Azure Email'));
    expect(adapter.count('getConfig')).to.equal(2);
  });

  it('connects through a popup and status polling alone', async () => {
    const adapter = new FakeAdapter(readyView());
    const el = await mount(adapter, { poll: 20 });
    const connect = counter(el, 'gm-connect');
    const connectedEvents = counter(el, 'gm-connected');
    const state = await startConnect(el, adapter);
    expect(opened).to.have.length(1);
    expect(opened[0].name).to.equal('graph-mail-connect');
    expect(opened[0].features).to.equal('popup,width=520,height=680');
    expect(adapter.calls.find((c) => c.method === 'beginConnect')!.args[0]).to.deep.equal({ mode: 'popup' });
    expect(el.status).to.equal('connecting');
    expect(el.shadowRoot!.querySelector('progress')).to.exist;
    await expect(el).to.be.accessible();
    await waitUntil(() => adapter.count('connectStatus') >= 2, 'no polling');
    expect(adapter.calls.filter((c) => c.method === 'connectStatus').every((c) => c.args[0] === state)).to.be.true;
    adapter.status = { state: 'connected', account: 'user@contoso.com' };
    await waitUntil(() => el.status === 'connected', 'did not connect');
    expect(text(el)).to.contain('Connected to user@contoso.com');
    expect(mainButton(el).textContent!.trim()).to.equal('Disconnect Azure Email');
    expect(connect.count).to.equal(1);
    expect(connectedEvents.count).to.equal(1);
    expect(connectedEvents.events[0].detail).to.deep.equal({ account: 'user@contoso.com' });
    expect(connectedEvents.events[0].bubbles && connectedEvents.events[0].composed).to.be.true;
    expect(popup!.closeCalls).to.equal(1);
    expect(sessionStorage.getItem(CONNECT_STORAGE_KEY)).to.equal(null);
    const polls = adapter.count('connectStatus');
    await aTimeout(80);
    expect(adapter.count('connectStatus'), 'polling stopped').to.equal(polls);
    await expect(el).to.be.accessible();
  });

  it('gm-connect can be vetoed', async () => {
    const adapter = new FakeAdapter(readyView());
    const el = await mount(adapter);
    el.addEventListener('gm-connect', (e) => e.preventDefault());
    mainButton(el).click();
    await aTimeout(30);
    expect(adapter.count('beginConnect')).to.equal(0);
    expect(opened).to.have.length(0);
    expect(el.status).to.equal('idle');
  });

  it('a BroadcastChannel message shortens the wait, confirmed by one status call', async () => {
    const adapter = new FakeAdapter(readyView());
    const el = await mount(adapter, { poll: 60000 });
    const events = counter(el, 'gm-connected');
    const state = await startConnect(el, adapter);
    await aTimeout(20);
    expect(adapter.count('connectStatus')).to.equal(0);
    adapter.status = { state: 'connected', account: 'user@contoso.com' };
    const channel = new BroadcastChannel(state);
    channel.postMessage({ type: 'graph-mail:connect', state, ok: true, account: 'user@contoso.com' });
    channel.close();
    await waitUntil(() => el.status === 'connected', 'message did not shorten the wait');
    expect(adapter.count('connectStatus')).to.equal(1);
    expect(events.count).to.equal(1);
  });

  it('a postMessage from the callback origin shortens the wait; the message alone is not trusted', async () => {
    const adapter = new FakeAdapter(readyView());
    const el = await mount(adapter, { poll: 60000 });
    const state = await startConnect(el, adapter);
    const message = { type: 'graph-mail:connect', state, ok: true, account: 'user@contoso.com' };
    // The server still says pending: a message that claims success is not enough.
    window.dispatchEvent(new MessageEvent('message', { data: message, origin: CALLBACK_ORIGIN }));
    await waitUntil(() => adapter.count('connectStatus') === 1);
    await aTimeout(20);
    expect(el.status).to.equal('connecting');
    adapter.status = { state: 'connected', account: 'user@contoso.com' };
    window.dispatchEvent(new MessageEvent('message', { data: message, origin: CALLBACK_ORIGIN }));
    await waitUntil(() => el.status === 'connected');
    expect(adapter.count('connectStatus')).to.equal(2);
  });

  it('ignores forged messages: another origin, a wrong state, a wrong shape', async () => {
    const adapter = new FakeAdapter(readyView());
    const el = await mount(adapter, { poll: 60000 });
    const state = await startConnect(el, adapter);
    adapter.status = { state: 'connected', account: 'evil@evil.test' };
    const good = { type: 'graph-mail:connect', state, ok: true };
    window.dispatchEvent(new MessageEvent('message', { data: good, origin: 'https://evil.test' }));
    window.dispatchEvent(new MessageEvent('message', { data: { ...good, state: 'other-state' }, origin: CALLBACK_ORIGIN }));
    window.dispatchEvent(new MessageEvent('message', { data: { ...good, type: 'something-else' }, origin: CALLBACK_ORIGIN }));
    window.dispatchEvent(new MessageEvent('message', { data: 'graph-mail:connect', origin: CALLBACK_ORIGIN }));
    const wrongChannel = new BroadcastChannel('other-state');
    wrongChannel.postMessage({ ...good, state: 'other-state' });
    wrongChannel.close();
    const sameChannel = new BroadcastChannel(state);
    sameChannel.postMessage({ ...good, state: 'forged' });
    sameChannel.close();
    await aTimeout(60);
    expect(adapter.count('connectStatus')).to.equal(0);
    expect(el.status).to.equal('connecting');
    el.cancel();
  });

  it('keeps polling when the popup reads closed (COOP), and connects', async () => {
    stubOpen('closed-looking');
    const adapter = new FakeAdapter(readyView());
    const el = await mount(adapter, { poll: 15 });
    await startConnect(el, adapter);
    await waitUntil(() => adapter.count('connectStatus') >= 3);
    expect(el.status).to.equal('connecting');
    adapter.status = { state: 'connected', account: 'user@contoso.com' };
    await waitUntil(() => el.status === 'connected');
  });

  it('Cancel stops polling, closes the popup and fires no error', async () => {
    const adapter = new FakeAdapter(readyView());
    const el = await mount(adapter, { poll: 15 });
    const errors = counter(el, 'gm-connect-error');
    await startConnect(el, adapter);
    await waitUntil(() => adapter.count('connectStatus') >= 1);
    el.shadowRoot!.querySelector<HTMLButtonElement>('[part~="cancel-button"]')!.click();
    await el.updateComplete;
    expect(el.status).to.equal('idle');
    expect(popup!.closeCalls).to.equal(1);
    const polls = adapter.count('connectStatus');
    await aTimeout(60);
    expect(adapter.count('connectStatus')).to.equal(polls);
    expect(errors.count).to.equal(0);
    expect(sessionStorage.getItem(CONNECT_STORAGE_KEY)).to.equal(null);
    expect(text(el)).to.contain('Sign-in cancelled.');
  });

  it('times out with a message, Retry, and one gm-connect-error', async () => {
    const adapter = new FakeAdapter(readyView());
    const el = await mount(adapter, { poll: 15, timeout: 120 });
    const errors = counter(el, 'gm-connect-error');
    await startConnect(el, adapter);
    await waitUntil(() => el.status === 'error', 'no time-out', { timeout: 2000 });
    expect(errors.count).to.equal(1);
    const alert = el.shadowRoot!.querySelector('[role="alert"]')!;
    expect(alert.textContent).to.contain('was not finished within 1 minutes');
    expect(errors.events[0].detail.message).to.equal(alert.textContent!.trim());
    expect(popup!.closeCalls).to.equal(1);
    const polls = adapter.count('connectStatus');
    await aTimeout(50);
    expect(adapter.count('connectStatus')).to.equal(polls);
    expect(mainButton(el).textContent!.trim()).to.equal('Retry');
    await expect(el).to.be.accessible();
  });

  it('maps a failed sign-in and a network failure to messages, and Retry starts again', async () => {
    const adapter = new FakeAdapter(readyView());
    const el = await mount(adapter, { poll: 15 });
    const errors = counter(el, 'gm-connect-error');
    adapter.failNext.beginConnect = new NetworkError('offline');
    mainButton(el).click();
    await waitUntil(() => el.status === 'error');
    expect(text(el)).to.contain('The mail server could not be reached');
    adapter.status = { state: 'failed', error: 'access_denied' };
    mainButton(el).click();
    await waitUntil(() => adapter.count('beginConnect') === 2);
    await waitUntil(() => el.status === 'error');
    expect(text(el)).to.contain('consent was refused');
    expect(errors.count).to.equal(2);
    adapter.status = { state: 'failed', error: '<img src=x onerror=alert(1)>AADSTS50011 redirect mismatch' };
    mainButton(el).click();
    await waitUntil(() => adapter.count('beginConnect') === 3);
    await waitUntil(() => el.status === 'error' && text(el).includes('AADSTS50011'));
    expect(el.shadowRoot!.querySelector('img')).to.equal(null);
  });

  it('falls back to a full-page redirect when the popup is blocked, and resumes on return', async () => {
    stubOpen('blocked');
    const adapter = new FakeAdapter(readyView());
    const el = await mount(adapter, { poll: 15 });
    const navigated: string[] = [];
    (el as unknown as { navigate: (url: string) => void }).navigate = (url) => navigated.push(url);
    mainButton(el).click();
    await waitUntil(() => navigated.length === 1, 'did not redirect');
    const begins = adapter.calls.filter((c) => c.method === 'beginConnect').map((c) => c.args[0]);
    expect(begins).to.deep.equal([{ mode: 'popup' }, { mode: 'redirect', returnTo: location.pathname + location.search }]);
    expect(navigated[0]).to.contain('mode=redirect');
    const stored = sessionStorage.getItem(CONNECT_STORAGE_KEY)!;
    expect(stored).to.not.contain('code');
    expect(Object.keys(JSON.parse(stored)).sort()).to.deep.equal(['deadline', 'state']);
    // The page unloads; a new page load creates the element again.
    el.remove();
    adapter.status = { state: 'connected', account: 'user@contoso.com' };
    const fresh = document.createElement('azure-connect-button') as AzureConnectButton;
    const events = counter(fresh, 'gm-connected');
    fresh.adapter = adapter;
    fresh.config = adapter.view;
    fresh.pollInterval = 15;
    document.body.append(fresh);
    await waitUntil(() => fresh.status === 'connected', 'did not resume');
    expect(events.count).to.equal(1);
    expect(sessionStorage.getItem(CONNECT_STORAGE_KEY)).to.equal(null);
    expect(location.search).to.not.contain('code=');
    fresh.remove();
  });

  it('removing and re-adding the element neither duplicates polling nor leaks listeners', async () => {
    const adapter = new FakeAdapter(readyView());
    const el = await mount(adapter, { poll: 40, timeout: 5000 });
    const state = await startConnect(el, adapter);
    const parent = el.parentElement!;
    el.remove();
    const polls = adapter.count('connectStatus');
    await aTimeout(100);
    expect(adapter.count('connectStatus'), 'no polling while removed').to.equal(polls);
    window.dispatchEvent(new MessageEvent('message', { data: { type: 'graph-mail:connect', state, ok: true }, origin: CALLBACK_ORIGIN }));
    await aTimeout(10);
    expect(adapter.count('connectStatus'), 'no message listener while removed').to.equal(polls);
    parent.append(el);
    el.remove();
    parent.append(el);
    const before = adapter.count('connectStatus');
    await aTimeout(205);
    const during = adapter.count('connectStatus') - before;
    // One poll chain: about 205 / 40 + 1 polls, never two chains' worth.
    expect(during).to.be.within(3, 7);
    el.cancel();
  });

  it('disconnects: one gm-disconnected with the unlocked configuration', async () => {
    const adapter = new FakeAdapter(connectedView('user@contoso.com'));
    const el = await mount(adapter);
    const events = counter(el, 'gm-disconnected');
    await expect(el).to.be.accessible();
    mainButton(el).click();
    await waitUntil(() => events.count === 1);
    expect(adapter.count('disconnect')).to.equal(1);
    expect(events.events[0].detail.config.locked).to.equal(false);
    await el.updateComplete;
    expect(mainButton(el).textContent!.trim()).to.equal('Connect Azure Email');
  });

  it('shows why a reconnect is needed and offers it', async () => {
    const adapter = new FakeAdapter(
      readyView({ connection: { state: 'needs-reconnect', account: 'user@contoso.com', connectedAt: '', reason: 'The refresh token was revoked.' } }),
    );
    const el = await mount(adapter);
    expect(el.status).to.equal('needs-reconnect');
    expect(text(el)).to.contain('The refresh token was revoked.');
    expect(mainButton(el).textContent!.trim()).to.equal('Reconnect Azure Email');
    await expect(el).to.be.accessible();
  });

  it('fires nothing on programmatic changes', async () => {
    const adapter = new FakeAdapter(readyView());
    const el = await mount(adapter);
    const all = ['gm-connect', 'gm-connected', 'gm-disconnected', 'gm-connect-error'].map((type) => counter(el, type));
    el.config = connectedView();
    await el.updateComplete;
    el.config = readyView();
    el.pendingChanges = true;
    await el.updateComplete;
    await aTimeout(20);
    expect(all.map((c) => c.count)).to.deep.equal([0, 0, 0, 0]);
  });

  it('never submits an outer form, by click or Enter', async () => {
    const adapter = new FakeAdapter(readyView());
    const form = await fixture<HTMLFormElement>(html`<form>
      <azure-connect-button .adapter=${adapter} .config=${adapter.view} .pollInterval=${15}></azure-connect-button>
    </form>`);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      throw new Error('the outer form was submitted');
    });
    let submitted = 0;
    form.addEventListener('submit', () => (submitted += 1));
    const el = form.querySelector('azure-connect-button') as AzureConnectButton;
    await el.updateComplete;
    mainButton(el).focus();
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => el.status === 'connecting');
    const cancel = el.shadowRoot!.querySelector<HTMLButtonElement>('[part~="cancel-button"]')!;
    cancel.focus();
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(el.status).to.equal('idle');
    expect(submitted).to.equal(0);
  });

  it('is operable with the keyboard alone', async () => {
    const adapter = new FakeAdapter(readyView());
    const el = await mount(adapter);
    mainButton(el).focus();
    await sendKeys({ press: 'Space' });
    await waitUntil(() => el.status === 'connecting');
    expect(el.shadowRoot!.activeElement).to.exist;
    el.cancel();
  });

});

describe('azure-connect-button definition', () => {
  it('a second define() warns instead of throwing', () => {
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args);
    try {
      expect(() => AzureConnectButton.define()).to.not.throw();
      expect(() => AzureConnectButton.define('another-connect-button')).to.not.throw();
    } finally {
      console.warn = warn;
    }
    expect(customElements.get('azure-connect-button')).to.equal(AzureConnectButton);
    expect(customElements.get('another-connect-button')).to.equal(undefined);
    expect(warnings).to.have.length(1);
  });

  it('has documented defaults: a 5-minute time-out and a 1-second poll', () => {
    const el = document.createElement('azure-connect-button') as AzureConnectButton;
    expect(el.timeout).to.equal(300000);
    expect(el.pollInterval).to.equal(1000);
  });
});
