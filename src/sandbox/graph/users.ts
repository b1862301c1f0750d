/**
 * The directory part of Graph: `/me`, `/users/{id | upn}` and `/users?$filter=…`, with the
 * directory's own permission error (`Authorization_RequestDenied`) as the real service answers it.
 */
import type { SandboxContext } from '../context.js';
import type { SeedUser } from '../seed.js';
import type { SandboxState } from '../state.js';
import { select } from './messages.js';
import { allows, type Caller } from './auth.js';
import { graph, graphJson } from './respond.js';
import { matchesFilter, parseFilter, topOf } from './query.js';

const FILTERABLE = ['id', 'userPrincipalName', 'mail', 'displayName'] as const;

export function userJson(user: SeedUser): Record<string, unknown> {
  const [givenName, ...rest] = user.displayName.replace(/\s*\(.*\)\s*$/, '').split(' ');
  return {
    businessPhones: [],
    displayName: user.displayName,
    givenName: givenName || null,
    jobTitle: null,
    mail: user.mail || null,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: 'en-US',
    surname: rest.join(' ') || null,
    userPrincipalName: user.userPrincipalName,
    id: user.id,
  };
}

const entity = (c: SandboxContext, user: SeedUser) =>
  graphJson(select({ '@odata.context': `${c.get('origin')}/v1.0/$metadata#users/$entity`, ...userJson(user) }, c.req.query('$select')));

export function getMe(c: SandboxContext, caller: Caller): Response {
  if (caller.kind === 'app' || !caller.user) throw graph.meNeedsUser();
  if (!allows(caller, 'readSelf')) throw graph.directoryDenied();
  return entity(c, caller.user);
}

export function getUser(c: SandboxContext, state: SandboxState, caller: Caller, idOrUpn: string): Response {
  const user = state.directory.user(idOrUpn, caller.tenantId);
  const self = caller.kind === 'delegated' && !!user && user.id === caller.user?.id;
  if (!(self ? allows(caller, 'readSelf') : allows(caller, 'readUsers'))) throw graph.directoryDenied();
  if (!user) throw graph.userNotFound(idOrUpn);
  return entity(c, user);
}

export function listUsers(c: SandboxContext, state: SandboxState, caller: Caller): Response {
  if (!allows(caller, 'readUsers')) throw graph.directoryDenied();
  const filter = c.req.query('$filter');
  const clauses = filter ? parseFilter(filter) : [];
  const users = state.directory
    .usersOf(caller.tenantId)
    .map(userJson)
    .filter((json) => matchesFilter(json, clauses, FILTERABLE))
    .slice(0, topOf(c, 100))
    .map((json) => select(json, c.req.query('$select')));
  return graphJson({ '@odata.context': `${c.get('origin')}/v1.0/$metadata#users`, value: users });
}
