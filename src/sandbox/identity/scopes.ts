/**
 * Scope strings to a resource and its permissions, as the identity platform reads them: bare names
 * (`Mail.Send`) mean Graph, `{resource}/name` names the resource (this sandbox's origin is Graph, an
 * `api://…` id an API app from the seed), `/.default` asks for everything granted; one resource per
 * request; `openid profile email offline_access` belong to no resource.
 */
import type { Directory } from '../directory.js';
import type { Resource } from '../state.js';
import { aad } from './errors.js';

export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

export interface ParsedScopes {
  /** Every scope as asked for. */
  scopes: string[];
  oidc: string[];
  resource: Resource;
  /** The resource's permission names asked for (short, as in `scp`), or `.default`. */
  permissions: string[];
  isDefault: boolean;
}

export interface ScopeContext {
  directory: Directory;
  tenantName: string;
  /** Whether an origin is this sandbox's (and so the Graph resource). */
  isGraph(resource: string): boolean;
  requestOrigin: string;
}

export function parseScopes(scopeParam: string, context: ScopeContext): ParsedScopes {
  const scopes = scopeParam.split(/\s+/).filter(Boolean);
  const oidc: string[] = [];
  const permissions: string[] = [];
  let resource: Resource | undefined;
  let resourceKey: string | undefined;
  for (const scope of scopes) {
    if (OIDC_SCOPES.includes(scope.toLowerCase())) {
      oidc.push(scope.toLowerCase());
      continue;
    }
    const slash = scope.lastIndexOf('/');
    const name = slash < 0 ? scope : scope.slice(slash + 1);
    const resourceId = slash < 0 ? null : scope.slice(0, slash).replace(/\/+$/, '');
    let next: Resource;
    if (resourceId === null || context.isGraph(resourceId)) {
      next = { kind: 'graph', audience: resourceId ?? context.requestOrigin };
    } else {
      const api = context.directory.apiByResource(resourceId);
      if (!api) throw aad.unknownResource(resourceId, context.tenantName);
      next = { kind: 'api', audience: api.clientId, clientId: api.clientId };
    }
    const key = next.kind === 'graph' ? 'graph' : next.clientId.toLowerCase();
    if (resourceKey !== undefined && resourceKey !== key) throw aad.manyResources(scopeParam);
    // Bare names and this origin are the same resource; the first explicit origin names the audience.
    if (!resource || (resource.kind === 'graph' && resourceId !== null)) resource = next;
    resourceKey = key;
    if (!name) throw aad.invalidScope(scope);
    permissions.push(name);
  }
  const isDefault = permissions.some((name) => name === '.default');
  if (isDefault && permissions.length > 1) throw aad.invalidScope(scopeParam);
  return { scopes, oidc, resource: resource ?? { kind: 'graph', audience: context.requestOrigin }, permissions, isDefault };
}

/** The app's granted delegated permissions on that resource, as short names. */
export function grantedDelegated(delegatedPermissions: string[], resource: Resource, apiIdentifiers: string[]): string[] {
  const granted: string[] = [];
  for (const permission of delegatedPermissions) {
    if (OIDC_SCOPES.includes(permission.toLowerCase())) continue;
    const slash = permission.lastIndexOf('/');
    if (slash < 0) {
      if (resource.kind === 'graph') granted.push(permission);
    } else if (resource.kind === 'api' && apiIdentifiers.some((id) => id.toLowerCase() === permission.slice(0, slash).toLowerCase())) {
      granted.push(permission.slice(slash + 1));
    }
  }
  return granted;
}
