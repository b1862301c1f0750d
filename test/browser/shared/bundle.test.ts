// The one-tag bundle as a legacy page uses it: one classic <script src>, no module, no import map.
// It registers the four tags, and each element makes its HttpAdapter from attributes on itself or an
// ancestor (api-base, csrf-header, csrf-token, or ASP.NET's __RequestVerificationToken field).
// `npm test` builds dist/ before the element tests; alone, run `npm run build` first.
import { expect, waitUntil } from '@open-wc/testing';
import type { ConfigView } from '../../../src/services/contract.js';
import { defaultEndpoints } from '../../../src/services/endpoints.js';

const BUNDLE = '/dist/graph-mail-elements.bundle.js';
const TAGS = ['email-config-form', 'azure-connect-button', 'endpoint-template-editor', 'notification-log'];
/** Nothing listens there: the elements must show an error state, not throw. */
const UNREACHABLE = 'http://127.0.0.1:9/api/mail';

type Recorded = { method: string; url: string; headers: Headers; credentials?: RequestCredentials };

const readyView = (): ConfigView => ({
  mode: 'delegated',
  cloud: 'global',
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  clientId: '3aacd4f2-1c9e-4a57-9d3e-0c4f1f2a6b7d',
  credential: 'secret',
  secretExpiresAt: '',
  fromName: '',
  fromAddress: '',
  saveToSentItems: true,
  endpoints: defaultEndpoints('global'),
  secret: { set: true, hint: 'abc', expiresAt: '' },
  connection: { state: 'disconnected', account: '', connectedAt: '' },
  locked: false,
  redirectUri: 'http://127.0.0.1:8787/api/mail/connect/callback',
  etag: '"1"',
});

const json = (status: number, body: unknown, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });

