/**
 * `npm start`: the demo. The sandbox cloud in a process of its own on PORT+1 (HTTP) and PORT+2 (HTTPS),
 * or the one named by `SANDBOX_URL`; the reference server on PORT (8787) with SQLite under `.data/`,
 * allowed to reach exactly the sandbox's origins; the demo pages beside the API:
 *
 * - `/`            an admin portal page (ESM, bundled by Vite like a host application);
 * - `/legacy.html` a page shaped like ASP.NET WebForms loading the one-tag bundle;
 *
 * It prints the URLs, the sandbox's users and the values to paste into the form. This is the only
 * module that knows both the server and the sandbox (STYLE.md rule 1).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Context } from 'hono';
import { KeyConfigurationError } from '../server/crypto/keys.js';
import { serverOptionsFromEnv } from '../server/env.js';
import { DEFAULT_CONFIG_ID } from '../server/store/types.js';
import { startServer } from '../server/start.js';
import { BUNDLE_PATH, ROOT, buildDemoAssets } from './build.js';

interface SandboxSeed {
  tenants: Array<{ id: string; domain: string }>;
  apps: Array<{ tenantId: string; clientId: string; displayName: string; secrets: Array<{ id: string; value: string; expiresAt: string }> }>;
  users: Array<{ tenantId: string; userPrincipalName: string; kind: string }>;
}

const env = process.env;
const port = Number(env.PORT ?? 8787);
const dataDir = resolve(env.GRAPH_MAIL_DATA_DIR || '.data');
const children: ChildProcess[] = [];

const say = (line: string) => console.log(line);

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

function sendFile(c: Context, file: string | null): Response {
  if (!file) return c.text('Not found', 404);
  return new Response(readFileSync(file), {
    headers: { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' },
  });
}

let stopping = false;
let closeServer: (() => Promise<void>) | null = null;
async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
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

  const running = await startServer({
    ...options,
    port,
    dataDir,
    logger: console,
    sandboxOrigins: sandbox.origins,
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

  say('');
  say(`graph-mail demo`);
  say(`  admin portal      ${running.url}/`);
  say(`  legacy page       ${running.url}/legacy.html`);
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
