/**
 * `npm run sandbox` as a process: it prints its URLs and sign-in users, serves HTTPS with a
 * certificate from its own CA (kept and reused), stops cleanly on SIGTERM, and says so when its
 * port is taken.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePortBlock } from '../helpers/ports.js';

const ROOT = resolve(import.meta.dirname, '../../..');


function run(port: number, dataDir: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, SANDBOX_PORT: String(port), SANDBOX_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const printed = async (text: string) => {
    for (let i = 0; i < 400 && !output.includes(text); i += 1) {
      if (child.exitCode !== null) break;
      await new Promise((done) => setTimeout(done, 50));
    }
    return output;
  };
  return { child, exited, printed, output: () => output };
}

function httpsGet(url: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(url, ca ? { ca } : {}, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', fail);
    req.end();
  });
}

describe('npm run sandbox', { timeout: 90_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sandbox-data-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints its URLs and users, serves HTTPS trusted through its CA, and stops on SIGTERM', async () => {
    const port = await freePortBlock(2);
    const sandbox = run(port, dataDir);
    const output = await sandbox.printed('Sign-in users');
    assert.match(output, new RegExp(`HTTP: +http://127\\.0\\.0\\.1:${port}`));
    assert.match(output, new RegExp(`HTTPS: +https://127\\.0\\.0\\.1:${port + 1}`));
    assert.match(output, /adele\.vance@contoso\.onmicrosoft\.com/);
    assert.ok(!output.includes('Qx8Q~'), 'no secret printed');
    await sandbox.printed('#EXT#');

    const ca = readFileSync(join(dataDir, 'ca.pem'), 'utf8');
    const seed = JSON.parse(readFileSync(resolve(ROOT, 'src/sandbox/seed.default.json'), 'utf8'));
    const tenant = seed.tenants[0].id;
    for (const host of ['127.0.0.1', 'localhost']) {
      const discovery = await httpsGet(`https://${host}:${port + 1}/${tenant}/v2.0/.well-known/openid-configuration`, ca);
      assert.equal(discovery.status, 200);
      const json = JSON.parse(discovery.body);
      assert.equal(json.issuer, `https://${host}:${port + 1}/${tenant}/v2.0`);
      assert.equal(json.token_endpoint, `https://${host}:${port + 1}/${tenant}/oauth2/v2.0/token`);
    }
    // The HTTP document names the same issuer: tokens validate whichever scheme fetched them.
    const overHttp = (await (await fetch(`http://127.0.0.1:${port}/${tenant}/v2.0/.well-known/openid-configuration`)).json()) as { issuer: string };
    assert.equal(overHttp.issuer, `https://127.0.0.1:${port + 1}/${tenant}/v2.0`);
    await assert.rejects(httpsGet(`https://127.0.0.1:${port + 1}/sandbox/seed`), 'an untrusted client refuses the certificate');

    sandbox.child.kill('SIGTERM');
    assert.equal(await sandbox.exited, 0);

    // A second start reuses the CA a browser may already trust.
    const again = run(port, dataDir);
    await again.printed('Sign-in users');
    assert.equal(readFileSync(join(dataDir, 'ca.pem'), 'utf8'), ca);
    assert.equal((await httpsGet(`https://127.0.0.1:${port + 1}/sandbox/seed`, ca)).status, 200);

    // Its port is now taken: a third start explains and exits.
    const third = run(port, dataDir);
    assert.equal(await third.exited, 1);
    assert.match(third.output(), /in use/);
    again.child.kill('SIGTERM');
    assert.equal(await again.exited, 0);
  });
});