describe('graph-mail-elements.bundle.js', () => {
  const recorded: Recorded[] = [];
  const pageErrors: unknown[] = [];
  const realFetch = window.fetch;
  const page = document.createElement('div');
  const onError = (event: ErrorEvent) => pageErrors.push(event.error ?? event.message);
  const onRejection = (event: PromiseRejectionEvent) => pageErrors.push(event.reason);

  before(async () => {
    const probe = await realFetch(BUNDLE, { method: 'HEAD' });
    if (!probe.ok) throw new Error(`${BUNDLE} answered ${probe.status}: run \`npm run build\` first (npm test does)`);
    window.addEventListener('error', onError);
    window.addEventListener('unhandledrejection', onRejection);
    // The bundle's adapters use the page's fetch at each call: answer the fake API paths, pass the rest on.
    window.fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url, location.href);
      if (!url.pathname.startsWith('/legacy-api/') && !url.pathname.startsWith('/other-api/')) return realFetch(input, init);
      const method = (init.method ?? 'GET').toUpperCase();
      recorded.push({ method, url: url.pathname, headers: new Headers(init.headers), credentials: init.credentials });
      if (method === 'GET' && url.pathname.endsWith('/config')) return json(200, readyView());
      return json(502, { type: 'about:blank', title: 'Upstream failure', status: 502, detail: 'The sign-in service did not answer.' }, 'application/problem+json');
    };
    // Markup first, as a server-rendered page has it; then the one script tag.
    // Not a fixture: @open-wc removes those after each test, and this page lives for the whole file.
    page.innerHTML = `
      <form id="aspnetForm" action="#" onsubmit="return false">
        <input type="hidden" name="__RequestVerificationToken" value="token-1" />
        <div api-base="/legacy-api"><azure-connect-button id="in-form"></azure-connect-button></div>
      </form>
      <div api-base="/other-api/" csrf-header="X-Csrf" csrf-token="attr-token">
        <azure-connect-button id="attributes"></azure-connect-button>
      </div>
      <email-config-form id="unreachable-form" api-base="${UNREACHABLE}"></email-config-form>
      <notification-log id="unreachable-log" api-base="${UNREACHABLE}"></notification-log>`;
    document.body.append(page);
    await new Promise<void>((resolve, reject) => {
      const script = document.createElement('script');
      script.src = BUNDLE;
      script.onload = () => resolve();
      script.onerror = () => reject(new Error(`${BUNDLE} did not load`));
      document.head.append(script);
    });
  });

  after(() => {
    page.remove();
    window.fetch = realFetch;
    window.removeEventListener('error', onError);
    window.removeEventListener('unhandledrejection', onRejection);
  });

  it('registers the four tags and exposes GraphMailElements', () => {
    for (const tag of TAGS) expect(customElements.get(tag), tag).to.be.a('function');
    const api = (window as unknown as { GraphMailElements: Record<string, unknown> }).GraphMailElements;
    expect(api.HttpAdapter).to.be.a('function');
    expect(api.registerStrings).to.be.a('function');
    expect(Object.keys(api.DEFAULT_TAGS as object).sort()).to.deep.equal([...TAGS].sort());
  });

  it('loads from api-base on an ancestor', async () => {
    await waitUntil(() => recorded.some((r) => r.url === '/legacy-api/config') && recorded.some((r) => r.url === '/other-api/config'));
    const get = recorded.find((r) => r.url === '/legacy-api/config')!;
    expect(get.method).to.equal('GET');
    expect(get.credentials).to.equal('same-origin');
  });

  it('sends the __RequestVerificationToken of the enclosing form, read at the time of the request', async () => {
    const el = document.getElementById('in-form')!;
    const connect = () => [...el.shadowRoot!.querySelectorAll('button')].find((b) => b.textContent!.trim() === 'Connect Azure Email');
    await waitUntil(() => connect() && !connect()!.disabled, 'the connect button did not become ready');
    // A partial postback replaces the token; the next request carries the new one.
    (document.querySelector('input[name="__RequestVerificationToken"]') as HTMLInputElement).value = 'token-2';
    connect()!.click();
    await waitUntil(() => recorded.some((r) => r.method === 'POST' && r.url === '/legacy-api/connect'));
    const post = recorded.find((r) => r.method === 'POST' && r.url === '/legacy-api/connect')!;
    expect(post.headers.get('RequestVerificationToken')).to.equal('token-2');
    // The failure is shown in the element, not thrown into the page.
    await waitUntil(() => el.shadowRoot!.querySelector('[role="alert"]'), 'no error shown after the 502');
  });

  it('sends csrf-header and csrf-token from attributes', async () => {
    const el = document.getElementById('attributes')!;
    const connect = () => [...el.shadowRoot!.querySelectorAll('button')].find((b) => b.textContent!.trim() === 'Connect Azure Email');
    await waitUntil(() => connect() && !connect()!.disabled, 'the connect button did not become ready');
    connect()!.click();
    await waitUntil(() => recorded.some((r) => r.method === 'POST' && r.url === '/other-api/connect'));
    const post = recorded.find((r) => r.method === 'POST' && r.url === '/other-api/connect')!;
    expect(post.headers.get('X-Csrf')).to.equal('attr-token');
    expect(post.headers.has('RequestVerificationToken')).to.be.false;
  });

  it('shows an error state when no server is reachable, and nothing throws into the page', async () => {
    const form = document.getElementById('unreachable-form')!;
    const log = document.getElementById('unreachable-log')!;
    await waitUntil(() => form.shadowRoot?.querySelector('[role="alert"]'), 'the form shows no error', { timeout: 8000 });
    expect(form.shadowRoot!.querySelector('[role="alert"]')!.textContent).to.contain('could not be loaded');
    await waitUntil(() => log.shadowRoot?.textContent?.includes('could not be loaded'), 'the log shows no error', { timeout: 8000 });
    expect(pageErrors).to.deep.equal([]);
  });

  it('takes German from dist/locales/de.js, a module loaded next to the classic script', async () => {
    const form = document.getElementById('unreachable-form')!;
    const alertText = () => form.shadowRoot!.querySelector('[role="alert"]')?.textContent ?? '';
    expect(alertText()).to.contain('could not be loaded');
    page.lang = 'de';
    // The locale file imports nothing but a small chunk of its own: no bare `lit` import to resolve.
    const locale = '/dist/locales/de.js';
    await import(/* @vite-ignore */ locale);
    await waitUntil(() => alertText().includes('konnten nicht geladen werden'), `still "${alertText()}"`);
  });
});
