/**
 * Free local ports for processes a test or benchmark starts itself. The sandbox takes a pair (HTTP and
 * HTTPS on the next port) and the demo a block of four, so a block of neighbours must all be free.
 */
import { createServer } from 'node:net';

const isFree = (port: number) =>
  new Promise<boolean>((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });

/** A free port whose next `size - 1` neighbours are free too. */
export async function freePortBlock(size: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let free = true;
    for (let offset = 0; offset < size && free; offset += 1) free = await isFree(base + offset);
    if (free) return base;
  }
  throw new Error(`no block of ${size} free ports`);
}
