/**
 * The request ledger (`GET /sandbox/requests`): what reached the sandbox, as received, so tests can
 * check exact paths and which headers were sent. Header values and credential-bearing query
 * parameters are never kept.
 */
export interface RecordedRequest {
  at: string;
  method: string;
  /** The path as received: still percent-encoded. */
  path: string;
  query: Record<string, string>;
  /** Lowercase names of the headers present. */
  headers: string[];
  status: number;
}

/** Query parameters whose values are credentials (the upload URL's own token among them). */
const REDACTED = new Set(['authtoken', 'client_secret', 'client_assertion', 'code', 'code_verifier', 'refresh_token', 'access_token', 'id_token']);

export function queryRecord(search: string): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(search)) {
    query[name] = REDACTED.has(name.toLowerCase()) ? '[redacted]' : value;
  }
  return query;
}

export class RequestLedger {
  private entries: RecordedRequest[] = [];

  constructor(private readonly capacity = 10_000) {}

  add(entry: RecordedRequest): void {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  list(): RecordedRequest[] {
    return this.entries;
  }

  clear(): void {
    this.entries = [];
  }
}
