/**
 * What the token service throws. Both shapes are what the outbox, the keep-alive and the test report
 * read: `code`, `message`, `hint` (the server's own words) and, for refusals of the identity platform,
 * `status` and the parsed `body` (kept in memory for the test report's explanation; never logged, never
 * sent to a browser).
 */
import type { Diagnosis } from '../../services/diagnostics.js';

/** A state the server explains itself: not configured, needs reconnect, credential unreadable, … */
export class TokenServiceError extends Error {
  override name = 'TokenServiceError';
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
    readonly diagnosis?: Diagnosis,
  ) {
    super(message);
  }
}

/** The identity platform answered with an error (`invalid_grant`, AADSTS7000215, …). */
export class TokenRequestError extends Error {
  override name = 'TokenRequestError';
  readonly code: string;
  readonly hint: string;
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly diagnosis: Diagnosis,
  ) {
    super(diagnosis.message);
    this.code = diagnosis.code;
    this.hint = diagnosis.hint;
  }

  /** The OAuth `error` of the answer (`invalid_grant`, `invalid_client`, …). */
  get oauthError(): string | undefined {
    const error = (this.body as { error?: unknown } | null)?.error;
    return typeof error === 'string' ? error : undefined;
  }

  /** Keeps the upstream body out of JSON (logs, responses). */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, hint: this.hint, status: this.status };
  }
}

export const notConfigured = () =>
  new TokenServiceError(
    'NOT_CONFIGURED',
    'The mail settings are not saved yet, or their Domain is not offered by this server.',
    'Open the e-mail configuration, fill it in and save it.',
  );

export const notConnected = () =>
  new TokenServiceError('NOT_CONNECTED', 'No mailbox is connected.', 'Choose "Connect" and sign in with the mailbox that sends the mail.');

export const needsReconnect = (reason?: string) =>
  new TokenServiceError(
    'NEEDS_RECONNECT',
    reason ? `The connected mailbox must sign in again: ${reason}` : 'The connected mailbox must sign in again.',
    'Choose "Connect" again and sign in with the mailbox account. Mail waits in the outbox until then.',
  );
