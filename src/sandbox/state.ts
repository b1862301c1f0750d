/**
 * Everything the sandbox remembers, in memory: the directory from the seed, sign-in state (codes,
 * refresh tokens, the control API's session), mailboxes, upload sessions, the ledger and the faults.
 * `reset()` returns to the seed and the start-up settings.
 */
import { Directory } from './directory.js';
import { FaultTable } from './faults.js';
import { RequestLedger } from './ledger.js';
import type { Seed } from './seed.js';
import { settingsFromEnv, type SandboxSettings } from './settings.js';
import type { Delivery, StoredMessage } from './graph/messages.js';

/** A resource tokens are issued for: Graph (this origin) or an `api` app from the seed. */
export type Resource = { kind: 'graph'; audience: string } | { kind: 'api'; audience: string; clientId: string };

export interface AuthorizeRequest {
  tenantSegment: string;
  tenantId: string;
  clientId: string;
  redirectUri: string;
  /** Scopes as asked for, in order (OIDC ones included). */
  scopes: string[];
  resource: Resource;
  /** The resource's permissions asked for, short names for Graph, as they go into `scp`. */
  permissions: string[];
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  responseMode: 'query' | 'fragment' | 'form_post';
  clientInfo: boolean;
}

export interface CodeGrant {
  request: AuthorizeRequest;
  userId: string;
  expiresAt: number;
  used: boolean;
}

/** A consent grant of one user to one app: what refresh tokens hang off, and what revocation ends. */
export interface Grant {
  id: string;
  userId: string;
  clientId: string;
  tenantId: string;
  revoked: boolean;
}

export interface RefreshToken {
  grantId: string;
  clientId: string;
  scopes: string[];
  resource: Resource;
  permissions: string[];
  issuedAt: number;
  expiresAt: number;
  redeemed: boolean;
}

export interface UploadSession {
  id: string;
  token: string;
  message: StoredMessage;
  name: string;
  contentType: string;
  isInline: boolean;
  size: number;
  chunks: Buffer[];
  received: number;
  expiresAt: number;
}

export interface MailboxStats {
  inFlight: number;
  maxInFlight: number;
  requests: number;
  throttled: number;
}

export class SandboxState {
  readonly directory: Directory;
  readonly settings: SandboxSettings;
  readonly ledger = new RequestLedger();
  readonly faults = new FaultTable();
  /** The origins this sandbox is reached on; all of them count as the Graph resource. */
  readonly origins = new Set<string>();
  /**
   * The HTTPS port, when the sandbox also listens on HTTPS: tokens and discovery then name the HTTPS
   * origin as issuer whichever scheme the request came in on, as the real issuer is always `https`,
   * so a token fetched over HTTP validates against the discovery document read over HTTPS and back.
   */
  httpsPort: number | null = null;

  /** `POST /sandbox/session`: the user every authorize request signs in at once. */
  sessionUserId: string | null = null;
  /** Authorize requests between the sign-in page and the consent page, by an opaque context id. */
  readonly pendingAuthorize = new Map<string, { request: AuthorizeRequest; userId?: string; expiresAt: number }>();
  readonly codes = new Map<string, CodeGrant>();
  readonly grants = new Map<string, Grant>();
  readonly refreshTokens = new Map<string, RefreshToken>();
  /** Messages by their current id. */
  readonly messages = new Map<string, StoredMessage>();
  deliveries: Delivery[] = [];
  readonly uploads = new Map<string, UploadSession>();
  readonly mailboxStats = new Map<string, MailboxStats>();
  /** Pending moves of sent drafts (the send lag), cancelled by reset and close. */
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly seed: Seed,
    private readonly startSettings: SandboxSettings = settingsFromEnv(),
  ) {
    this.directory = new Directory(seed);
    this.settings = { ...startSettings };
  }

  /** The issuer origin for a request origin: the same host name, on HTTPS when the sandbox has it. */
  issuerOrigin(requestOrigin: string): string {
    if (this.httpsPort === null) return requestOrigin;
    const url = new URL(requestOrigin);
    return `https://${url.hostname}:${this.httpsPort}`;
  }

  later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
  }

  statsFor(mailboxId: string): MailboxStats {
    let stats = this.mailboxStats.get(mailboxId);
    if (!stats) this.mailboxStats.set(mailboxId, (stats = { inFlight: 0, maxInFlight: 0, requests: 0, throttled: 0 }));
    return stats;
  }

  /** Stops the pending timers (the process can exit; a reset drops pending sends). */
  stopTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  reset(): void {
    this.stopTimers();
    Object.assign(this.settings, this.startSettings);
    this.ledger.clear();
    this.faults.clear();
    this.sessionUserId = null;
    this.pendingAuthorize.clear();
    this.codes.clear();
    this.grants.clear();
    this.refreshTokens.clear();
    this.messages.clear();
    this.deliveries = [];
    this.uploads.clear();
    // Requests still in flight keep their slots; only the history goes.
    for (const [id, stats] of this.mailboxStats) {
      if (stats.inFlight === 0) this.mailboxStats.delete(id);
      else Object.assign(stats, { maxInFlight: stats.inFlight, requests: 0, throttled: 0 });
    }
  }
}
