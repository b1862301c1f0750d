/**
 * Injected faults (`POST /sandbox/faults`): a matching request gets the fault's answer instead of
 * the real one, or after the real one took effect (`afterDelivery`), or only later (`delayMs`).
 */
export interface FaultSpec {
  match: { method?: string; path: string };
  /** The answer's status; without it the fault only delays the real answer. */
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /** How many matching requests it applies to; unlimited when absent. */
  times?: number;
  /** Matching requests to let through untouched before the fault applies. */
  skip?: number;
  afterDelivery?: boolean;
}

export interface Fault extends FaultSpec {
  id: number;
  pattern: RegExp;
  applied: number;
  skipped: number;
}

export function parseFault(json: unknown, id: number): Fault | string {
  const spec = json as FaultSpec | null;
  if (!spec || typeof spec !== 'object' || !spec.match || typeof spec.match.path !== 'string') {
    return 'A fault needs match.path (a regular expression tested against the request path).';
  }
  let pattern: RegExp;
  try {
    pattern = new RegExp(spec.match.path);
  } catch (error) {
    return `match.path is not a regular expression: ${(error as Error).message}`;
  }
  if (spec.match.method !== undefined && typeof spec.match.method !== 'string') return 'match.method must be a string.';
  if (spec.status !== undefined && (!Number.isInteger(spec.status) || spec.status < 200 || spec.status > 599)) return 'status must be an HTTP status (200–599).';
  if (spec.status === undefined && !spec.delayMs) return 'A fault needs a status, a delayMs, or both.';
  for (const key of ['delayMs', 'times', 'skip'] as const) {
    const value = spec[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) return `${key} must be a number ≥ 0.`;
  }
  if (spec.headers !== undefined && (typeof spec.headers !== 'object' || spec.headers === null)) return 'headers must be an object of strings.';
  return { ...spec, id, pattern, applied: 0, skipped: 0 };
}

export class FaultTable {
  private faults: Fault[] = [];
  private nextId = 1;

  add(json: unknown): Fault | string {
    const fault = parseFault(json, this.nextId);
    if (typeof fault === 'string') return fault;
    this.nextId += 1;
    this.faults.push(fault);
    return fault;
  }

  /** The first live fault for this request, counted as used; `skip` lets the first matches through. */
  take(method: string, path: string): Fault | undefined {
    for (const fault of this.faults) {
      if (fault.match.method && fault.match.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!fault.pattern.test(path)) continue;
      if (fault.times !== undefined && fault.applied >= fault.times) continue;
      if (fault.skipped < (fault.skip ?? 0)) {
        fault.skipped += 1;
        return undefined;
      }
      fault.applied += 1;
      return fault;
    }
    return undefined;
  }

  list(): Array<Omit<Fault, 'pattern'>> {
    return this.faults.map(({ pattern: _pattern, ...rest }) => rest);
  }

  clear(): number {
    const count = this.faults.length;
    this.faults = [];
    return count;
  }
}
