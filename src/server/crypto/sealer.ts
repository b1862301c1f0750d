/**
 * Sealing at rest (SECURITY.md 3): AES-256-GCM from node:crypto, a fresh 96-bit IV for every write, the
 * record and field bound in as associated data (a sealed value copied to another row or field does not
 * open), and the key id written in front so that keys can rotate: the first key of the ring seals, every
 * key of the ring opens.
 *
 * Sealed text: `gm1.<keyId>.<iv>.<ciphertext+tag>` (base64url parts). Anything that does not open,
 * whatever the reason, is a `SealError`: callers fail closed and never fall back to the raw text.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const FORMAT = 'gm1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

export class SealError extends Error {
  override name = 'SealError';
}

export interface SealingKey {
  id: string;
  key: Buffer;
}

/** The keys in use: `keys[0]` seals, all open. */
export class Keyring {
  readonly keys: readonly SealingKey[];

  constructor(keys: readonly SealingKey[]) {
    if (keys.length === 0) throw new Error('A keyring needs at least one key.');
    const ids = new Set<string>();
    for (const { id, key } of keys) {
      if (!KEY_ID.test(id)) throw new Error(`The key id "${id}" is not valid: use 1 to 32 letters, digits, "-" or "_".`);
      if (key.length !== KEY_BYTES) throw new Error(`The key "${id}" must be ${KEY_BYTES} bytes (it is ${key.length}).`);
      if (ids.has(id)) throw new Error(`The key id "${id}" appears twice.`);
      ids.add(id);
    }
    this.keys = keys;
  }

  get current(): SealingKey {
    return this.keys[0];
  }

  find(id: string): SealingKey | undefined {
    return this.keys.find((candidate) => candidate.id === id);
  }
}

/** A stable id for a key given without one: the start of its SHA-256, which reveals nothing usable. */
export function derivedKeyId(key: Buffer): string {
  return `k${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;
}

function decodeKey(text: string, label: string): Buffer {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new Error(`${label} is not base64.`);
  const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== KEY_BYTES) throw new Error(`${label} must decode to ${KEY_BYTES} bytes (it decodes to ${key.length}); make one with: openssl rand -base64 32`);
  return key;
}

/**
 * Parses `GRAPH_MAIL_KEY`: one base64 key of 32 bytes, or a list `id:key,id:key,…` whose first entry
 * seals and whose others only open (rotation: put the new key first, restart, and the server re-seals).
 * Error messages never contain the key text.
 */
export function parseKeyring(value: string): Keyring {
  const entries = value
    .split(/[,\s]+/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('GRAPH_MAIL_KEY is empty.');
  const keys = entries.map((entry, index) => {
    const colon = entry.indexOf(':');
    if (colon < 0) {
      if (entries.length > 1) throw new Error('GRAPH_MAIL_KEY lists several keys: give each an id (id:key,id:key).');
      const key = decodeKey(entry, 'GRAPH_MAIL_KEY');
      return { id: derivedKeyId(key), key };
    }
    const id = entry.slice(0, colon);
    return { id, key: decodeKey(entry.slice(colon + 1), `Key ${index + 1} of GRAPH_MAIL_KEY ("${id}")`) };
  });
  return new Keyring(keys);
}

const b64 = (buffer: Buffer) => buffer.toString('base64url');

/** Associated data for a sealed value: what it is and where it belongs. */
export function sealContext(record: string, field: string): string {
  return `graph-mail|${record}|${field}`;
}

export class Sealer {
  constructor(readonly keyring: Keyring) {}

  /** Seals `plaintext` for one record and field (`context` from `sealContext`). */
  seal(plaintext: string, context: string): string {
    const { id, key } = this.keyring.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(this.aad(id, context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${FORMAT}.${id}.${b64(iv)}.${b64(body)}`;
  }

  /** Opens a sealed value; throws `SealError` for a wrong context, an unknown key or any tampering. */
  open(sealed: string, context: string): string {
    const parts = typeof sealed === 'string' ? sealed.split('.') : [];
    if (parts.length !== 4 || parts[0] !== FORMAT) throw new SealError('The sealed value is not in a known format.');
    const [, id, ivText, bodyText] = parts;
    const entry = this.keyring.find(id);
    if (!entry) throw new SealError(`The sealed value needs key "${id}", which is not in GRAPH_MAIL_KEY.`);
    const iv = Buffer.from(ivText, 'base64url');
    const body = Buffer.from(bodyText, 'base64url');
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES || b64(iv) !== ivText || b64(body) !== bodyText) {
      throw new SealError('The sealed value is damaged.');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(this.aad(id, context));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SealError('The sealed value does not open: it was changed, moved to another record, or sealed with another key.');
    }
  }

  /** Whether a sealed value was made with a key other than the current one (it should be re-sealed). */
  isStale(sealed: string): boolean {
    const id = sealed.split('.')[1];
    return id !== this.keyring.current.id;
  }

  /** Opens and seals again with the current key (rotation). */
  reseal(sealed: string, context: string): string {
    return this.seal(this.open(sealed, context), context);
  }

  private aad(keyId: string, context: string): Buffer {
    return Buffer.from(`${FORMAT}|${keyId}|${context}`, 'utf8');
  }
}
