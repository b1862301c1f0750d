/**
 * Client-side helpers for the sandbox tests: everything goes over HTTP, as a real client's requests
 * would (sign-in through the HTML pages, tokens from the token endpoint, Graph calls with them).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';

export const DEFAULT_SEED_PATH = resolve(import.meta.dirname, '../../../src/sandbox/seed.default.json');

export const CALLBACK = 'http://127.0.0.1/api/mail/connect/callback';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  json: T;
  text: string;
}

export async function call<T = Record<string, unknown>>(url: string, init: RequestInit = {}): Promise<Answer<T>> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json: json as T, text };
}

export const form = (params: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(params).toString(),
});

export const jsonInit = (method: string, token: string | null, body?: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: {
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...headers,
  },
  body: body === undefined ? undefined : JSON.stringify(body),
});

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export const claimsOf = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

export const ids = (sandbox: SandboxProcess) => {
  const app = sandbox.seed.apps[0];
  return { tenantId: app.tenantId, clientId: app.clientId, secret: app.secrets[0].value, secretId: app.secrets[0].id };
};

export interface AuthorizeParams {
  tenant?: string;
  clientId?: string;
  redirectUri?: string;
  scope?: string;
  state?: string;
  challenge?: string;
  extra?: Record<string, string>;
}

export function authorizeUrl(sandbox: SandboxProcess, params: AuthorizeParams = {}): string {
  const { tenantId, clientId } = ids(sandbox);
  const query = new URLSearchParams({
    client_id: params.clientId ?? clientId,
    response_type: 'code',
    redirect_uri: params.redirectUri ?? CALLBACK,
    scope: params.scope ?? 'offline_access User.Read Mail.Send Mail.ReadWrite',
    ...(params.state !== undefined ? { state: params.state } : {}),
    ...(params.challenge ? { code_challenge: params.challenge, code_challenge_method: 'S256' } : {}),
    ...params.extra,
  });
  return `${sandbox.origin}/${params.tenant ?? tenantId}/oauth2/v2.0/authorize?${query}`;
}

const hidden = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
const actionOf = (html: string) => /<form method="post" action="([^"]*)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');

export interface SignInResult {
  signInPage: Answer;
  consentPage: Answer;
  redirect: Answer;
  /** The redirect's target with its parameters. */
  location: URL;
}

/** The interactive flow through the HTML pages: pick `username`, accept the consent. */
export async function signIn(sandbox: SandboxProcess, username: string, params: AuthorizeParams = {}): Promise<SignInResult> {
  const signInPage = await call(authorizeUrl(sandbox, params));
  if (signInPage.status !== 200) throw new Error(`sign-in page answered ${signInPage.status}: ${signInPage.text.slice(0, 300)}`);
  const action = `${sandbox.origin}${actionOf(signInPage.text)}`;
  const ctx = hidden(signInPage.text, 'ctx')!;
  const consentPage = await call(action, form({ ctx, username }));
  const redirect = await call(`${sandbox.origin}${actionOf(consentPage.text)}`, form({ ctx: hidden(consentPage.text, 'ctx')!, consent: 'accept' }));
  const location = new URL(redirect.headers.get('location') ?? 'about:blank');
  return { signInPage, consentPage, redirect, location };
}

export interface TokenAnswer {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
  expires_in: number;
  error?: string;
  error_description?: string;
  error_codes?: number[];
  trace_id?: string;
  correlation_id?: string;
  timestamp?: string;
  error_uri?: string;
}

/** A token request; `origin` makes it a browser's cross-origin one (a SPA's). */
export function token(sandbox: SandboxProcess, params: Record<string, string>, tenant?: string, origin?: string): Promise<Answer<TokenAnswer>> {
  return call<TokenAnswer>(`${sandbox.origin}/${tenant ?? ids(sandbox).tenantId}/oauth2/v2.0/token`, form(params, origin ? { origin } : {}));
}

/** A delegated token for `username` through the pages and the code exchange. */
export async function delegatedToken(sandbox: SandboxProcess, username: string, scope = 'offline_access User.Read Mail.Send Mail.ReadWrite'): Promise<TokenAnswer> {
  const { verifier, challenge } = pkce();
  const { location } = await signIn(sandbox, username, { scope, challenge, state: 's' });
  const code = location.searchParams.get('code');
  if (!code) throw new Error(`no code: ${location}`);
  const { clientId, secret } = ids(sandbox);
  const answer = await token(sandbox, { grant_type: 'authorization_code', client_id: clientId, client_secret: secret, code, redirect_uri: CALLBACK, code_verifier: verifier });
  if (answer.status !== 200) throw new Error(`token: ${answer.text}`);
  return answer.json;
}

export async function appToken(sandbox: SandboxProcess, clientId?: string, secret?: string): Promise<string> {
  const own = ids(sandbox);
  const answer = await token(sandbox, {
    grant_type: 'client_credentials',
    client_id: clientId ?? own.clientId,
    client_secret: secret ?? own.secret,
    scope: `${sandbox.origin}/.default`,
  });
  if (answer.status !== 200) throw new Error(`client credentials: ${answer.text}`);
  return answer.json.access_token;
}

/** Asserts the identity platform's error shape and returns the AADSTS number. */
export function aadCode(answer: Answer<TokenAnswer>): number {
  const body = answer.json;
  const match = /^AADSTS(\d+): /.exec(body.error_description ?? '');
  if (!match) throw new Error(`not an AADSTS error: ${answer.text}`);
  return Number(match[1]);
}

/** Starts a sandbox on a seed derived from the default one. */
export async function startWithSeed(change: (seed: Record<string, any>) => void, env: Record<string, string> = {}): Promise<SandboxProcess & { cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-seed-'));
  const seed = JSON.parse(readFileSync(DEFAULT_SEED_PATH, 'utf8'));
  change(seed);
  const path = join(dir, 'seed.json');
  writeFileSync(path, JSON.stringify(seed));
  const sandbox = await startSandbox({ SANDBOX_SEED: path, ...env });
  return {
    ...sandbox,
    async cleanup() {
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
