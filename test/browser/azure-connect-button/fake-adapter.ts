/**
 * A scripted backend for the element tests: every call is recorded, and the connect status, failures
 * and answers are set by the test, so each connect path can be driven step by step.
 */
import type {
  CloudId,
  CloudInfo,
  ConfigInput,
  ConfigView,
  ConnectRequest,
  ConnectStart,
  ConnectStatus,
  EmailBackendAdapter,
  EndpointDefaults,
  LogEntryDetail,
  LogPage,
  TestReport,
  TestRequest,
} from '../../../src/services/contract.js';
import { defaultEndpoints } from '../../../src/services/endpoints.js';

export const CALLBACK_ORIGIN = 'https://mail-server.example.test';

export function emptyView(overrides: Partial<ConfigView> = {}): ConfigView {
  return {
    mode: 'delegated',
    cloud: 'global',
    tenantId: '',
    clientId: '',
    credential: 'secret',
    secretExpiresAt: '',
    fromName: '',
    fromAddress: '',
    saveToSentItems: true,
    endpoints: defaultEndpoints('global'),
    secret: { set: false, hint: '', expiresAt: '' },
    connection: { state: 'disconnected', account: '', connectedAt: '' },
    locked: false,
    redirectUri: 'http://127.0.0.1:8787/api/mail/connect/callback',
    etag: '"1"',
    ...overrides,
  };
}

export function readyView(overrides: Partial<ConfigView> = {}): ConfigView {
  return emptyView({
    tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    clientId: '3aacd4f2-1c9e-4a57-9d3e-0c4f1f2a6b7d',
    secret: { set: true, hint: 'abc', expiresAt: new Date(Date.now() + 200 * 86400000).toISOString() },
    ...overrides,
  });
}

export const connectedView = (account = 'admin@contoso.com', overrides: Partial<ConfigView> = {}) =>
  readyView({ connection: { state: 'connected', account, connectedAt: new Date().toISOString() }, locked: true, ...overrides });

type Call = { method: string; args: unknown[] };

const abortable = <T>(value: T | (() => T), signal?: AbortSignal): Promise<T> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DOMException('Aborted', 'AbortError'));
    queueMicrotask(() => {
      if (signal?.aborted) return reject(new DOMException('Aborted', 'AbortError'));
      try {
        resolve(typeof value === 'function' ? (value as () => T)() : value);
      } catch (error) {
        reject(error);
      }
    });
  });

export class FakeAdapter implements EmailBackendAdapter {
  readonly callbackOrigin = CALLBACK_ORIGIN;
  calls: Call[] = [];
  view: ConfigView;
  status: ConnectStatus = { state: 'pending' };
  /** Makes the next call of that method reject with this error (once). */
  failNext: Partial<Record<keyof EmailBackendAdapter, unknown>> = {};
  /** Holds `saveConfig` until released (for the "saving" state). */
  holdSave?: Promise<void>;
  testReport: TestReport = { ok: true, steps: [] };
  private counter = 0;

