/**
 * The small part of OData the sandbox reads: request bodies as JSON within Graph's size limit,
 * `$filter` as `prop eq 'value'` clauses joined by `and`, `$top`.
 */
import type { SandboxContext } from '../context.js';
import { GraphError, graph } from './respond.js';

/** Graph's JSON request limit is 4 MB; base64 of a 3 MB inline attachment needs a little more. */
export const JSON_BODY_LIMIT = 4.5 * 1024 * 1024;

export async function readJson(c: SandboxContext, options: { optional?: boolean } = {}): Promise<unknown> {
  const length = Number(c.req.header('content-length') ?? NaN);
  if (Number.isFinite(length) && length > JSON_BODY_LIMIT) throw graph.tooLarge(4 * 1024 * 1024);
  const text = await c.req.text();
  if (text.length > JSON_BODY_LIMIT) throw graph.tooLarge(4 * 1024 * 1024);
  if (text.trim() === '') {
    if (options.optional) return undefined;
    throw new GraphError(400, 'ErrorInvalidRequest', 'Empty Payload. JSON content expected.');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw graph.badJson();
  }
}

export interface FilterClause {
  property: string;
  value: string | boolean;
}

/** `a eq 'x' and b eq true`; anything else is refused, as a filter the service does not support. */
export function parseFilter(filter: string): FilterClause[] {
  const clauses: FilterClause[] = [];
  const pattern = /^\s*([A-Za-z][A-Za-z0-9]*)\s+eq\s+(?:'((?:[^']|'')*)'|(true|false))\s*(?:and\s+|$)/i;
  let rest = filter;
  while (rest.trim() !== '') {
    const match = pattern.exec(rest);
    if (!match) throw graph.badFilter(filter);
    clauses.push({ property: match[1], value: match[2] !== undefined ? match[2].replace(/''/g, "'") : match[3].toLowerCase() === 'true' });
    rest = rest.slice(match[0].length);
  }
  if (clauses.length === 0) throw graph.badFilter(filter);
  return clauses;
}

/** Whether a JSON object satisfies every clause (strings compared case-insensitively, as Graph does). */
export function matchesFilter(json: Record<string, unknown>, clauses: FilterClause[], properties: readonly string[]): boolean {
  return clauses.every(({ property, value }) => {
    const key = properties.find((name) => name.toLowerCase() === property.toLowerCase());
    if (!key) throw new GraphError(400, 'BadRequest', `Could not find a property named '${property}' on type 'microsoft.graph.entity' that the sandbox can filter on.`);
    const actual = json[key];
    if (typeof value === 'boolean') return actual === value;
    return typeof actual === 'string' && actual.toLowerCase() === value.toLowerCase();
  });
}

export function topOf(c: SandboxContext, fallback: number): number {
  const raw = c.req.query('$top');
  if (raw === undefined) return fallback;
  const top = Number(raw);
  if (!Number.isInteger(top) || top < 1) throw new GraphError(400, 'BadRequest', `Invalid $top value '${raw}'.`);
  return Math.min(top, 1000);
}
