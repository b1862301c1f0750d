/**
 * The MemoryAdapter in Chromium: the shared contract checks, then what only the fake has (scenarios,
 * failure knobs, latency, the seeded log, the live feed). Also HttpAdapter.fromElement, which needs a DOM.
 */
import { expect, fixture, html } from '@open-wc/testing';
import type { LogChange } from '../../../src/services/contract.js';
import { HttpAdapter } from '../../../src/services/http-adapter.js';
import { HOSTILE_SUBJECTS } from '../../../src/services/memory-log.js';
import { MemoryAdapter, SAMPLE_CONFIG, type MemoryAdapterOptions } from '../../../src/services/memory-adapter.js';
import { AbortedError, BackendError, NetworkError, RateLimitedError, UnauthorizedError, UpstreamFailure, ValidationProblem } from '../../../src/services/errors.js';
import { CONTRACT_CHECKS } from '../../node/services/adapter-contract-checks.js';

const made: MemoryAdapter[] = [];
const memory = (options?: MemoryAdapterOptions) => {
  const adapter = new MemoryAdapter(options);
  made.push(adapter);
  return adapter;
};

afterEach(() => {
  for (const adapter of made.splice(0)) adapter.dispose();
});

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('MemoryAdapter: the shared contract checks', () => {
  for (const check of CONTRACT_CHECKS) {
    it(check.name, async () => {
      await check.run(async (options) => memory(options));
    });
  }
});

