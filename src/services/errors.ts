/**
 * Typed errors every adapter throws, so that elements branch on a class, never on message text.
 */
import type { Problem } from './contract.js';

export interface FieldError {
  /** Dotted field path, e.g. `tenantId` or `endpoints.graphEndpoint`. */
  path: string;
  message: string;
  /** Translation key when the error came from a shared schema (the element shows its own text). */
  key?: string;
}

export class BackendError extends Error {
  override name = 'BackendError';
  constructor(
    message: string,
    readonly status = 0,
    readonly problem?: Problem,
  ) {
    super(message);
  }
}

/** 400: the request did not validate; `errors` name the fields. */
export class ValidationProblem extends BackendError {
  override name = 'ValidationProblem';
  constructor(
    readonly errors: FieldError[],
    problem?: Problem,
  ) {
    super(problem?.detail ?? problem?.title ?? 'Some fields need attention.', 400, problem);
  }
}

/** 409: a locked field changed while connected, or the state does not allow the action. */
export class ConflictError extends BackendError {
  override name = 'ConflictError';
  constructor(message: string, problem?: Problem) {
    super(message, 409, problem);
  }
}

/** 412: the etag sent with a save is stale; someone else saved in between. */
export class StaleError extends BackendError {
  override name = 'StaleError';
  constructor(message: string, problem?: Problem) {
    super(message, 412, problem);
  }
}

/** A failure of Microsoft's services (or the sandbox), mapped to a code, hint and ids. */
export class UpstreamFailure extends BackendError {
  override name = 'UpstreamFailure';
  constructor(
    message: string,
    readonly code: string,
    readonly hint: string,
    readonly requestId?: string,
    readonly correlationId?: string,
    status = 502,
    problem?: Problem,
  ) {
    super(message, status, problem);
  }
}

/**
 * 401 or 403: the admin API refused the caller; or, with `signIn`, no request was made because the
 * access-token provider had no token yet (nobody signed in, or the sign-in was cancelled).
 */
export class UnauthorizedError extends BackendError {
  override name = 'UnauthorizedError';
  constructor(
    message: string,
    status = 401,
    problem?: Problem,
    readonly signIn = false,
  ) {
    super(message, status, problem);
  }
}

/** 429: too many requests (test sends are rate-limited). */
export class RateLimitedError extends BackendError {
  override name = 'RateLimitedError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number | undefined,
    problem?: Problem,
  ) {
    super(message, 429, problem);
  }
}

/** The server could not be reached (offline, DNS, CORS refusal, server down). */
export class NetworkError extends BackendError {
  override name = 'NetworkError';
  constructor(message: string, override readonly cause?: unknown) {
    super(message, 0);
  }
}

/** The caller aborted the request. */
export class AbortedError extends BackendError {
  override name = 'AbortedError';
  constructor() {
    super('The request was cancelled.', 0);
  }
}

export const isAbort = (error: unknown): boolean =>
  error instanceof AbortedError || (error instanceof DOMException && error.name === 'AbortError');

/** Maps a problem+json body (or its absence) to the typed error for its status. */
export function errorFromProblem(status: number, problem: Problem | undefined, retryAfter?: string | null): BackendError {
  const message = problem?.detail ?? problem?.title ?? `The server answered ${status}.`;
  if (status === 400 && problem?.errors?.length) return new ValidationProblem(problem.errors, problem);
  if (status === 401 || status === 403) return new UnauthorizedError(message, status, problem);
  if (status === 409) return new ConflictError(message, problem);
  if (status === 412) return new StaleError(message, problem);
  if (status === 429) {
    const seconds = retryAfter ? Number(retryAfter) : undefined;
    return new RateLimitedError(message, Number.isFinite(seconds) ? seconds : undefined, problem);
  }
  if (problem?.code) {
    return new UpstreamFailure(
      message,
      problem.code,
      problem.hint ?? '',
      problem.requestId,
      problem.correlationId,
      status,
      problem,
    );
  }
  if (status === 400) return new ValidationProblem([], problem);
  return new BackendError(message, status, problem);
}
