/**
 * The server side of the large-attachment benchmark, in a process of its own so that its memory is
 * the server's alone: the reference server against the sandbox (application mode), then, when the
 * parent asks, one `mail.send` with a file attachment, timed to "sent", with the process's peak RSS;
 * and a plain loopback PUT of the same file, for the baseline. Talks to the parent over IPC.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { startServer } from '../src/server/start.js';
import { configureApplicationMode, type SandboxSeed } from './lib.js';

const { SANDBOX_ORIGIN, BENCH_DATA_DIR } = process.env;
if (!SANDBOX_ORIGIN || !BENCH_DATA_DIR || !process.send) throw new Error('started by bench/attachment.ts only');

const rss = () => process.memoryUsage.rss();
/** Peak RSS since the last reset (Linux: VmHWM in /proc/self/status); null where unavailable. */
function highWaterMark(): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
function resetHighWaterMark(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}
const collect = () => (globalThis as { gc?: () => void }).gc?.();

const seed = (await (await fetch(`${SANDBOX_ORIGIN}/sandbox/seed`)).json()) as SandboxSeed;
const running = await startServer({
  port: 0,
  dataDir: BENCH_DATA_DIR,
  key: randomBytes(32).toString('base64'),
  sandboxOrigins: [SANDBOX_ORIGIN],
  log: () => undefined,
  // The send budget is off: the benchmark measures the server, not Exchange Online's pacing.
  mail: { keepAliveCheckMs: 3_600_000, retentionDays: 0, outbox: { sendBudget: 'off' } },
});
const { recipient } = await configureApplicationMode(running.apiUrl, seed);
const runtime = running.server.mail!.runtime!;
const api = running.server.mailApi!;

type Ask = { kind: 'send'; file: string; subject: string } | { kind: 'put'; file: string; url: string } | { kind: 'stop' };

/** Samples RSS while `work` runs (the high-water mark catches what falls between samples). */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; before: number; peakSampled: number; peakHwm: number | null }> {
  collect();
  await new Promise((done) => setTimeout(done, 200));
  collect();
  const before = rss();
  const hwmReset = resetHighWaterMark();
  let peakSampled = before;
  const timer = setInterval(() => (peakSampled = Math.max(peakSampled, rss())), 5);
  const start = performance.now();
  try {
    const value = await work();
    const ms = performance.now() - start;
    peakSampled = Math.max(peakSampled, rss());
    return { value, ms, before, peakSampled, peakHwm: hwmReset ? highWaterMark() : null };
  } finally {
    clearInterval(timer);
  }
}

process.on('message', async (ask: Ask) => {
  try {
    if (ask.kind === 'stop') {
      await running.close();
      process.exit(0);
    }
    if (ask.kind === 'put') {
      const size = statSync(ask.file).size;
      const result = await measured(
        () =>
          new Promise<number>((done, fail) => {
            const put = request(ask.url, { method: 'PUT', headers: { 'content-length': String(size), 'content-type': 'application/octet-stream' } }, (response) => {
              response.resume();
              response.on('end', () => done(response.statusCode ?? 0));
            });
            put.on('error', fail);
            createReadStream(ask.file).pipe(put);
          }),
      );
      process.send!({ kind: 'put', status: result.value, ms: result.ms, before: result.before, peakSampled: result.peakSampled, peakHwm: result.peakHwm });
      return;
    }
    let queuedMs = 0;
    const result = await measured(async () => {
      const start = performance.now();
      const settled = new Promise<string>((done) => {
        const off = runtime.outbox.onChange((event) => {
          if (event.type === 'log' && event.entry.id === id && ['sent', 'failed', 'unknown'].includes(event.entry.status)) {
            off();
            done(event.entry.status);
          }
        });
      });
      let id = '';
      ({ id } = await api.send({ to: [recipient], subject: ask.subject, text: 'The export is attached.', attachments: [{ name: 'export.bin', contentType: 'application/octet-stream', path: ask.file }] }));
      queuedMs = performance.now() - start;
      const status = await Promise.race([settled, new Promise<string>((done) => setTimeout(() => void runtime.outbox.log.detail(runtime.outbox.configId, id).then((detail) => done(detail?.status ?? 'missing')), 300_000))]);
      return { id, status, detail: await runtime.outbox.log.detail(runtime.outbox.configId, id) };
    });
    process.send!({ kind: 'send', status: result.value.status, error: result.value.detail?.error, queuedMs, ms: result.ms, before: result.before, peakSampled: result.peakSampled, peakHwm: result.peakHwm, recipient });
  } catch (error) {
    process.send!({ kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
process.send({ kind: 'ready' });
