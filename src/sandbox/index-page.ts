/** The sandbox's home page: what it is, its tenants, apps and sign-in users, and where things are. */
import type { SandboxState } from './state.js';

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

export function indexPage(state: SandboxState, origin: string): string {
  const { seed } = state;
  const tenants = seed.tenants.map((tenant) => `<li><code>${escape(tenant.id)}</code> (${escape(tenant.domain)}) — <a href="${escape(`/${tenant.id}/v2.0/.well-known/openid-configuration`)}">OpenID configuration</a></li>`).join('');
  const apps = seed.apps.map((app) => `<li>${escape(app.displayName)}: client id <code>${escape(app.clientId)}</code>${app.kind ? ` (${escape(app.kind)})` : ''}</li>`).join('');
  const users = seed.users.map((user) => `<li><code>${escape(user.userPrincipalName)}</code> — ${escape(user.displayName)} (${escape(user.kind)})</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Graph Mail sandbox cloud</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}code{font-size:.9em}</style></head>
<body><h1>Graph Mail sandbox cloud</h1>
<p>An offline emulator of the Microsoft identity platform and of Microsoft Graph mail, for demos and tests.
Identity platform: <code>${escape(origin)}/{tenant}/oauth2/v2.0/…</code>; Graph: <code>${escape(origin)}/v1.0</code>;
Graph resource for client credentials: <code>${escape(origin)}/.default</code>.</p>
<h2>Tenants</h2><ul>${tenants}</ul><h2>App registrations</h2><ul>${apps}</ul><h2>Users</h2><ul>${users}</ul>
<h2>Control API</h2><ul><li><a href="/sandbox/seed">GET /sandbox/seed</a></li><li><a href="/sandbox/requests">GET /sandbox/requests</a></li>
<li><a href="/sandbox/mailbox">GET /sandbox/mailbox?to=</a></li><li><a href="/sandbox/settings">GET /sandbox/settings</a></li></ul></body></html>`;
}
