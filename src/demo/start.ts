/**
 * `npm start`: the demo. The sandbox cloud in a process of its own on PORT+1 (HTTP) and PORT+2 (HTTPS),
 * or the one named by `SANDBOX_URL`; the reference server on PORT (8787) with SQLite under `.data/`,
 * allowed to reach exactly the sandbox's origins; the demo pages beside the API:
 *
 * - `/`            an admin portal page (ESM, bundled by Vite like a host application);
 * - `/legacy.html` a page shaped like ASP.NET WebForms loading the one-tag bundle;
 * - on PORT+3, another origin: a page that signs the admin in to the sandbox's identity platform with
 *   msal-browser (over HTTPS) and uses the API with the Entra access token, CORS allowed for that origin
 *   only. The server checks those tokens against the sandbox tenant (the admin API's app registration);
 *   requests without one keep the same-origin pages' loopback admission. Beside it, `/legacy.html`:
 *   the legacy page's shape with the one-tag bundle and `msal-*` attributes, no script of its own.
 *
 * It prints the URLs, the sandbox's users and the values to paste into the form. This is the only
 * module that knows both the server and the sandbox (STYLE.md rule 1).
 */
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Context } from 'hono';
import type { EntraAuthOptions } from '../server/auth/index.js';
import { KeyConfigurationError } from '../server/crypto/keys.js';
import { serverOptionsFromEnv } from '../server/env.js';
import { DEFAULT_CONFIG_ID } from '../server/store/types.js';
import { startServer } from '../server/start.js';
import { BUNDLE_PATH, ROOT, buildDemoAssets } from './build.js';

interface SandboxSeed {
  tenants: Array<{ id: string; domain: string }>;
  apps: Array<{
    tenantId: string;
    clientId: string;
    displayName: string;
    kind?: string;
    identifierUri?: string;
    scopes?: string[];
    appRoles?: Array<{ value: string; assignedTo?: string[] }>;
    secrets: Array<{ id: string; value: string; expiresAt: string }>;
  }>;
  users: Array<{ id: string; tenantId: string; userPrincipalName: string; kind: string }>;
}

/** What the cross-origin page needs to sign in, and what the server checks its tokens against. */
interface CrossOriginSetup {
  entra: EntraAuthOptions;
  msal: { clientId: string; authority: string; scopes: string[]; knownAuthorities: string[] };
  /** The users the API's Mail.Admin role is assigned to. */
  admins: string[];
}

const env = process.env;
const port = Number(env.PORT ?? 8787);
const dataDir = resolve(env.GRAPH_MAIL_DATA_DIR || '.data');
const children: ChildProcess[] = [];

