/**
 * The page MSAL's popup returns to (msal-browser 5's redirect bridge): it hands the response to the
 * window that opened the popup over a BroadcastChannel of this origin, not through `window.opener`.
 * So the identity platform's `Cross-Origin-Opener-Policy: same-origin`, which severs the opener, does
 * not break the popup, and this page needs no COOP header of its own (it works with one too).
 * Register its URL as a SPA redirect URI.
 */
import { broadcastResponseToMainFrame } from '@azure/msal-browser/redirect-bridge';

broadcastResponseToMainFrame().catch((error: unknown) => {
  document.body.textContent = `Sign-in could not be completed: ${error instanceof Error ? error.message : String(error)}`;
});
