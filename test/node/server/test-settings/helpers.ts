/**
 * The test route on a real socket with a TestDeps made of real pieces: tokens from the sandbox's token
 * endpoint (client credentials, or the refresh token of a real delegated sign-in), the real mail
 * module on SQLite for the send (its log routes mounted beside, to read the log back), and only the
 * configuration state and admin identity set by the test.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { ConnectionView, CredentialKind } from '../../../../src/services/contract.js';
import { defaultEndpoints } from '../../../../src/services/endpoints.js';
import { mailModule, type MailModule } from '../../../../src/server/mail/index.js';
import type { AccessTokenInfo, MailConfig, TokenSource } from '../../../../src/server/mail/types.js';
import { mountTestRoute, UpstreamTokenError, type TestConfigState, type TestDeps, type TestSettings } from '../../../../src/server/test-settings/index.js';
import { FAST_OUTBOX } from '../../helpers/mail-harness.js';
import { tempStore, type TestStore } from '../../helpers/mail-db.js';
import type { SandboxProcess } from '../../helpers/mail-sandbox.js';

export const CALLBACK = 'http://127.0.0.1/api/mail/connect/callback';

function scopesOf(token: string): string[] {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { scp?: string; roles?: string[] };
  return Array.isArray(payload.roles) ? payload.roles : typeof payload.scp === 'string' ? payload.scp.split(' ') : [];
}

export interface TokenOptions {
  tokenUrl: string;
  clientId: string;
  secret: string;
  /** Client credentials scope (application) or the delegated scopes. */
  scope: string;
  /** Delegated: the refresh token of a real sign-in. */
  refreshToken?: string;
}

/**
 * A token source as the core's behaves for the test: `forceRefresh` always asks the token endpoint,
 * refusals become `UpstreamTokenError`s, a rotated refresh token is kept. Requests and their count are
 * real; the test can change the secret or the app between runs.
 */
export class SandboxTokenSource implements TokenSource {
  requests = 0;
  private cached: { info: AccessTokenInfo; until: number } | null = null;

  constructor(public options: TokenOptions) {}

  async getAccessToken(request: { forceRefresh?: boolean } = {}): Promise<AccessTokenInfo> {
    if (!request.forceRefresh && this.cached && this.cached.until > Date.now()) return this.cached.info;
    this.requests += 1;
    const form = new URLSearchParams({ client_id: this.options.clientId, client_secret: this.options.secret, scope: this.options.scope });
    if (this.options.refreshToken) {
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', this.options.refreshToken);
    } else {
      form.set('grant_type', 'client_credentials');
    }
    const response = await fetch(this.options.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
      redirect: 'manual',
    });
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok || typeof json.access_token !== 'string') throw new UpstreamTokenError(response.status, json);
    if (typeof json.refresh_token === 'string') this.options.refreshToken = json.refresh_token;
    const info = { accessToken: json.access_token, scopes: scopesOf(json.access_token) };
    this.cached = { info, until: Date.now() + 5 * 60_000 };
    return info;
  }

  forget(): void {
    this.cached = null;
  }
}

