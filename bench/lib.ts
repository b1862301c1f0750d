/**
 * What every benchmark shares: the result shape of bench/results.json, percentiles, timers, and the
 * pieces a run is assembled from (the sandbox cloud in a process of its own, the reference server on a
 * socket, configured in application mode through its REST API).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startSandbox as startSandboxProcess, type MailboxMessage, type RecordedRequest, type SandboxSeed } from '../test/node/helpers/mail-sandbox.js';

export const ROOT = resolve(import.meta.dirname, '..');

export interface Result {
  name: string;
  value: number;
  unit: string;
  /** The goal, or null for a figure given for context (a floor, a fill time). */
  target: number | null;
  better: 'lower' | 'higher';
  baseline?: number;
  ratio?: number;
}

export type Report = (result: Result) => void;

export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Nearest-rank percentile. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Milliseconds one call takes. */
export async function time(run: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** Polls until `check` returns a value other than undefined, or throws when `timeoutMs` runs out. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export { freePortBlock } from '../test/node/helpers/ports.js';

/** Stops a child this run started: SIGTERM to it (or its process group), SIGKILL after a grace. */
export async function stopChild(child: ChildProcess, group = false, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((done) => child.once('exit', done));
  const signal = (name: NodeJS.Signals) => {
    try {
      if (group) process.kill(-child.pid!, name);
      else child.kill(name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export type { MailboxMessage, SandboxSeed } from '../test/node/helpers/mail-sandbox.js';
export type SandboxRequest = RecordedRequest;

/** The sandbox cloud as `npm run sandbox` starts it (the tests' launcher), on a free port pair, reached only over HTTP. */
export interface Sandbox {
  origin: string;
  seed: SandboxSeed;
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  mailbox(to: string): Promise<MailboxMessage[]>;
  requests(): Promise<SandboxRequest[]>;
  stop(): Promise<void>;
}

export async function startSandbox(): Promise<Sandbox> {
  const dataDir = mkdtempSync(join(tmpdir(), 'graph-mail-bench-sandbox-'));
  const sandbox = await startSandboxProcess({ SANDBOX_DATA_DIR: dataDir });
  const { control } = sandbox;
  return {
    origin: sandbox.origin,
    seed: sandbox.seed,
    call: (method, path, body) => control.call(method, path, body),
    mailbox: (to) => control.mailbox(to),
    requests: () => control.requests(),
    async stop() {
      await sandbox.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The seed's first web app with every permission, a member sender and a member recipient. */
export function sandboxParties(seed: SandboxSeed): { app: SandboxSeed['apps'][number]; sender: string; recipient: string } {
  const app = seed.apps.find((candidate) => (!candidate.kind || candidate.kind === 'web') && candidate.applicationPermissions.includes('Mail.ReadWrite'));
  if (!app) throw new Error('the sandbox seed has no web app with Mail.ReadWrite');
  const members = seed.users.filter((user) => user.tenantId === app.tenantId && user.kind === 'member');
  if (members.length < 2) throw new Error('the sandbox seed has fewer than two members in the app tenant');
  return { app, sender: members[0].mail, recipient: members[1].mail };
}

/** Saves an application-mode configuration against the sandbox through `PUT /config`, as the form does. */
export async function configureApplicationMode(apiUrl: string, seed: SandboxSeed): Promise<{ sender: string; recipient: string }> {
  const { app, sender, recipient } = sandboxParties(seed);
  const response = await fetch(`${apiUrl}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-requested-with': 'graph-mail' },
    body: JSON.stringify({
      mode: 'application',
      cloud: 'sandbox',
      tenantId: app.tenantId,
      clientId: app.clientId,
      clientSecret: app.secrets[0].value,
      fromName: 'Bench',
      fromAddress: sender,
      saveToSentItems: true,
    }),
  });
  if (!response.ok) throw new Error(`PUT /config answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  return { sender, recipient };
}
