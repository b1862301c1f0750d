/**
 * 6. Start: wall time from spawning `npm start` to the first 200 on `GET /api/mail/config`, polled
 * every 25 ms. Twice with one data folder: the first start builds the demo's portal page into it (as a
 * fresh checkout's first start does); the second finds it built, as every later start does.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortBlock, ROOT, round, sleep, stopChild, type Report } from './lib.js';

async function timeStart(dataDir: string): Promise<number> {
  const port = await freePortBlock(4);
  const started = performance.now();
  // Its own process group, so that stopping it stops the sandbox it starts too.
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), GRAPH_MAIL_DATA_DIR: dataDir, GRAPH_MAIL_SEND_BUDGET: 'off', NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${output.slice(-2000)}`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/api/mail/config`);
        await response.arrayBuffer();
        if (response.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      if (performance.now() - started > 180_000) throw new Error(`no 200 on /api/mail/config within 180 s:\n${output.slice(-2000)}`);
      await sleep(25);
    }
  } finally {
    await stopChild(child, true);
  }
}

export async function benchStart(report: Report): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'graph-mail-bench-start-'));
  try {
    const first = await timeStart(dataDir);
    const again = await timeStart(dataDir);
    report({ name: 'start: npm start to the first 200 on /api/mail/config, first start (builds the portal page)', value: round(first / 1000, 2), unit: 's', target: null, better: 'lower' });
    report({ name: 'start: npm start to the first 200 on /api/mail/config, later starts', value: round(again / 1000, 2), unit: 's', target: null, better: 'lower' });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
