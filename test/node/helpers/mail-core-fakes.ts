/**
 * Stand-ins for the server core only (its token and configuration services), for mail tests that
 * run before or without the core. Tokens are real ones from the sandbox's token endpoint; Graph is
 * always the sandbox itself.
 */
import { defaultEndpoints } from '../../../src/services/endpoints.js';
import type { AccessTokenInfo, MailConfig, TokenSource } from '../../../src/server/mail/types.js';
import type { SandboxProcess } from './mail-sandbox.js';

export function scopesOfJwt(token: string): string[] {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { scp?: string; roles?: string[] };
  if (Array.isArray(payload.roles)) return payload.roles;
  return typeof payload.scp === 'string' ? payload.scp.split(' ').filter(Boolean) : [];
}

/** Client credentials against the sandbox, cached and single-flight like the core's service. */
export class SandboxAppTokens implements TokenSource {
  tokenRequests = 0;
  private cached: { value: AccessTokenInfo; expiresAt: number } | null = null;
  private pending: Promise<AccessTokenInfo> | null = null;

  constructor(
    private readonly sandbox: SandboxProcess,
    private readonly options: { tenantId?: string; clientId?: string; secret?: string; dropScopes?: string[] } = {},
  ) {}

  async getAccessToken(request: { forceRefresh?: boolean } = {}): Promise<AccessTokenInfo> {
    if (!request.forceRefresh && this.cached && this.cached.expiresAt > Date.now() + 60_000) return this.cached.value;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async fetchToken(): Promise<AccessTokenInfo> {
    const app = this.sandbox.seed.apps[0];
    const tenantId = this.options.tenantId ?? app.tenantId;
    this.tokenRequests += 1;
    const response = await fetch(`${this.sandbox.origin}/${tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.options.clientId ?? app.clientId,
        client_secret: this.options.secret ?? app.secrets[0].value,
        scope: `${this.sandbox.origin}/.default`,
      }),
      redirect: 'manual',
    });
    const json = (await response.json()) as { access_token?: string; expires_in?: number; error?: string };
    if (!response.ok || !json.access_token) throw new Error(`token request failed: ${response.status} ${json.error ?? ''}`);
    const dropped = new Set((this.options.dropScopes ?? []).map((scope) => scope.toLowerCase()));
    const value = { accessToken: json.access_token, scopes: scopesOfJwt(json.access_token).filter((scope) => !dropped.has(scope.toLowerCase())) };
    this.cached = { value, expiresAt: Date.now() + (json.expires_in ?? 3600) * 1000 };
    return value;
  }
}

/** Application-mode configuration on the sandbox, sending as its first seeded user. */
export function sandboxAppConfig(sandbox: SandboxProcess, overrides: Partial<MailConfig> = {}): MailConfig {
  const app = sandbox.seed.apps[0];
  const sender = sandbox.seed.users.find((user) => user.tenantId === app.tenantId && user.kind === 'member') ?? sandbox.seed.users[0];
  return {
    mode: 'application',
    cloud: 'sandbox',
    tenantId: app.tenantId,
    clientId: app.clientId,
    fromName: 'Timesheets',
    fromAddress: sender.userPrincipalName,
    saveToSentItems: true,
    endpoints: defaultEndpoints('sandbox', sandbox.origin),
    ...overrides,
  };
}
