/**
 * What every route needs: the state, the signing key, the token issuer, and per-request values set
 * by the outer middleware (origin, raw path, request ids).
 */
import type { Context } from 'hono';
import type { SigningKey } from './signing.js';
import type { SandboxState } from './state.js';
import type { TokenIssuer } from './identity/issue.js';

export interface SandboxEnv {
  Variables: {
    /** The origin the request came in on (http or https port, as the client named the host). */
    origin: string;
    /** The path exactly as received, percent-encoding kept. */
    rawPath: string;
    requestId: string;
    clientRequestId: string;
  };
}

export type SandboxContext = Context<SandboxEnv>;

export interface SandboxDeps {
  state: SandboxState;
  key: SigningKey;
  issuer: TokenIssuer;
}

/** Whether a resource identifier names this sandbox (and so Graph): any origin it listens on. */
export function isOwnOrigin(deps: SandboxDeps, c: SandboxContext, resource: string): boolean {
  const normalized = resource.replace(/\/+$/, '').toLowerCase();
  return normalized === c.get('origin').toLowerCase() || [...deps.state.origins].some((origin) => origin.toLowerCase() === normalized);
}
