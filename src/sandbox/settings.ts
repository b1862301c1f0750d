/**
 * Behaviour knobs that tests turn (`POST /sandbox/settings`): the real services' timings are too slow
 * or too fixed to test against, so each one is a setting with the real value, or close to it, by default.
 */
export interface SandboxSettings {
  /** How long a sent draft stays a draft before it moves to Sent Items and is delivered. */
  sendLagMs: number;
  /** Access token lifetime (`expires_in`). */
  tokenLifetimeS: number;
  /** Refresh token lifetime (inactivity). */
  refreshTokenLifetimeS: number;
  /** When on, presenting a refresh token that was already redeemed revokes the whole grant. */
  refreshReuseRevokes: boolean;
  /** Upload session lifetime, renewed by each accepted chunk. */
  uploadSessionLifetimeS: number;
  /** Authorization code lifetime. */
  codeLifetimeS: number;
  /** Concurrent requests per mailbox before 429 ApplicationThrottled (Outlook's limit is 4). */
  mailboxConcurrency: number;
  /** Extra time each Graph mail request holds its mailbox slot, to make concurrency observable. */
  graphLatencyMs: number;
  /**
   * Which cloud the OpenID discovery says this is (`cloud_instance_name`, `msgraph_host`): `sandbox`
   * (the default), or a national cloud a second sandbox stands in for, so that a tenant lookup can find
   * a tenant "in another cloud" offline.
   */
  nationalCloud: NationalCloud;
}

export const NATIONAL_CLOUDS = ['sandbox', 'global', 'usgov', 'usgov-dod', 'china'] as const;
export type NationalCloud = (typeof NATIONAL_CLOUDS)[number];

const nationalCloud = (value: string | undefined): NationalCloud =>
  (NATIONAL_CLOUDS as readonly string[]).includes(value ?? '') ? (value as NationalCloud) : 'sandbox';

const NUMERIC_KEYS = ['sendLagMs', 'tokenLifetimeS', 'refreshTokenLifetimeS', 'uploadSessionLifetimeS', 'codeLifetimeS', 'mailboxConcurrency', 'graphLatencyMs'] as const;

const number = (value: string | undefined, fallback: number): number => {
  const parsed = value === undefined || value === '' ? NaN : Number(value);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : fallback;
};

/** The defaults, with the environment's overrides (`SANDBOX_SEND_LAG_MS`, `SANDBOX_TOKEN_LIFETIME_S`, …). */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxSettings {
  return {
    sendLagMs: number(env.SANDBOX_SEND_LAG_MS, 1500),
    tokenLifetimeS: number(env.SANDBOX_TOKEN_LIFETIME_S, 3600),
    refreshTokenLifetimeS: number(env.SANDBOX_REFRESH_TOKEN_LIFETIME_S, 90 * 24 * 3600),
    refreshReuseRevokes: env.SANDBOX_REFRESH_REUSE_REVOKES === '1' || env.SANDBOX_REFRESH_REUSE_REVOKES === 'true',
    uploadSessionLifetimeS: number(env.SANDBOX_UPLOAD_SESSION_LIFETIME_S, 900),
    codeLifetimeS: 600,
    mailboxConcurrency: 4,
    graphLatencyMs: number(env.SANDBOX_GRAPH_LATENCY_MS, 0),
    nationalCloud: nationalCloud(env.SANDBOX_NATIONAL_CLOUD),
  };
}

/** Applies a partial update; returns an error message for an unknown key or a wrong type. */
export function patchSettings(settings: SandboxSettings, patch: unknown): string | null {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return 'The body must be a JSON object.';
  const entries = Object.entries(patch as Record<string, unknown>);
  for (const [key, value] of entries) {
    if (key === 'refreshReuseRevokes') {
      if (typeof value !== 'boolean') return 'refreshReuseRevokes must be a boolean.';
    } else if (key === 'nationalCloud') {
      if (!(NATIONAL_CLOUDS as readonly unknown[]).includes(value)) return `nationalCloud must be one of ${NATIONAL_CLOUDS.join(', ')}.`;
    } else if ((NUMERIC_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return `${key} must be a number ≥ 0.`;
    } else {
      return `Unknown setting "${key}"; known: ${[...NUMERIC_KEYS, 'refreshReuseRevokes', 'nationalCloud'].join(', ')}.`;
    }
  }
  Object.assign(settings, Object.fromEntries(entries));
  return null;
}