const say = (line: string) => console.log(line);

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Starts `src/sandbox/main.ts` on PORT+1/PORT+2 and waits until its control API answers. */
async function startSandbox(): Promise<{ origins: string[]; seed: SandboxSeed }> {
  const given = env.SANDBOX_URL?.replace(/\/+$/, '');
  const origin = given ?? `http://127.0.0.1:${port + 1}`;
  if (!given) {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/sandbox/main.ts')], {
      cwd: ROOT,
      env: { ...env, SANDBOX_PORT: String(port + 1), SANDBOX_DATA_DIR: join(dataDir, 'sandbox') },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    child.once('exit', (code, signal) => {
      if (!stopping) {
        console.error(`demo: the sandbox cloud stopped (${signal ?? code}); stopping the demo too.`);
        void stop(1);
      }
    });
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await fetch(`${origin}/sandbox/seed`);
      if (response.ok) {
        const seed = (await response.json()) as SandboxSeed;
        const origins = given ? [given] : [origin, `https://127.0.0.1:${port + 2}`];
        return { origins, seed };
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the sandbox cloud did not answer at ${origin} within 30 s`);
    await new Promise((wait) => setTimeout(wait, 150));
  }
}

/**
 * The sandbox's admin API and the SPA registered for it. MSAL signs in on the sandbox's HTTPS origin,
 * which its tokens name as their issuer; the server discovers the issuer and the keys over plain HTTP on
 * loopback. Null when the seed registers no such pair or the sandbox has no HTTPS.
 */
async function crossOriginSetup(origin: string, seed: SandboxSeed): Promise<CrossOriginSetup | null> {
  const api = seed.apps.find((candidate) => candidate.kind === 'api' && candidate.identifierUri);
  const spa = seed.apps.find((candidate) => candidate.kind === 'spa' && candidate.tenantId === api?.tenantId);
  if (!api?.identifierUri || !spa) return null;
  const response = await fetch(`${origin}/${api.tenantId}/v2.0/.well-known/openid-configuration`);
  if (!response.ok) return null;
  const issuer = new URL(((await response.json()) as { issuer: string }).issuer);
  if (issuer.protocol !== 'https:') return null;
  const role = api.appRoles?.find((candidate) => candidate.value === 'Mail.Admin');
  const admins = seed.users.filter((user) => role?.assignedTo?.includes(user.id)).map((user) => user.userPrincipalName);
  return {
    entra: { tenantId: api.tenantId, authority: origin, audience: [api.identifierUri, api.clientId] },
    msal: {
      clientId: spa.clientId,
      authority: `${issuer.origin}/${api.tenantId}`,
      scopes: [`${api.identifierUri}/${api.scopes?.[0] ?? 'access_as_admin'}`],
      // Not a Microsoft cloud: MSAL must trust it without instance discovery.
      knownAuthorities: [issuer.host],
    },
    admins,
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

/** A file below `dir`, or null when the path leaves it or does not exist. */
function fileBelow(dir: string, path: string): string | null {
  const full = normalize(join(dir, path));
  if (!full.startsWith(dir + sep) || !existsSync(full)) return null;
  return full;
}

function sendFile(c: Context, file: string | null, headers: Record<string, string> = {}): Response {
  if (!file) return c.text('Not found', 404);
  return new Response(readFileSync(file), {
    headers: { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', ...headers },
  });
}

/**
 * The cross-origin page on a socket of its own. Its redirect URI page runs msal-browser's redirect
 * bridge: msal-browser 5 waits for the popup's answer on a BroadcastChannel of this origin, not through
 * `window.opener`, so the identity platform's `Cross-Origin-Opener-Policy: same-origin` on its sign-in
 * pages does not break the popup, and neither page here needs a COOP header of its own. No referrer
 * leaves either page (the bridge's address carries the code until it clears it).
 */
async function startCrossOriginPage(portalDir: string, crossPort: number, info: () => object, legacyPage: () => string): Promise<() => Promise<void>> {
  const page = new Hono();
  const headers = { 'referrer-policy': 'no-referrer' };
  page.get('/', (c) => sendFile(c, join(portalDir, 'cross-origin.html'), headers));
  page.get('/redirect.html', (c) => sendFile(c, join(portalDir, 'redirect.html'), headers));
  // The legacy page is its own redirect URI: the popup's answer arrives in its address, hence no referrer.
  page.get('/legacy.html', () =>
    new Response(legacyPage(), {
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "frame-ancestors 'self'", ...headers },
    }),
  );
  // The host's own copy of the bundle and, beside it, the msal script the bundle loads on demand.
  page.get('/dist/*', (c) => sendFile(c, fileBelow(resolve(BUNDLE_PATH, '..'), c.req.path.slice('/dist/'.length))));
  page.get('/assets/*', (c) => sendFile(c, fileBelow(portalDir, c.req.path)));
  page.get('/favicon.ico', () => new Response(null, { status: 204 }));
  page.get('/demo/cross-origin.json', (c) => c.json(info(), 200, { 'cache-control': 'no-store' }));
  const server = createAdaptorServer({ fetch: page.fetch, hostname: '127.0.0.1' });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(crossPort, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  return () =>
    new Promise<void>((resolveClose) => {
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      server.close(() => resolveClose());
    });
}

let stopping = false;
let closeServer: (() => Promise<void>) | null = null;
let closeCrossOriginPage: (() => Promise<void>) | null = null;
async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  await closeCrossOriginPage?.().catch(() => undefined);
  await closeServer?.().catch(() => undefined);
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  process.exit(code);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

try {
  const sandbox = await startSandbox();
  const { portalDir } = await buildDemoAssets(join(dataDir, 'demo'), say);
  const legacyTemplate = readFileSync(join(ROOT, 'src/demo/pages/legacy.html'), 'utf8');
  // The legacy page's anti-forgery token, as ASP.NET would render it into __RequestVerificationToken;
  // the elements send it back in the RequestVerificationToken header and the server checks it.
  const requestVerificationToken = randomBytes(24).toString('base64url');
  let postbacks = 0;

  const app = sandbox.seed.apps[0];
  const tenant = sandbox.seed.tenants.find((t) => t.id === app.tenantId);
  const users = sandbox.seed.users.filter((user) => user.tenantId === app.tenantId && user.kind === 'member').map((user) => user.userPrincipalName);
  const options = serverOptionsFromEnv(env);
  // The cross-origin page signs in to the sandbox: the server checks its tokens against the sandbox
  // tenant, unless GRAPH_MAIL_ENTRA_* name a real one (then the page, set up for the sandbox, is left out).
  const crossPort = port + 3;
  const crossOrigins = [`http://127.0.0.1:${crossPort}`, `http://localhost:${crossPort}`];
  const cross = options.entra ? null : await crossOriginSetup(sandbox.origins[0], sandbox.seed);

  const running = await startServer({
    ...options,
    port,
    dataDir,
    logger: console,
    sandboxOrigins: sandbox.origins,
    ...(cross ? { entra: cross.entra, allowedOrigins: [...(options.allowedOrigins ?? []), ...crossOrigins] } : {}),
    antiForgery: { header: 'RequestVerificationToken', validate: (value) => sameText(value, requestVerificationToken) },
    configure(root, server) {
      const legacy = () =>
        new Response(legacyTemplate.replace('{{REQUEST_VERIFICATION_TOKEN}}', requestVerificationToken).replace('{{POSTBACK_COUNT}}', String(postbacks)), {
          headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "frame-ancestors 'self'" },
        });
      root.get('/', (c) => sendFile(c, join(portalDir, 'index.html')));
      root.get('/favicon.ico', () => new Response(null, { status: 204 }));
      root.get('/assets/*', (c) => sendFile(c, fileBelow(portalDir, c.req.path)));
      root.get('/legacy.html', () => legacy());
      // A WebForms postback: counted, so a test can prove that nothing of ours submitted the page.
      root.post('/legacy.html', () => {
        postbacks += 1;
        return legacy();
      });
      root.get('/dist/*', (c) => sendFile(c, fileBelow(resolve(BUNDLE_PATH, '..'), c.req.path.slice('/dist/'.length))));
      root.get('/demo/info.json', (c) =>
        c.json({ sandbox: { origin: sandbox.origins[0], tenantId: app.tenantId, clientId: app.clientId, users }, postbacks }),
      );
      // "Use the sandbox app": saves the sandbox's values, secret included, without the browser ever
      // holding the secret. Same-origin and anti-forgery checked like the API's own writes.
      root.post('/demo/use-sandbox', async (c) => {
        const origin = c.req.header('origin');
        if (c.req.header('x-requested-with') !== 'graph-mail' || (origin && origin !== new URL(running.url).origin)) return c.text('Forbidden', 403);
        const view = await server.config.save(
          DEFAULT_CONFIG_ID,
          {
            mode: 'delegated',
            cloud: 'sandbox',
            tenantId: app.tenantId,
            clientId: app.clientId,
            clientSecret: app.secrets[0].value,
            secretExpiresAt: app.secrets[0].expiresAt.slice(0, 10),
            fromName: 'Acme Timesheets',
            fromAddress: '',
            saveToSentItems: true,
          },
          { actor: 'demo' },
        );
        return c.json({ ok: true, etag: view.etag });
      });
    },
  });
  closeServer = () => running.close();
  if (cross) {
    const legacyCrossTemplate = readFileSync(join(ROOT, 'src/demo/pages/legacy-cross-origin.html'), 'utf8');
    const values: Record<string, string> = {
      API_BASE: running.apiUrl,
      MSAL_CLIENT_ID: cross.msal.clientId,
      MSAL_AUTHORITY: cross.msal.authority,
      MSAL_SCOPE: cross.msal.scopes.join(' '),
      ADMINS: cross.admins.join(', '),
    };
    const legacyCross = legacyCrossTemplate.replace(/\{\{(\w+)\}\}/g, (_, name: string) => escapeHtml(values[name] ?? ''));
    closeCrossOriginPage = await startCrossOriginPage(
      portalDir,
      crossPort,
      () => ({
        apiUrl: running.apiUrl,
        msal: cross.msal,
        sandbox: { tenantId: app.tenantId, clientId: app.clientId, users, admins: cross.admins },
      }),
      () => legacyCross,
    );
  }

  say('');
  say(`graph-mail demo`);
  say(`  admin portal      ${running.url}/`);
  say(`  legacy page       ${running.url}/legacy.html`);
  if (cross) {
    say(`  cross-origin page ${crossOrigins[0]}/  (signs in with msal-browser; Mail.Admin: ${cross.admins.join(', ')})`);
    say(`  … legacy shape    ${crossOrigins[0]}/legacy.html  (the one-tag bundle with msal-* attributes)`);
    // MSAL signs in over HTTPS only: the browser must trust the sandbox's own CA.
    if (!env.SANDBOX_URL) say(`                    its sign-in needs your browser to trust ${join(dataDir, 'sandbox', 'ca.pem')}`);
  }
  say(`  mail API          ${running.apiUrl}`);
  say(`  sandbox cloud     ${sandbox.origins.join('  ')}`);
  say('');
  say('In the form, choose Domain "Sandbox" and paste:');
  say(`  Tenant ID                 ${app.tenantId}${tenant ? `  (or ${tenant.domain})` : ''}`);
  say(`  Application (client) ID   ${app.clientId}`);
  say(`  Client secret (Value)     ${app.secrets[0].value}`);
  say(`  Secret expires            ${app.secrets[0].expiresAt.slice(0, 10)}`);
  say(`Sign in as: ${users.join(', ')}`);
  say('Ctrl+C stops the server and the sandbox.');
} catch (error) {
  const message = error instanceof KeyConfigurationError || error instanceof Error ? error.message : String(error);
  console.error(`demo: cannot start: ${message}`);
  await stop(1);
}
