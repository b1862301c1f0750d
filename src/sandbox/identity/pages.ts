/**
 * The identity platform's HTML: sign-in (one button per user), consent (the scopes and "Accept"),
 * the error page, and the form_post answer. The real pages send COOP and refuse framing; so do these.
 */
import type { AadErrorBody } from './errors.js';

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

export const PAGE_HEADERS: Record<string, string> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "frame-ancestors 'none'",
  'Cache-Control': 'no-store',
};

const layout = (title: string, body: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>body{font:15px/1.4 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}button{display:block;width:100%;margin:.4rem 0;padding:.6rem;font:inherit;cursor:pointer}
.note{color:#555;font-size:.85rem}pre{white-space:pre-wrap;background:#f3f3f3;padding:.6rem}</style>
</head><body><p class="note">Graph Mail sandbox cloud (offline)</p>${body}</body></html>`;

export function signInPage(action: string, context: string, appName: string, users: Array<{ upn: string; name: string }>): string {
  const buttons = users
    .map((user) => `<button type="submit" name="username" value="${escape(user.upn)}" title="${escape(user.name)}">${escape(user.upn)}</button>`)
    .join('\n');
  return layout(
    'Sign in to your account',
    `<h1>Pick an account</h1><p>to continue to ${escape(appName)}</p>
<form method="post" action="${escape(action)}"><input type="hidden" name="ctx" value="${escape(context)}">
${buttons}</form>`,
  );
}

export function consentPage(action: string, context: string, appName: string, upn: string, scopes: string[]): string {
  const items = scopes.map((scope) => `<li>${escape(scope)}</li>`).join('');
  return layout(
    'Permissions requested',
    `<h1>Permissions requested</h1><p>${escape(appName)} wants to, for ${escape(upn)}:</p><ul id="scopes">${items}</ul>
<form method="post" action="${escape(action)}"><input type="hidden" name="ctx" value="${escape(context)}">
<button type="submit" name="consent" value="accept">Accept</button>
<button type="submit" name="consent" value="cancel">Cancel</button></form>`,
  );
}

export function errorPage(error: AadErrorBody): string {
  return layout(
    'Sign in error',
    `<h1>Sorry, but we’re having trouble signing you in.</h1><p id="error-code">${escape(error.error_description.split('\r\n')[0])}</p>
<pre>${escape(error.error_description)}</pre>`,
  );
}

export function formPostPage(redirectUri: string, params: Record<string, string>): string {
  const inputs = Object.entries(params)
    .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
    .join('');
  return layout(
    'Working…',
    `<form method="post" action="${escape(redirectUri)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form>
<script>document.forms[0].submit()</script>`,
  );
}
