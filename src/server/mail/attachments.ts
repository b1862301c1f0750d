/**
 * Attachments are files beside the store (`<dataDir>/attachments/<message id>/<n>`), never blobs in
 * it: written before the message row, size-checked while they are written, synced to disk, and named
 * by position so that no attachment name ever becomes a path.
 */
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FieldError } from '../../services/errors.js';

export type AttachmentInput =
  | { name: string; contentType?: string; path: string }
  | { name: string; contentType?: string; stream: Readable | ReadableStream<Uint8Array> }
  | { name: string; contentType?: string; contentBase64: string };

/** A file the caller hands over (a multipart part spooled to disk): moved, not copied. */
export interface OwnedFileInput {
  name: string;
  contentType?: string;
  path: string;
  owned: true;
}

export interface AttachmentRecord {
  name: string;
  contentType: string;
  size: number;
  /** Relative to the data directory. */
  file: string;
}

export interface SizeLimits {
  maxAttachmentBytes: number;
  maxMessageBytes: number;
}

/** A message the outbox refuses: field errors for a problem+json body (400, or 413 for sizes). */
export class MailInputError extends Error {
  override name = 'MailInputError';
  constructor(
    readonly errors: FieldError[],
    readonly status: 400 | 413 = 400,
  ) {
    super(errors.map((error) => `${error.path}: ${error.message}`).join('; '));
  }
}

const mb = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

export function tooLarge(path: string, limits: SizeLimits, kind: 'file' | 'message'): MailInputError {
  return new MailInputError(
    [
      kind === 'file'
        ? { path, message: `The attachment is larger than ${mb(limits.maxAttachmentBytes)}, the most Microsoft Graph accepts for one file. Share a link to the file instead.` }
        : { path, message: `The attachments together are larger than ${mb(limits.maxMessageBytes)}, this server's message size limit. Send fewer or smaller files.` },
    ],
    413,
  );
}

function counter(limit: number, onExceed: () => Error): Transform & { bytes: number } {
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      transform.bytes += chunk.length;
      if (transform.bytes > limit) callback(onExceed());
      else callback(null, chunk);
    },
  }) as Transform & { bytes: number };
  transform.bytes = 0;
  return transform;
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not every platform can sync a directory; the files themselves are synced.
  }
}

/**
 * Writes the attachments of message `id` under `dataDir`. Throws `MailInputError` (and leaves nothing
 * behind) when a name is missing or a size limit is passed.
 */
export async function storeAttachments(
  dataDir: string,
  id: string,
  inputs: ReadonlyArray<AttachmentInput | OwnedFileInput>,
  limits: SizeLimits,
): Promise<AttachmentRecord[]> {
  const relativeDir = join('attachments', id);
  const dir = join(dataDir, relativeDir);
  const records: AttachmentRecord[] = [];
  let total = 0;
  await mkdir(dir, { recursive: true });
  try {
    for (const [index, input] of inputs.entries()) {
      const path = `attachments.${index}`;
      const name = typeof input.name === 'string' ? input.name.trim() : '';
      if (!name || name.length > 255 || /[\u0000-\u001f]/.test(name)) {
        throw new MailInputError([{ path: `${path}.name`, message: 'Each attachment needs a file name (up to 255 characters, no control characters).' }]);
      }
      const contentType = (typeof input.contentType === 'string' && input.contentType.trim()) || 'application/octet-stream';
      const file = join(relativeDir, String(index));
      const target = join(dataDir, file);
      const remaining = limits.maxMessageBytes - total;
      let size: number;
      if ('contentBase64' in input) {
        const bytes = Buffer.from(input.contentBase64, 'base64');
        size = bytes.length;
        if (size > limits.maxAttachmentBytes) throw tooLarge(path, limits, 'file');
        if (size > remaining) throw tooLarge(path, limits, 'message');
        const handle = await open(target, 'w');
        try {
          await handle.writeFile(bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
      } else if ('stream' in input) {
        const source = input.stream instanceof Readable ? input.stream : Readable.fromWeb(input.stream as import('node:stream/web').ReadableStream<Uint8Array>);
        let exceeded: MailInputError | undefined;
        const count = counter(Math.min(limits.maxAttachmentBytes, remaining), () => {
          exceeded = count.bytes > limits.maxAttachmentBytes ? tooLarge(path, limits, 'file') : tooLarge(path, limits, 'message');
          return exceeded;
        });
        try {
          await pipeline(source, count, createWriteStream(target));
        } catch (error) {
          throw exceeded ?? error;
        }
        size = count.bytes;
        await syncFile(target);
      } else {
        let info;
        try {
          info = await stat(input.path);
        } catch {
          throw new MailInputError([{ path: `${path}.path`, message: `The attachment file ${input.path} cannot be read.` }]);
        }
        if (!info.isFile()) throw new MailInputError([{ path: `${path}.path`, message: `${input.path} is not a file.` }]);
        size = info.size;
        if (size > limits.maxAttachmentBytes) throw tooLarge(path, limits, 'file');
        if (size > remaining) throw tooLarge(path, limits, 'message');
        if ('owned' in input && input.owned) await rename(input.path, target);
        else await copyFile(input.path, target);
        await syncFile(target);
      }
      total += size;
      records.push({ name, contentType, size, file });
    }
    await syncDir(dir);
    return records;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export async function removeAttachments(dataDir: string, id: string): Promise<void> {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) return;
  await rm(join(dataDir, 'attachments', id), { recursive: true, force: true });
}
