/**
 * Attachments of queued messages in PostgreSQL, for instances that share the database and nothing else.
 *
 * The outbox still writes every attachment as a file under its own data folder first (size checks while
 * streaming, the Graph upload reads ranges of a file); on PostgreSQL it then copies the files into
 * `mail_attachment_chunks`, committed before the message row, so any instance can send the message. An
 * instance that claims a message whose files it does not have writes them back from the chunks first;
 * its local files are then only a cache. Chunks of 1 MiB keep both copies streaming: a 150 MB message
 * never sits in memory.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type pg from 'pg';
import { withTransaction } from '../store/pg-transaction.js';
import type { SharedAttachments } from './store.js';

const CHUNK_BYTES = 1024 * 1024;
/** Chunks read per query while a file is written back. */
const CHUNKS_PER_READ = 4;

export class PgAttachments implements SharedAttachments {
  constructor(private readonly pool: pg.Pool) {}

  async put(messageId: string, files: ReadonlyArray<{ part: number; path: string }>, now: number): Promise<void> {
    await withTransaction(this.pool, async (client) => {
      for (const { part, path } of files) {
        let chunk = 0;
        for await (const data of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
          await client.query('INSERT INTO mail_attachment_chunks (message_id, part, chunk, data, created_at) VALUES ($1, $2, $3, $4, $5)', [messageId, part, chunk, data, now]);
          chunk += 1;
        }
        // An empty file is one empty chunk: "stored" and "missing" stay distinguishable.
        if (chunk === 0) await client.query('INSERT INTO mail_attachment_chunks (message_id, part, chunk, data, created_at) VALUES ($1, $2, 0, $3, $4)', [messageId, part, Buffer.alloc(0), now]);
      }
    });
  }

  async restore(messageId: string, part: number, target: string): Promise<boolean> {
    await mkdir(dirname(target), { recursive: true });
    // Written beside the target and renamed, so a reader never sees half a file under its name.
    const partial = `${target}.partial`;
    const handle = await open(partial, 'w');
    let found = false;
    try {
      for (let next = 0; ; ) {
        const { rows } = await this.pool.query<{ chunk: number; data: Buffer }>(
          'SELECT chunk, data FROM mail_attachment_chunks WHERE message_id = $1 AND part = $2 AND chunk >= $3 ORDER BY chunk LIMIT $4',
          [messageId, part, next, CHUNKS_PER_READ],
        );
        for (const row of rows) {
          if (row.chunk !== next) throw new Error(`Attachment ${part} of message ${messageId} misses chunk ${next} in the database.`);
          await handle.write(row.data);
          next += 1;
          found = true;
        }
        if (rows.length < CHUNKS_PER_READ) break;
      }
    } finally {
      await handle.close();
    }
    if (!found) {
      await rm(partial, { force: true });
      return false;
    }
    await rename(partial, target);
    return true;
  }

  async remove(messageId: string): Promise<void> {
    await this.pool.query('DELETE FROM mail_attachment_chunks WHERE message_id = $1', [messageId]);
  }

  async has(messageId: string): Promise<boolean> {
    const { rows } = await this.pool.query('SELECT 1 FROM mail_attachment_chunks WHERE message_id = $1 LIMIT 1', [messageId]);
    return rows.length > 0;
  }

  async removeOrphans(before: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      'DELETE FROM mail_attachment_chunks c WHERE c.created_at < $1 AND NOT EXISTS (SELECT 1 FROM mail_outbox o WHERE o.id = c.message_id)',
      [before],
    );
    return rowCount ?? 0;
  }
}
