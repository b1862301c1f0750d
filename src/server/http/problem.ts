/**
 * RFC 9457 problem details, as every route of the server answers errors, and the JSON body reader
 * with a size limit.
 */
import type { Problem } from '../../services/contract.js';
import type { FieldError } from '../../services/errors.js';

export function problem(status: number, title: string, detail?: string, extra: Partial<Problem> & Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  const body: Problem = { type: 'about:blank', title, status, ...(detail ? { detail } : {}), ...extra };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers },
  });
}

export const validationProblem = (errors: FieldError[]) => problem(400, 'Invalid request', errors[0]?.message ?? 'Some fields need attention.', { errors });

export const isJsonType = (type: string | null | undefined) => /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test((type ?? '').trim());

/** The body's bytes, or null when it is larger than `max` (read no further than that). */
export async function readBodyBytes(request: Request, max: number): Promise<Buffer | null> {
  if (Number(request.headers.get('content-length') ?? '0') > max) return null;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > max) {
        await reader.cancel();
        return null;
      }
      chunks.push(value);
    }
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a JSON body of at most `max` bytes. An empty body reads as `undefined`. `errorPath` names the
 * field a malformed body is reported on (a route with one main field points the admin at it).
 */
export async function readJsonBody(
  request: Request,
  max: number,
  { errorPath = '' }: { errorPath?: string } = {},
): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
  const bytes = await readBodyBytes(request, max);
  if (!bytes) return { ok: false, response: problem(413, 'Too large', `The request body is larger than ${max} bytes.`) };
  if (bytes.length === 0) return { ok: true, value: undefined };
  if (!isJsonType(request.headers.get('content-type'))) {
    return { ok: false, response: problem(415, 'Unsupported media type', 'Send the request body as application/json.') };
  }
  try {
    return { ok: true, value: JSON.parse(bytes.toString('utf8')) };
  } catch {
    return { ok: false, response: validationProblem([{ path: errorPath, message: 'The body is not valid JSON.' }]) };
  }
}
