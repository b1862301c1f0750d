/**
 * The certificate credential: checks that the private key belongs to the certificate and is RSA (the
 * identity platform signs client assertions with RS256/PS256), and derives what the server keeps in
 * clear: the thumbprints (public), the expiry, and a hint.
 */
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import type { Issue } from '../../services/schemas.js';

export interface CertificateFacts {
  certificatePem: string;
  /** SHA-256 of the DER certificate, base64url: the `x5t#S256` header of client assertions. */
  thumbprintS256: string;
  /** SHA-1 thumbprint in hex, as the Azure portal lists it. */
  thumbprintSha1: string;
  expiresAt: string;
  hint: string;
}

export function inspectCertificate(certificatePem: string, privateKeyPem: string): { facts?: CertificateFacts; issues: Issue[] } {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    return { issues: [{ path: 'certificate.certificatePem', key: 'certificate.pem' }] };
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    return { issues: [{ path: 'certificate.privateKeyPem', key: 'privateKey.pem' }] };
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') {
    return { issues: [{ path: 'certificate.privateKeyPem', key: 'certificate.rsaOnly' }] };
  }
  if (!certificate.checkPrivateKey(key)) {
    return { issues: [{ path: 'certificate.privateKeyPem', key: 'certificate.keyMismatch' }] };
  }
  const sha1 = createHash('sha1').update(certificate.raw).digest('hex').toUpperCase();
  return {
    issues: [],
    facts: {
      certificatePem: certificate.toString().trim(),
      thumbprintS256: createHash('sha256').update(certificate.raw).digest('base64url'),
      thumbprintSha1: sha1,
      expiresAt: new Date(certificate.validTo).toISOString(),
      hint: `…${sha1.slice(-4)}`,
    },
  };
}

/** English texts of the keys above that the shared message table does not have. */
export const CERTIFICATE_MESSAGES_EN: Record<string, string> = {
  'certificate.rsaOnly': 'Private key (PEM) must be an RSA key: the identity platform accepts client assertions signed with RSA only.',
  'certificate.keyMismatch': 'Private key (PEM) does not belong to this certificate. Paste the key that was created with the certificate.',
};
