/**
 * Which mailbox a request is about (`/me` or `/users/{id | upn | address}`), whether the caller may
 * reach it, and Exchange's per-mailbox concurrency limit (429 ApplicationThrottled past it).
 */
import { hasMailbox } from '../directory.js';
import type { SeedUser } from '../seed.js';
import type { SandboxState } from '../state.js';
import { allows, type Caller, type Need } from './auth.js';
import { graph } from './respond.js';

/** `['me']` or `['users', idOrUpn]`: the owner part of a path, already percent-decoded. */
export type Owner = { me: true } | { me: false; id: string };

/** The mailbox owner for a mail operation, with the permission check for `need`. */
export function mailboxFor(state: SandboxState, caller: Caller, owner: Owner, need: Need): SeedUser {
  let user: SeedUser | undefined;
  if (owner.me) {
    if (caller.kind === 'app' || !caller.user) throw graph.meNeedsUser();
    user = caller.user;
  } else {
    user = state.directory.user(owner.id, caller.tenantId) ?? state.directory.mailboxByAddress(owner.id, caller.tenantId);
    if (!user) throw graph.invalidUser(owner.id);
  }
  if (!allows(caller, need, user.id)) throw graph.accessDenied();
  // A delegated caller reaches another mailbox only where the seed gives them rights on it; a send
  // there is refused as Exchange refuses a submission without Send As (or Send on Behalf).
  if (caller.kind === 'delegated' && caller.user && user.id !== caller.user.id && !delegateOf(caller.user, user)) {
    throw need === 'mailSend' ? graph.sendAsDenied() : graph.accessDenied();
  }
  if (!hasMailbox(user)) throw graph.noMailbox();
  return user;
}

const delegateOf = (caller: SeedUser, mailbox: SeedUser): boolean =>
  (caller.sendAs ?? []).some((address) => [mailbox.mail, mailbox.userPrincipalName].some((own) => own && own.toLowerCase() === address.toLowerCase()));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` holding one of the mailbox's concurrency slots; past the limit, answers 429 at once.
 * `graphLatencyMs` keeps the slot busy for that long, so a client's own limit can be observed.
 */
export async function withMailboxSlot<T>(state: SandboxState, mailboxId: string, work: () => Promise<T> | T): Promise<T> {
  const stats = state.statsFor(mailboxId);
  const limit = state.settings.mailboxConcurrency;
  if (limit > 0 && stats.inFlight >= limit) {
    stats.throttled += 1;
    throw graph.throttled();
  }
  stats.inFlight += 1;
  stats.requests += 1;
  stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
  try {
    if (state.settings.graphLatencyMs > 0) await sleep(state.settings.graphLatencyMs);
    return await work();
  } finally {
    stats.inFlight -= 1;
  }
}