  constructor(view: ConfigView = emptyView()) {
    this.view = view;
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  private record(method: keyof EmailBackendAdapter, ...args: unknown[]): void {
    this.calls.push({ method, args });
    if (method in this.failNext) {
      const error = this.failNext[method];
      delete this.failNext[method];
      throw error;
    }
  }

  getConfig(signal?: AbortSignal): Promise<ConfigView> {
    return abortable(() => (this.record('getConfig'), structuredClone(this.view)), signal);
  }
  async saveConfig(input: ConfigInput, options?: { etag?: string; signal?: AbortSignal }): Promise<ConfigView> {
    this.calls.push({ method: 'saveConfig', args: [structuredClone(input), options?.etag] });
    if (this.holdSave) await this.holdSave;
    if ('saveConfig' in this.failNext) {
      const error = this.failNext.saveConfig;
      delete this.failNext.saveConfig;
      throw error;
    }
    const { clientSecret, certificate, removeSecret, ...rest } = input;
    const secret = removeSecret
      ? { set: false, hint: '', expiresAt: '' }
      : clientSecret
        ? { set: true, hint: clientSecret.slice(0, 3), expiresAt: input.secretExpiresAt ?? '' }
        : certificate
          ? { set: true, hint: 'CN=test', expiresAt: input.secretExpiresAt ?? '', kind: 'certificate' as const }
          : this.view.secret;
    this.view = {
      ...this.view,
      ...rest,
      endpoints: { ...this.view.endpoints, ...input.endpoints },
      secretExpiresAt: input.secretExpiresAt ?? '',
      credential: input.credential ?? 'secret',
      secret,
      etag: `"${Number(this.view.etag.replace(/"/g, '')) + 1}"`,
    };
    return structuredClone(this.view);
  }
  clearConfig(signal?: AbortSignal): Promise<void> {
    return abortable(() => {
      this.record('clearConfig');
      this.view = emptyView();
    }, signal);
  }
  getClouds(signal?: AbortSignal): Promise<CloudInfo[]> {
    return abortable(
      () => (
        this.record('getClouds'),
        [
          { id: 'global', label: 'Global', loginHost: 'login.microsoftonline.com', graphHost: 'graph.microsoft.com' },
          { id: 'usgov', label: 'US Government (GCC High)', loginHost: 'login.microsoftonline.us', graphHost: 'graph.microsoft.us' },
          { id: 'usgov-dod', label: 'US Government (DoD)', loginHost: 'login.microsoftonline.us', graphHost: 'dod-graph.microsoft.us' },
          { id: 'china', label: 'China (21Vianet)', loginHost: 'login.chinacloudapi.cn', graphHost: 'microsoftgraph.chinacloudapi.cn' },
        ] as CloudInfo[]
      ),
      signal,
    );
  }
  getEndpointDefaults(cloud: CloudId, signal?: AbortSignal): Promise<EndpointDefaults> {
    return abortable(() => (this.record('getEndpointDefaults', cloud), { cloud, endpoints: defaultEndpoints(cloud) }), signal);
  }
  beginConnect(request: ConnectRequest, signal?: AbortSignal): Promise<ConnectStart> {
    return abortable(() => {
      this.record('beginConnect', request);
      this.counter += 1;
      const state = `state-${this.counter}-${Math.random().toString(36).slice(2)}`;
      return {
        authorizeUrl: `https://login.microsoftonline.com/tenant/oauth2/v2.0/authorize?state=${state}&mode=${request.mode}`,
        state,
        expiresAt: new Date(Date.now() + 600000).toISOString(),
      };
    }, signal);
  }
  connectStatus(state: string, signal?: AbortSignal): Promise<ConnectStatus> {
    return abortable(() => {
      this.record('connectStatus', state);
      if (this.status.state === 'connected') {
        this.view = { ...this.view, connection: { state: 'connected', account: this.status.account ?? '', connectedAt: '' }, locked: true };
      }
      return { ...this.status };
    }, signal);
  }
  disconnect(signal?: AbortSignal): Promise<ConfigView> {
    return abortable(() => {
      this.record('disconnect');
      this.view = { ...this.view, connection: { state: 'disconnected', account: '', connectedAt: '' }, locked: false };
      return structuredClone(this.view);
    }, signal);
  }
  test(request: TestRequest, signal?: AbortSignal): Promise<TestReport> {
    return abortable(() => (this.record('test', request), structuredClone(this.testReport)), signal);
  }
  queryLog(): Promise<LogPage> {
    return Promise.resolve({ items: [], nextCursor: null, counts: { queued: 0, sending: 0, sent: 0, failed: 0, unknown: 0 } });
  }
  getLogEntry(): Promise<LogEntryDetail> {
    return Promise.reject(new Error('not used'));
  }
  retryLogEntry(): Promise<void> {
    return Promise.resolve();
  }
  logCsvUrl(): string | null {
    return null;
  }
  downloadLogCsv(): Promise<Blob> {
    return Promise.resolve(new Blob());
  }
}
