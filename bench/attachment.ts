/**
 * 5. Large attachment: a 150 MB file handed to `mail.send` by path, through the outbox and Graph's
 * upload session (in-order PUTs of 3.75 MB chunks) to the sandbox cloud, both in processes of their own.
 * Measured in the server's process: the growth of its RSS over the whole send (peak minus before), and
 * the throughput from `mail.send` to "sent" as a ratio of one plain loopback PUT of the same bytes
 * from the same process to a server that discards them. The delivered attachment's size and SHA-256
 * are checked against the file.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { ROOT, round, startSandbox, stopChild, waitFor, type Report } from './lib.js';

const BYTES = Number(process.env.BENCH_ATTACHMENT_BYTES ?? 150_000_000);
const MB = 1024 * 1024;

interface Measured {
  kind: string;
  status: number | string;
  ms: number;
  before: number;
  peakSampled: number;
  peakHwm: number | null;
  queuedMs?: number;
  recipient?: string;
  error?: unknown;
  message?: string;
}

/** Random bytes (incompressible), written once; returns their SHA-256. */
async function writeFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  const block = Buffer.alloc(MB);
  for (let written = 0; written < bytes; written += block.length) {
    for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((Math.random() * 0xffffffff) >>> 0, i);
    const piece = block.subarray(0, Math.min(block.length, bytes - written));
    hash.update(piece);
    if (!out.write(piece)) await new Promise<void>((done) => out.once('drain', () => done()));
  }
  out.end();
  await finished(out);
  return hash.digest('hex');
}

export async function benchAttachment(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'graph-mail-bench-attachment-'));
  const sandbox = await startSandbox();
  let discard: Server | undefined;
  const child = fork(join(ROOT, 'bench', 'attachment-server.ts'), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, SANDBOX_ORIGIN: sandbox.origin, BENCH_DATA_DIR: join(dir, 'server') },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: Measured[] = [];
  child.on('message', (message: Measured) => messages.push(message));
  child.on('exit', (code, signal) => messages.push({ kind: 'error', message: `the server process exited (${signal ?? code})`, status: '', ms: 0, before: 0, peakSampled: 0, peakHwm: null }));
  const next = async (kind: string) => {
    const message = await waitFor(`the server process (${kind})`, () => messages.shift(), 600_000, 20);
    if (message.kind === 'error') throw new Error(`the server process failed: ${message.message}`);
    if (message.kind !== kind) throw new Error(`the server process answered ${message.kind}, not ${kind}`);
    return message;
  };
  try {
    const file = join(dir, 'export.bin');
    const sha256 = await writeFile(file, BYTES);
    await next('ready');

    // The baseline: the same bytes in one PUT to a loopback server that drops them.
    let received = 0;
    discard = createServer((request, response) => {
      request.on('data', (chunk: Buffer) => (received += chunk.length));
      request.on('end', () => response.writeHead(204).end());
    });
    await new Promise<void>((done) => discard!.listen(0, '127.0.0.1', done));
    // Warm the page cache and the path once, so neither side of the ratio reads the disk cold.
    child.send({ kind: 'put', file, url: `http://127.0.0.1:${(discard.address() as AddressInfo).port}/` });
    await next('put');
    received = 0;
    child.send({ kind: 'put', file, url: `http://127.0.0.1:${(discard.address() as AddressInfo).port}/` });
    const put = await next('put');
    if (put.status !== 204 || received !== BYTES) throw new Error(`the baseline PUT answered ${put.status} after ${received} bytes`);

    await sandbox.call('POST', '/sandbox/settings', { graphLatencyMs: 0, sendLagMs: 50 });
    const subject = `Payroll export ${Date.now()}`;
    child.send({ kind: 'send', file, subject });
    const send = await next('send');
    if (send.status !== 'sent') throw new Error(`the message ended ${send.status}: ${JSON.stringify(send.error)}`);
    const delivered = (await sandbox.mailbox(send.recipient!)).filter((message) => message.subject === subject);
    const attachment = delivered[0]?.attachments[0];
    if (delivered.length !== 1 || attachment?.size !== BYTES || attachment.sha256 !== sha256) {
      throw new Error(`delivered ${delivered.length} time(s), attachment ${JSON.stringify(attachment)}; expected ${BYTES} bytes, sha256 ${sha256}`);
    }
    const puts = (await sandbox.requests()).filter((r) => r.method === 'PUT' && /AttachmentSessions/i.test(r.path)).length;

    const growth = (m: Measured) => Math.max(m.peakSampled, m.peakHwm ?? 0) - m.before;
    const mbps = (ms: number) => BYTES / MB / (ms / 1000);
    const size = `${round(BYTES / 1e6, 0)} MB`;
    report({ name: `attachment: ${size} through mail.send, server RSS growth (peak − before)`, value: round(growth(send) / MB, 1), unit: 'MB', target: 64, better: 'lower' });
    report({ name: `attachment: ${size}, mail.send to sent (${puts} upload PUTs, delivered once, SHA-256 equal)`, value: round(send.ms / 1000, 2), unit: 's', target: null, better: 'lower' });
    report({ name: 'attachment: of which mail.send itself (file copied beside the store)', value: round((send.queuedMs ?? 0) / 1000, 2), unit: 's', target: null, better: 'lower' });
    report({ name: 'attachment: throughput as a ratio of a plain loopback PUT', value: round(mbps(send.ms), 1), unit: 'MiB/s', target: null, better: 'higher', baseline: round(mbps(put.ms), 1), ratio: round(put.ms / send.ms) });
    report({ name: 'attachment: plain loopback PUT, RSS growth of the sender', value: round(growth(put) / MB, 1), unit: 'MB', target: null, better: 'lower' });
  } finally {
    if (child.connected) child.send({ kind: 'stop' });
    await stopChild(child, false, 10_000);
    discard?.close();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
