/**
 * The small page the popup lands on after the sign-in. It removes the code from the address bar first,
 * then reports the outcome on a BroadcastChannel named by the state and to its opener with an exact
 * target origin, then closes. Neither is relied upon (the element polls `/connect/status`; the identity
 * platform's COOP can cut the opener off), they only shorten the wait (SECURITY.md 13).
 *
 * The only script is inline with a per-response nonce; the data it posts is JSON in a non-executed
 * `<script type="application/json">`, escaped so that no value can close the element.
 */
import { randomBytes } from 'node:crypto';
import type { ConnectMessage } from '../../services/contract.js';

export interface CallbackPageInput {
  /** The message to post, or null when there is nobody to tell (an unknown or foreign state). */
  message: ConnectMessage | null;
  /** Exact origins to `postMessage` to (the page that started the sign-in). */
  targetOrigins: string[];
  title: string;
  text: string;
  /** A second paragraph: the hint of a failure. */
  hint?: string;
  status?: number;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/** JSON that is safe inside `<script>`: no `<`, `>`, `&` or line separators as such. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** What the inline script does, kept short; it reads its data from the JSON element above it. */
const SCRIPT = `(function () {
  var data = JSON.parse(document.getElementById('gm-connect-data').textContent);
  try { history.replaceState(null, '', location.pathname); } catch (e) {}
  var message = data.message;
  if (message) {
    try { var channel = new BroadcastChannel(message.state); channel.postMessage(message); channel.close(); } catch (e) {}
    if (window.opener) {
      for (var i = 0; i < data.targets.length; i++) {
        try { window.opener.postMessage(message, data.targets[i]); } catch (e) {}
      }
    }
  }
  setTimeout(function () { try { window.close(); } catch (e) {} }, 100);
})();`;

export const CALLBACK_HEADERS = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
} as const;

/** The callback page as a Response: `no-store`, no referrer, a nonce-based CSP, no framing. */
export function callbackPage(input: CallbackPageInput): Response {
  const nonce = randomBytes(18).toString('base64');
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const data = { message: input.message, targets: input.targetOrigins };
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(input.title)}</title>
<style nonce="${nonce}">
  body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #242424; }
  h1 { font-size: 1.25rem; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(input.title)}</h1>
<p>${escapeHtml(input.text)}</p>${input.hint ? `\n<p>${escapeHtml(input.hint)}</p>` : ''}
<p>You can close this window.</p>
</main>
<script type="application/json" id="gm-connect-data">${scriptJson(data)}</script>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
  return new Response(html, {
    status: input.status ?? 200,
    headers: { ...CALLBACK_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp },
  });
}