describe('MemoryAdapter: seeded log', () => {
  it('generates 100,000 rows that page, filter and count like the server', async function () {
    this.timeout(30_000);
    const adapter = memory({ logRows: 100_000 });
    const first = await adapter.queryLog({ limit: 200 });
    expect(first.items).to.have.length(200);
    const total = Object.values(first.counts).reduce((a, b) => a + b, 0);
    expect(total).to.equal(100_000);
    expect(first.counts.sent).to.be.greaterThan(first.counts.failed);
    expect(first.counts.failed).to.be.greaterThan(0);
    expect(first.counts.unknown).to.be.greaterThan(0);
    const second = await adapter.queryLog({ limit: 200, cursor: first.nextCursor! });
    expect(second.items[0].createdAt <= first.items[199].createdAt).to.equal(true);
    expect(second.items.map((e) => e.id)).to.not.include.members(first.items.map((e) => e.id));
    const failed = await adapter.queryLog({ status: 'failed', limit: 20 });
    expect(failed.items.every((e) => e.status === 'failed' && e.error?.code && e.error.hint)).to.equal(true);
    expect(failed.counts).to.deep.equal(first.counts);
    const guests = await adapter.queryLog({ q: '#EXT#' });
    expect(guests.items.length).to.be.greaterThan(0);
    expect(guests.items.every((e) => e.to.some((t) => t.toLowerCase().includes('#ext#')))).to.equal(true);
  });

  it('is the same for the same seed and carries hostile text', async () => {
    const a = await memory({ logRows: 2000, seed: 7 }).queryLog({ limit: 200 });
    const b = await memory({ logRows: 2000, seed: 7 }).queryLog({ limit: 200 });
    expect(a.items.map((e) => [e.id, e.subject])).to.deep.equal(b.items.map((e) => [e.id, e.subject]));
    const all = memory({ logRows: 2000, seed: 7 });
    let found = 0;
    for (const subject of HOSTILE_SUBJECTS.slice(0, 3)) found += (await all.queryLog({ q: subject.slice(0, 12) })).items.length;
    expect(found).to.be.greaterThan(0);
  });

  it('returns copies: changing a result changes nothing inside', async () => {
    const adapter = memory({ logRows: 5 });
    const page = await adapter.queryLog({});
    page.items[0].subject = 'changed';
    expect((await adapter.queryLog({})).items[0].subject).to.not.equal('changed');
    const view = await adapter.getConfig();
    view.endpoints.graphEndpoint = 'https://evil.example';
    expect((await adapter.getConfig()).endpoints.graphEndpoint).to.equal('https://graph.microsoft.com/v1.0');
  });

  it('makes the CSV as a text/csv Blob and offers no plain link', async () => {
    const adapter = memory({ logRows: 30 });
    const blob = await adapter.downloadLogCsv({});
    expect(blob.type).to.match(/^text\/csv/);
    const lines = (await blob.text()).trim().split('\r\n');
    expect(lines).to.have.length(31);
    expect(adapter.logCsvUrl({})).to.equal(null);
  });

  it('pushLog adds a row now and tells subscribers; unsubscribe stops the feed', async () => {
    const adapter = memory();
    const seen: LogChange[] = [];
    const stop = adapter.subscribeLog((change) => seen.push(change));
    const entry = adapter.pushLog({ subject: '<b>pushed</b>', to: ['x@contoso.com'], status: 'sent', attempts: 1 });
    await Promise.resolve();
    expect(seen.map((c) => c.entry.id)).to.deep.equal([entry.id]);
    expect((await adapter.queryLog({})).items[0].subject).to.equal('<b>pushed</b>');
    stop();
    adapter.pushLog();
    await Promise.resolve();
    expect(seen).to.have.length(1);
  });

  it('liveEveryMs sends new messages while someone listens', async () => {
    const adapter = memory({ liveEveryMs: 20, scenario: { sendDelayMs: 5 } });
    // Messages arrive every 20 ms and may overlap on a busy machine: follow the first one only.
    const statuses = await new Promise<string[]>((resolve) => {
      const values: string[] = [];
      let first: string | undefined;
      const stop = adapter.subscribeLog(({ entry }) => {
        first ??= entry.id;
        if (entry.id !== first) return;
        values.push(entry.status);
        if (entry.status === 'sent') {
          stop();
          resolve(values);
        }
      });
    });
    expect(statuses.slice(0, 3)).to.deep.equal(['queued', 'sending', 'sent']);
  });

  it('a retried message can end failed or unknown, as the scenario says', async () => {
    const adapter = memory({ logRows: 200, scenario: { sendDelayMs: 1, sendOutcome: 'unknown' } });
    const [target] = (await adapter.queryLog({ status: 'failed', limit: 1 })).items;
    const done = new Promise<void>((resolve) => adapter.subscribeLog(({ entry }) => entry.id === target.id && entry.status === 'unknown' && resolve()));
    await adapter.retryLogEntry(target.id);
    await done;
    const detail = await adapter.getLogEntry(target.id);
    expect(detail.status).to.equal('unknown');
    expect(detail.history.at(-1)?.outcome).to.equal('unknown');
    expect(detail.history).to.have.length(detail.attempts);
  });
});

