/**
 * The sandbox cloud in a process of its own, for the mail tests: started on a free port pair, reached
 * only over HTTP through its fixed control API (DESIGN.md), stopped at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { freePortBlock } from './ports.js';

const ROOT = resolve(import.meta.dirname, '../../..');

export interface SandboxSeed {
  tenants: Array<{ id: string; domain: string }>;
  apps: Array<{
    tenantId: string;
    clientId: string;
    displayName: string;
    kind?: string;
    secrets: Array<{ id: string; value: string; expiresAt: string }>;
    redirectUris: string[];
    delegatedPermissions: string[];
    applicationPermissions: string[];
  }>;
  users: Array<{ id: string; tenantId: string; userPrincipalName: string; mail: string; displayName: string; kind: string }>;
}

export interface MailboxMessage {
  id: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  saveToSentItems: boolean;
  attachments: Array<{ name: string; size: number; sha256: string }>;
  deliveredAt: string;
}

export interface RecordedRequest {
  at: string;
  method: string;
  path: string;
  query: unknown;
  headers: string[];
  status: number;
}

export interface Fault {
  match: { method?: string; path: string };
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  times?: number;
  afterDelivery?: boolean;
  [more: string]: unknown;
}

export class SandboxControl {
  constructor(readonly origin: string) {}

  /** Any control or Graph call, as JSON; throws on a status other than 2xx. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.origin}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`sandbox ${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  seed = () => this.call<SandboxSeed>('GET', '/sandbox/seed');
  reset = () => this.call<unknown>('POST', '/sandbox/reset');
  fault = (fault: Fault) => this.call<unknown>('POST', '/sandbox/faults', fault);
  clearFaults = () => this.call<unknown>('DELETE', '/sandbox/faults');
  session = (username: string) => this.call<unknown>('POST', '/sandbox/session', { username });
  mailbox = async (to: string) => (await this.call<{ messages: MailboxMessage[] }>('GET', `/sandbox/mailbox?to=${encodeURIComponent(to)}`)).messages;
  requests = async () => (await this.call<{ requests: RecordedRequest[] }>('GET', '/sandbox/requests')).requests;
  /** Sandbox settings beyond the fixed API (the send lag); see src/sandbox/README.md. */
  settings = (settings: Record<string, unknown>) => this.call<unknown>('POST', '/sandbox/settings', settings);
}

export interface SandboxProcess {
  origin: string;
  control: SandboxControl;
  seed: SandboxSeed;
  stop(): Promise<void>;
}

/** Starts `node --import tsx src/sandbox/main.ts` and waits until its control API answers. */
export async function startSandbox(env: Record<string, string> = {}): Promise<SandboxProcess> {
  const port = await freePortBlock(2);
  const origin = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, SANDBOX_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const control = new SandboxControl(origin);
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the sandbox exited (${child.exitCode}):\n${output}`);
    try {
      const seed = await control.seed();
      return {
        origin,
        control,
        seed,
        async stop() {
          if (child.exitCode !== null) return;
          const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(timer);
        },
      };
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`the sandbox did not answer within 20 s:\n${output}`);
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
  }
}
