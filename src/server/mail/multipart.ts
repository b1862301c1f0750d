/**
 * `multipart/form-data` for `POST /send`: a `message` part (JSON) and one file part per attachment,
 * each streamed to a spool file as it arrives (never buffered whole), with limits on the number of
 * parts, each file's size and the total, and a clear error for each.
 */
import busboy from 'busboy';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MailInputError, tooLarge, type OwnedFileInput, type SizeLimits } from './attachments.js';

export interface MultipartLimits extends SizeLimits {
  maxFiles: number;
  maxMessageJsonBytes: number;
}

export interface MultipartBody {
  message: unknown;
  files: OwnedFileInput[];
  /** The spool folder; remove it once the files are moved (or on failure). */
  spoolDir: string;
}

export async function readMultipart(request: Request, spoolDir: string, limits: MultipartLimits): Promise<MultipartBody> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!request.body) throw new MailInputError([{ path: 'message', message: 'The request has no body.' }]);
  await mkdir(spoolDir, { recursive: true });
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
  };
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      limits: {
        files: limits.maxFiles,
        fileSize: limits.maxAttachmentBytes,
        fields: 5,
        fieldSize: limits.maxMessageJsonBytes,
        parts: limits.maxFiles + 5,
      },
    });
  } catch {
    throw new MailInputError([{ path: 'message', message: 'The multipart body has no boundary: send it as multipart/form-data.' }]);
  }
  let messageText: string | undefined;
  const files: OwnedFileInput[] = [];
  const writes: Promise<unknown>[] = [];
  let total = 0;

  parser.on('field', (name, value, info) => {
    if (name !== 'message') return;
    if (info.valueTruncated) fail(new MailInputError([{ path: 'message', message: `The message part is larger than ${limits.maxMessageJsonBytes} bytes.` }], 413));
    messageText = value;
  });
  parser.on('file', (name, stream, info) => {
    const index = files.length;
    const path = join(spoolDir, String(index));
    const fieldPath = `attachments.${index}`;
    if (name === 'message') {
      // A client that sends the message JSON as a file part (curl -F message=@file.json) is fine too.
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= limits.maxMessageJsonBytes) chunks.push(chunk);
        else fail(new MailInputError([{ path: 'message', message: `The message part is larger than ${limits.maxMessageJsonBytes} bytes.` }], 413));
      });
      stream.on('end', () => {
        messageText = Buffer.concat(chunks).toString('utf8');
      });
      return;
    }
    files.push({ name: info.filename ?? '', contentType: info.mimeType || 'application/octet-stream', path, owned: true });
    stream.on('limit', () => fail(tooLarge(fieldPath, limits, 'file')));
    // Past a limit the rest of the part is read and dropped, so that the parser keeps going.
    const guard = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        total += chunk.length;
        if (total > limits.maxMessageBytes) fail(tooLarge(fieldPath, limits, 'message'));
        callback(null, failure ? undefined : chunk);
      },
    });
    writes.push(pipeline(stream, guard, createWriteStream(path)).catch((error: Error) => fail(error)));
  });
  parser.on('filesLimit', () => fail(new MailInputError([{ path: 'attachments', message: `At most ${limits.maxFiles} files per message.` }], 413)));
  parser.on('partsLimit', () => fail(new MailInputError([{ path: 'attachments', message: 'The request has too many parts.' }], 413)));

  try {
    await pipeline(Readable.fromWeb(request.body as import('node:stream/web').ReadableStream<Uint8Array>), parser);
    await Promise.all(writes);
  } catch (error) {
    fail(error instanceof MailInputError ? error : new MailInputError([{ path: 'message', message: 'The multipart body could not be read.' }]));
  }
  if (!failure && messageText === undefined) {
    fail(new MailInputError([{ path: 'message', message: 'The multipart body needs a "message" part with the message as JSON.' }]));
  }
  let message: unknown;
  if (!failure) {
    try {
      message = JSON.parse(messageText!);
    } catch {
      fail(new MailInputError([{ path: 'message', message: 'The "message" part is not valid JSON.' }]));
    }
  }
  if (!failure) {
    const unnamed = files.findIndex((file) => !file.name);
    if (unnamed >= 0) fail(new MailInputError([{ path: `attachments.${unnamed}.name`, message: 'Each file part needs a file name.' }]));
  }
  if (failure) {
    await rm(spoolDir, { recursive: true, force: true });
    throw failure;
  }
  return { message, files, spoolDir };
}
