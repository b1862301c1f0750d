/**
 * The HTTPS certificate: a CA of its own and a server certificate it signs for `localhost`,
 * `127.0.0.1` and `::1` (MSAL refuses `http` authorities, so the browser needs HTTPS it can trust by
 * importing the CA). Kept in a directory so the CA a browser trusts survives restarts; regenerated
 * when missing or about to expire.
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface SandboxTls {
  key: string;
  cert: string;
  /** The CA certificate (PEM) that signed `cert`. */
  ca: string;
  /** Where the CA certificate was written, when a directory was given. */
  caPath?: string;
}

const DAY = 24 * 3600 * 1000;

function stillValid(tls: Partial<SandboxTls>): tls is SandboxTls {
  try {
    if (typeof tls.key !== 'string' || typeof tls.cert !== 'string' || typeof tls.ca !== 'string') return false;
    const cert = new X509Certificate(tls.cert);
    const ca = new X509Certificate(tls.ca);
    const soon = Date.now() + 7 * DAY;
    return cert.checkIssued(ca) && cert.verify(ca.publicKey) && Date.parse(cert.validTo) > soon && Date.parse(ca.validTo) > soon;
  } catch {
    return false;
  }
}

async function generateTls(): Promise<SandboxTls> {
  const ca = await generate([{ name: 'commonName', value: 'Graph Mail sandbox cloud CA (local, offline)' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 5 * 365 * DAY),
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    // Browsers refuse server certificates valid for more than 398 days.
    notAfterDate: new Date(Date.now() + 390 * DAY),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  return { key: server.private, cert: server.cert, ca: ca.cert };
}

/** Written whole then renamed, so that two sandboxes starting at once never read half a file. */
function writeAtomically(path: string, text: string, mode: number): void {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, text, { mode });
  renameSync(temporary, path);
}

/** The certificate from `dir` (made there when missing or expiring), or a fresh one in memory. */
export async function loadOrCreateTls(dir?: string): Promise<SandboxTls> {
  if (!dir) return generateTls();
  const statePath = join(dir, 'tls.json');
  const caPath = join(dir, 'ca.pem');
  try {
    const stored = JSON.parse(readFileSync(statePath, 'utf8')) as Partial<SandboxTls>;
    if (stillValid(stored)) return { key: stored.key, cert: stored.cert, ca: stored.ca, caPath };
  } catch {
    // Missing or unreadable: made anew below.
  }
  const tls = await generateTls();
  mkdirSync(dir, { recursive: true });
  // The CA's own key is never kept: nothing can sign another certificate with it later.
  writeAtomically(statePath, JSON.stringify({ key: tls.key, cert: tls.cert, ca: tls.ca }), 0o600);
  writeAtomically(caPath, tls.ca, 0o644);
  return { ...tls, caPath };
}
