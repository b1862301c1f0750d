/**
 * Where the sealing key comes from: `GRAPH_MAIL_KEY` always wins; in production mode it is required
 * (the server refuses to start without it); otherwise, for the demo and development, a key file beside
 * the store is used, and created with mode 0600 when missing, which the server says in its log.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Keyring, parseKeyring } from './sealer.js';

export class KeyConfigurationError extends Error {
  override name = 'KeyConfigurationError';
}

export interface KeySourceOptions {
  /** The value of `GRAPH_MAIL_KEY`, when set. */
  key?: string;
  /** The key file used without `key` outside production (default `<dataDir>/graph-mail.key`). */
  keyFile: string;
  production: boolean;
  log?: (message: string) => void;
}

export interface LoadedKeyring {
  keyring: Keyring;
  source: 'environment' | 'file' | 'created-file';
}

export function loadKeyring(options: KeySourceOptions): LoadedKeyring {
  const log = options.log ?? (() => {});
  if (options.key !== undefined && options.key.trim() !== '') {
    try {
      return { keyring: parseKeyring(options.key), source: 'environment' };
    } catch (error) {
      throw new KeyConfigurationError((error as Error).message);
    }
  }
  if (options.production) {
    throw new KeyConfigurationError(
      'GRAPH_MAIL_KEY is not set. In production the server needs the sealing key from the environment (32 random bytes, base64: openssl rand -base64 32) and refuses to start without it.',
    );
  }
  let text: string | undefined;
  try {
    text = readFileSync(options.keyFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new KeyConfigurationError(`The key file ${options.keyFile} could not be read: ${(error as Error).message}`);
  }
  if (text !== undefined) {
    const mode = statSync(options.keyFile).mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      // Readable by others: tighten it rather than refuse, and say so.
      chmodSync(options.keyFile, 0o600);
      log(`graph-mail: the key file ${options.keyFile} was readable by other users; its mode is now 0600.`);
    }
    try {
      return { keyring: parseKeyring(text), source: 'file' };
    } catch (error) {
      throw new KeyConfigurationError(`The key file ${options.keyFile} is not usable: ${(error as Error).message}`);
    }
  }
  mkdirSync(dirname(options.keyFile), { recursive: true });
  const key = randomBytes(32).toString('base64');
  // `wx`: never overwrite a key another process created in the meantime (its secrets would be lost).
  try {
    writeFileSync(options.keyFile, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadKeyring(options);
    throw error;
  }
  log(
    `graph-mail: created a new sealing key in ${options.keyFile} (mode 0600) because GRAPH_MAIL_KEY is not set. Fine for a demo; in production set GRAPH_MAIL_KEY instead, and keep the key: without it the stored secrets cannot be opened.`,
  );
  return { keyring: parseKeyring(key), source: 'created-file' };
}
