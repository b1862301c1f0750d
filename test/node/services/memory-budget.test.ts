// The MemoryAdapter's send budget on the log page: as the reference server shows it, from the sent and
// sending rows of the last 24 hours; none when off.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LogEntry } from '../../../src/services/contract.js';
import { MemoryAdapter } from '../../../src/services/memory-adapter.js';

const entry = (id: string, hoursAgo: number, status: LogEntry['status'], to: string[]): LogEntry => ({
  id,
  createdAt: new Date(Date.now() - hoursAgo * 3_600_000).toISOString(),
  to,
  subject: `Message ${id}`,
  status,
  attempts: 1,
  durationMs: 100,
  source: 'app',
});

describe('MemoryAdapter send budget', () => {
  const rows = [
    entry('a', 1, 'sent', ['a@contoso.com', 'b@contoso.com']),
    entry('b', 2, 'failed', ['c@contoso.com']),
    entry('c', 3, 'sending', ['d@contoso.com']),
    entry('d', 30, 'sent', ['e@contoso.com', 'f@contoso.com', 'g@contoso.com']),
  ];

  it('counts the recipients of the last 24 hours that were sent or are sending', async () => {
    const adapter = new MemoryAdapter({ logRows: rows, sendBudget: { messagesPerMinute: 30, recipientsPerDay: 10, recipientsUsed: 4 } });
    assert.deepEqual((await adapter.queryLog({})).budget, { messagesPerMinute: 30, recipientsPerDay: 10, recipientsLeftToday: 3 });
  });

  it("has Exchange Online's limits by default and none when off", async () => {
    assert.deepEqual((await new MemoryAdapter({ logRows: rows }).queryLog({})).budget, { messagesPerMinute: 30, recipientsPerDay: 10_000, recipientsLeftToday: 9_997 });
    assert.equal((await new MemoryAdapter({ logRows: rows, sendBudget: 'off' }).queryLog({})).budget, undefined);
  });
});