describe('MemoryAdapter: knobs and scenarios', () => {
  it('failNext rejects the next call of that method once, in order, with shorthands or an Error', async () => {
    const adapter = memory();
    adapter.failNext('getConfig', 'network');
    adapter.failNext('getConfig', 'forbidden');
    adapter.failNext('saveConfig', new RangeError('custom'));
    adapter.failNext('test', 'rate-limited');
    adapter.failNext('queryLog', 'upstream');
    expect(await failure(adapter.getConfig())).to.be.instanceOf(NetworkError);
    const forbidden = await failure(adapter.getConfig());
    expect(forbidden).to.be.instanceOf(UnauthorizedError);
    expect((forbidden as UnauthorizedError).status).to.equal(403);
    expect((await adapter.getConfig()).mode).to.equal('delegated');
    expect(await failure(adapter.saveConfig(SAMPLE_CONFIG))).to.be.instanceOf(RangeError);
    expect((await failure(adapter.test({ to: 'a@contoso.com' })) as RateLimitedError).retryAfterSeconds).to.equal(60);
    const upstream = (await failure(adapter.queryLog({}))) as UpstreamFailure;
    expect(upstream).to.be.instanceOf(UpstreamFailure);
    expect(upstream.code).to.equal('AADSTS7000215');
  });

  it('latencyMs delays every call, and an abort during the wait rejects at once', async () => {
    const adapter = memory({ latencyMs: 10_000 });
    const controller = new AbortController();
    const call = adapter.getClouds(controller.signal);
    controller.abort();
    expect(await failure(call)).to.be.instanceOf(AbortedError);
    adapter.latencyMs = 1;
    expect(await adapter.getClouds()).to.have.length(4);
  });

  it('a sign-in is pending until its delay has passed', async () => {
    const adapter = memory({ config: SAMPLE_CONFIG, scenario: { connect: { delayMs: 60_000 } } });
    const start = await adapter.beginConnect({ mode: 'popup' });
    expect(start.authorizeUrl).to.equal('about:blank');
    expect(await adapter.connectStatus(start.state)).to.deep.equal({ state: 'pending' });
    adapter.scenario = { connect: { delayMs: 0, account: 'later@contoso.com' } };
    expect(await adapter.connectStatus(start.state)).to.deep.equal({ state: 'connected', account: 'later@contoso.com' });
  });

  it('authorizeUrl lets a story choose the sign-in page; redirect mode returns to returnTo by default', async () => {
    const custom = memory({ config: SAMPLE_CONFIG, authorizeUrl: ({ state }) => `/signin.html?state=${state}` });
    const start = await custom.beginConnect({ mode: 'popup' });
    expect(start.authorizeUrl).to.equal(`/signin.html?state=${start.state}`);
    const plain = memory({ config: SAMPLE_CONFIG });
    expect((await plain.beginConnect({ mode: 'redirect', returnTo: '/admin?x=1' })).authorizeUrl).to.equal('/admin?x=1');
  });

  it('loseConnection moves to needs-reconnect, which unlocks the settings and fails the token step', async () => {
    const adapter = memory({ connected: true });
    adapter.loseConnection();
    const view = await adapter.getConfig();
    expect(view.connection.state).to.equal('needs-reconnect');
    expect(view.connection.reason).to.match(/invalid_grant/);
    expect(view.locked).to.equal(false);
    const report = await adapter.test({ to: 'a@contoso.com' });
    expect(report.steps.find((s) => s.id === 'token')?.status).to.equal('failed');
  });

  it('acceptedSecret: a saved secret other than the real one fails the token step as the identity platform would', async () => {
    const adapter = memory({ connected: true, scenario: { acceptedSecret: 'The~Real.Secret.Value.0001' } });
    let report = await adapter.test({ to: 'a@contoso.com' });
    expect(report.steps.find((s) => s.id === 'token')?.error?.code).to.equal('AADSTS7000215');
    const { clientSecret: _omit, ...rest } = SAMPLE_CONFIG;
    await adapter.saveConfig({ ...rest, clientSecret: 'The~Real.Secret.Value.0001' });
    report = await adapter.test({ to: 'a@contoso.com' });
    expect(report.ok).to.equal(true);
  });

  it('an expired secret date fails the token step with AADSTS7000222', async () => {
    const adapter = memory({ config: { ...SAMPLE_CONFIG, secretExpiresAt: '2020-01-01' }, connected: true });
    const report = await adapter.test({ to: 'a@contoso.com' });
    expect(report.steps.find((s) => s.id === 'token')?.error?.code).to.equal('AADSTS7000222');
  });

  it('testPerMinute answers 429 with Retry-After once the limit is reached', async () => {
    const adapter = memory({ connected: true, testPerMinute: 2 });
    await adapter.test({ to: 'a@contoso.com' });
    await adapter.test({ to: 'a@contoso.com' });
    const error = (await failure(adapter.test({ to: 'a@contoso.com' }))) as RateLimitedError;
    expect(error).to.be.instanceOf(RateLimitedError);
    expect(error.retryAfterSeconds).to.be.within(1, 60);
  });

  it('a test records a row with source "test" in the log', async () => {
    const adapter = memory({ connected: true });
    await adapter.test({ to: 'probe@contoso.com', subject: 'Probe' });
    const [row] = (await adapter.queryLog({})).items;
    expect([row.source, row.status, row.subject, row.to]).to.deep.equal(['test', 'sent', 'Probe', ['probe@contoso.com']]);
  });

  it('application mode with a certificate: a fingerprint hint, no sign-in, the application permissions', async () => {
    const pem = (label: string) => `-----BEGIN ${label}-----\nMIIBszCCAVmgAwIBAgIUQk9PTEVBTg==\n-----END ${label}-----`;
    const adapter = memory({
      config: { ...SAMPLE_CONFIG, mode: 'application', credential: 'certificate', clientSecret: undefined, certificate: { certificatePem: pem('CERTIFICATE'), privateKeyPem: pem('PRIVATE KEY') } },
    });
    const view = await adapter.getConfig();
    expect(view.secret).to.include({ set: true, kind: 'certificate' });
    expect(view.secret.hint).to.match(/^#[0-9a-f]{8}$/);
    expect(JSON.stringify(view)).to.not.include('MIIBszCC');
    const report = await adapter.test({ to: 'a@contoso.com' });
    expect(report.ok).to.equal(true);
    expect(report.permissions?.required).to.deep.equal(['Mail.Send', 'Mail.ReadWrite', 'User.Read.All']);
  });

  it('offers the sandbox cloud only with a sandbox origin', async () => {
    const adapter = memory({ sandboxOrigin: 'http://127.0.0.1:8788' });
    const clouds = await adapter.getClouds();
    expect(clouds.at(-1)).to.deep.equal({ id: 'sandbox', label: 'Sandbox (offline)', loginHost: '127.0.0.1:8788', graphHost: '127.0.0.1:8788' });
    const saved = await adapter.saveConfig({ ...SAMPLE_CONFIG, cloud: 'sandbox' });
    expect(saved.endpoints.tokenEndpoint).to.equal('http://127.0.0.1:8788/{TenantId}/oauth2/v2.0/token');
    const error = (await failure(memory().saveConfig({ ...SAMPLE_CONFIG, cloud: 'sandbox' }))) as ValidationProblem;
    expect(error.errors.map((e) => e.path)).to.deep.equal(['cloud']);
  });

  it('refuses a seeded config that does not validate, naming the field', () => {
    expect(() => new MemoryAdapter({ config: { ...SAMPLE_CONFIG, clientId: 'nope' } })).to.throw(/clientId/);
  });

  it('a missing log entry is a 404 BackendError', async () => {
    const error = (await failure(memory().retryLogEntry('nope'))) as BackendError;
    expect(error.status).to.equal(404);
  });
});

describe('HttpAdapter.fromElement', () => {
  type Seen = { url: string; headers: Headers };
  const recorder = () => {
    const seen: Seen[] = [];
    const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      seen.push({ url: String(input), headers: new Headers(init?.headers) });
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    };
    return { seen, fetch: fetch as typeof globalThis.fetch };
  };

  it('uses the defaults without attributes', async () => {
    const el = await fixture(html`<div></div>`);
    const { seen, fetch } = recorder();
    await HttpAdapter.fromElement(el, { fetch }).disconnect();
    expect(seen[0].url).to.equal('/api/mail/disconnect');
    expect(seen[0].headers.get('X-Requested-With')).to.equal('graph-mail');
    expect(HttpAdapter.fromElement(el).callbackOrigin).to.equal(location.origin);
  });

  it('reads api-base, csrf-header and csrf-token from the nearest ancestor that has each, across shadow roots', async () => {
    const outer = await fixture(html`<section api-base="https://mail.example.test/base/" csrf-header="X-Outer"><div csrf-token="inner-token"><span id="host"></span></div></section>`);
    const host = outer.querySelector('#host')!;
    const inner = host.attachShadow({ mode: 'open' });
    inner.innerHTML = '<p><b></b></p>';
    const target = inner.querySelector('b')!;
    const { seen, fetch } = recorder();
    const adapter = HttpAdapter.fromElement(target, { fetch });
    await adapter.saveConfig(SAMPLE_CONFIG);
    expect(seen[0].url).to.equal('https://mail.example.test/base/config');
    expect(seen[0].headers.get('X-Outer')).to.equal('inner-token');
    expect(adapter.callbackOrigin).to.equal('https://mail.example.test');
  });

  it('sends ASP.NET\'s __RequestVerificationToken of the enclosing form as RequestVerificationToken, read at each request', async () => {
    const form = await fixture<HTMLFormElement>(html`<form><input type="hidden" name="__RequestVerificationToken" value="aspnet-1" /><div api-base="/App/api/mail"><i></i></div></form>`);
    const { seen, fetch } = recorder();
    const adapter = HttpAdapter.fromElement(form.querySelector('i')!, { fetch });
    await adapter.disconnect();
    form.querySelector('input')!.value = 'aspnet-2';
    await adapter.retryLogEntry('x');
    expect(seen.map((s) => [s.url, s.headers.get('RequestVerificationToken'), s.headers.get('X-Requested-With')])).to.deep.equal([
      ['/App/api/mail/disconnect', 'aspnet-1', null],
      ['/App/api/mail/log/x/retry', 'aspnet-2', null],
    ]);
  });

  it('an explicit csrf-token wins over the ASP.NET field; options win over attributes', async () => {
    const form = await fixture<HTMLFormElement>(html`<form><input type="hidden" name="__RequestVerificationToken" value="aspnet" /><div csrf-token="explicit"><i></i></div></form>`);
    const { seen, fetch } = recorder();
    await HttpAdapter.fromElement(form.querySelector('i')!, { fetch }).disconnect();
    await HttpAdapter.fromElement(form.querySelector('i')!, { fetch, baseUrl: '/other', csrfHeader: 'X-Mine' }).disconnect();
    expect(seen[0].headers.get('X-Requested-With')).to.equal('explicit');
    expect(seen[0].headers.get('RequestVerificationToken')).to.equal(null);
    expect([seen[1].url, seen[1].headers.get('X-Mine')]).to.deep.equal(['/other/disconnect', 'explicit']);
  });
});

