/**
 * Starts one reference server process (./server-instance.ts) with the given environment and waits for
 * its "listening" line; kills it with SIGKILL (a crash) or stops it at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');
const CHILD = resolve(import.meta.dirname, 'server-instance.ts');

export interface InstanceProcess {
  child: ChildProcess;
  /** The API's base URL, e.g. `http://127.0.0.1:40123/api/mail`. */
  api: string;
  alive(): boolean;
  /** SIGKILL, resolved once it is gone. */
  kill(): Promise<void>;
}

export async function startInstanceProcess(env: Record<string, string>): Promise<InstanceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk) => (output += chunk));
  const api = await new Promise<string>((done, fail) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening (\S+)/.exec(chunk.toString());
      if (match) done(match[1]);
    });
    child.once('exit', (code) => fail(new Error(`an instance exited (${code}) before listening:\n${output}`)));
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    api,
    alive,
    async kill() {
      if (!alive()) return;
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface PgInstanceOptions {
  /** GRAPH_MAIL_KEY, the same for every instance. */
  key: string;
  sandboxOrigin: string;
  serviceToken: string;
  /** A folder under which each instance gets a data folder of its own. */
  dir: string;
  databaseUrl: string;
  schema: string;
  /** The request header the instances' configIdOf hook reads the configuration from. */
  configHeader?: string;
  /** GRAPH_MAIL_WORKERS; the server's default when absent. */
  workers?: number;
}

/** One instance of a PostgreSQL deployment: the shared key, database and schema, a data folder of its own. */
export function startPgInstance(options: PgInstanceOptions): Promise<InstanceProcess> {
  return startInstanceProcess({
    INSTANCE_KEY: options.key,
    SANDBOX_ORIGIN: options.sandboxOrigin,
    SERVICE_TOKEN: options.serviceToken,
    INSTANCE_DIR: mkdtempSync(join(options.dir, 'instance-')),
    INSTANCE_DATABASE_URL: options.databaseUrl,
    INSTANCE_DATABASE_SCHEMA: options.schema,
    ...(options.configHeader ? { INSTANCE_CONFIG_HEADER: options.configHeader } : {}),
    ...(options.workers ? { INSTANCE_WORKERS: String(options.workers) } : {}),
  });
}
