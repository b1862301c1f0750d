/**
 * The demo as a user starts it (`npm start`: src/demo/start.ts), on free ports with a fresh data folder,
 * and Chromium driven by playwright-core. Each suite starts its own demo; nothing is shared between files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePortBlock } from '../../node/helpers/ports.js';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '../../..');

export interface Demo {
  port: number;
  url: string;
  sandboxUrl: string;
  dataDir: string;
  output(): string;
  /** Stops the server (SIGTERM, or SIGKILL to simulate a crash); the sandbox stays when it was given. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface DemoOptions {
  port?: number;
  dataDir?: string;
  env?: Record<string, string>;
}

/** Starts `src/demo/start.ts` and waits until it prints that it is ready and `/api/mail/config` answers. */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const port = options.port ?? (await freePortBlock(4));
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'graph-mail-e2e-'));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/demo/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), GRAPH_MAIL_DATA_DIR: dataDir, NODE_ENV: 'development', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the demo exited (${child.exitCode}):\n${output}`);
    try {
      const response = await fetch(`${url}/api/mail/config`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the demo did not answer within 180 s:\n${output}`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
  return {
    port,
    url,
    sandboxUrl: options.env?.SANDBOX_URL ?? `http://127.0.0.1:${port + 1}`,
    dataDir,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      if (!options.dataDir && signal !== 'SIGKILL') rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROME_PATH || '/usr/bin/chromium', headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/**
 * Chromium's switch that trusts the HTTPS certificate of the demo's sandbox cloud (kept in the data
 * folder by src/sandbox/tls.ts) by its public key, and no other: MSAL signs in over HTTPS only, and a
 * headless browser has no certificate store to import the sandbox's CA into.
 */
export function trustSandboxTls(demo: Demo): string[] {
  const { cert } = JSON.parse(readFileSync(join(demo.dataDir, 'sandbox', 'tls.json'), 'utf8')) as { cert: string };
  const spki = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' });
  return [`--ignore-certificate-errors-spki-list=${createHash('sha256').update(spki).digest('base64')}`];
}

/** A page whose console errors and uncaught exceptions are collected, so a test can assert there were none. */
export async function openPage(browser: Browser, url: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  await page.goto(url);
  return { context, page, errors };
}

/** Waits until `check` holds (state that settles after a reload or a live update), or fails with `message`. */
export async function eventually(check: () => Promise<boolean>, message: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Picks the account on the sandbox's sign-in page in a popup and accepts the consent page. */
export async function signInPopup(popup: Page, username: string): Promise<void> {
  await popup.getByRole('button', { name: username }).click();
  await popup.getByRole('button', { name: 'Accept' }).click();
}