describe('HttpAdapter live feed in the browser', () => {
  const Original = window.EventSource;
  afterEach(() => {
    window.EventSource = Original;
  });

  it('uses EventSource when cookies authenticate, delivers `log` events, and closes on unsubscribe', () => {
    const made: Array<{ url: string; withCredentials: boolean; closed: boolean; target: EventTarget }> = [];
    class RecordingEventSource extends EventTarget {
      readonly record: (typeof made)[number];
      constructor(url: string, init?: EventSourceInit) {
        super();
        this.record = { url, withCredentials: !!init?.withCredentials, closed: false, target: this };
        made.push(this.record);
      }
      close() {
        this.record.closed = true;
      }
    }
    window.EventSource = RecordingEventSource as unknown as typeof EventSource;
    const changes: LogChange[] = [];
    const stop = new HttpAdapter({ baseUrl: '/api/mail', credentials: 'include' }).subscribeLog((change) => changes.push(change));
    expect(made.map((m) => [m.url, m.withCredentials])).to.deep.equal([['/api/mail/log/stream', true]]);
    made[0].target.dispatchEvent(new MessageEvent('log', { data: '{"id":"a","status":"sent"}' }));
    made[0].target.dispatchEvent(new MessageEvent('warning', { data: '{"code":"W"}' }));
    made[0].target.dispatchEvent(new MessageEvent('log', { data: 'not json' }));
    expect(changes.map((c) => c.entry.id)).to.deep.equal(['a']);
    stop();
    expect(made[0].closed).to.equal(true);
  });
});
