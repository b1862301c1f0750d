/** How the log's filters read, shared by the server's store and the MemoryAdapter. */
import type { LogQuery } from './contract.js';

/** Date filters: `from` inclusive, `to` exclusive, and a bare date (`2026-11-25`) covers its whole day. */
export function dateBounds(query: Pick<LogQuery, 'from' | 'to'>): { from?: number; to?: number } {
  const bounds: { from?: number; to?: number } = {};
  if (query.from) bounds.from = Date.parse(query.from);
  if (query.to) {
    const to = Date.parse(query.to);
    bounds.to = /^\d{4}-\d{2}-\d{2}$/.test(query.to.trim()) ? to + 86_400_000 : to;
  }
  return bounds;
}