/** A real delegated sign-in at the sandbox: session, authorize (redirects at once), code + PKCE redeemed. */
export async function signIn(sandbox: SandboxProcess, options: { username: string; tenantId: string; clientId: string; secret: string; scopes: string }): Promise<string> {
  await sandbox.control.session(options.username);
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(16).toString('base64url');
  const authorize = new URL(`${sandbox.origin}/${options.tenantId}/oauth2/v2.0/authorize`);
  for (const [name, value] of Object.entries({
    client_id: options.clientId,
    response_type: 'code',
    redirect_uri: CALLBACK,
    response_mode: 'query',
    scope: options.scopes,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })) {
    authorize.searchParams.set(name, value);
  }
  const redirect = await fetch(authorize, { redirect: 'manual' });
  const location = redirect.headers.get('location');
  if (!location) throw new Error(`authorize did not redirect: ${redirect.status} ${await redirect.text()}`);
  const code = new URL(location).searchParams.get('code');
  if (!code) throw new Error(`authorize returned no code: ${location}`);
  const response = await fetch(`${sandbox.origin}/${options.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: options.clientId,
      client_secret: options.secret,
      code,
      redirect_uri: CALLBACK,
      code_verifier: verifier,
      scope: options.scopes,
    }),
  });
  const json = (await response.json()) as { refresh_token?: string };
  if (!json.refresh_token) throw new Error(`no refresh token: ${JSON.stringify(json)}`);
  return json.refresh_token;
}

export interface TestApp {
  url: string;
  tokens: SandboxTokenSource;
  /** What `getConfigState` answers; change it between runs. */
  state: TestConfigState;
  module: MailModule;
  store: TestStore;
  /** POSTs `/test` as an admin; returns status, headers and the parsed body. */
  test(body: unknown, admin?: string): Promise<{ status: number; headers: Headers; json: any; text: string }>;
  close(): Promise<void>;
}

export function sandboxConfig(sandbox: SandboxProcess, overrides: Partial<MailConfig> = {}): MailConfig {
  const app = sandbox.seed.apps[0];
  return {
    mode: 'application',
    cloud: 'sandbox',
    tenantId: app.tenantId,
    clientId: app.clientId,
    fromName: 'Timesheets',
    fromAddress: sandbox.seed.users[0].userPrincipalName,
    saveToSentItems: true,
    endpoints: defaultEndpoints('sandbox', sandbox.origin),
    ...overrides,
  };
}

export function configState(
  config: MailConfig | null,
  options: { missing?: string[]; set?: boolean; kind?: CredentialKind; expiresAt?: string | null; connection?: ConnectionView } = {},
): TestConfigState {
  return {
    config,
    missing: options.missing ?? [],
    credential: { set: options.set ?? true, kind: options.kind ?? 'secret', expiresAt: options.expiresAt ?? null },
    ...(options.connection ? { connection: options.connection } : {}),
  };
}

/** Starts the route (and the mail module's routes) under `/api/mail` on a free port. */
export async function startTestApp(options: {
  sandboxOrigin?: string;
  state: TestConfigState;
  tokens: SandboxTokenSource;
  settings?: TestSettings;
  now?: () => number;
}): Promise<TestApp> {
  const store = await tempStore('test-settings-');
  const module = mailModule({ dataDir: store.dataDir, outbox: FAST_OUTBOX, graph: { uploadRetryDelayMs: 100 } });
  const holder = { state: options.state };
  const mailDeps = {
    db: store.db,
    tokens: options.tokens,
    config: { getEffectiveConfig: () => holder.state.config },
    options: { sandboxOrigin: options.sandboxOrigin },
  };
  const router = new Hono<{ Variables: { admin: string } }>();
  router.use('*', async (c, next) => {
    c.set('admin', c.req.header('x-test-admin') ?? 'loopback');
    await next();
  });
  module.mount(router, mailDeps);
  // The outbox alone: the keep-alive would make token requests of its own, which the tests count.
  const runtime = module.runtime!;
  runtime.outbox.start();
  const deps: TestDeps = {
    getConfigState: () => holder.state,
    tokens: options.tokens,
    sendAndWait: (message, sendOptions) => runtime.sendAndWait(message, sendOptions),
    adminIdentity: (c) => c.get('admin') as string,
    settings: { sandboxOrigin: options.sandboxOrigin, sendTimeoutMs: 30_000, ...options.settings },
    ...(options.now ? { now: options.now } : {}),
  };
  mountTestRoute(router, deps);
  const app = new Hono();
  app.route('/api/mail', router);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/api/mail`;
  return {
    url,
    tokens: options.tokens,
    get state() {
      return holder.state;
    },
    set state(value: TestConfigState) {
      holder.state = value;
    },
    module,
    store,
    async test(body, admin = 'alice') {
      const response = await fetch(`${url}/test`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-requested-with': 'graph-mail', 'x-test-admin': admin },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, json, text };
    },
    async close() {
      await module.stop(1000);
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    },
  };
}
