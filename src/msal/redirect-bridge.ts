/**
 * The page MSAL's popup returns to (msal-browser 5's redirect bridge): it hands the response to the
 * window that opened the popup. Serve it WITHOUT a Cross-Origin-Opener-Policy header, or the browser
 * severs the link to the opener; the identity platform's own pages send COOP, this one must not.
 */
import { broadcastResponseToMainFrame } from '@azure/msal-browser/redirect-bridge';

broadcastResponseToMainFrame().catch((error: unknown) => {
  document.body.textContent = `Sign-in could not be completed: ${error instanceof Error ? error.message : String(error)}`;
});
