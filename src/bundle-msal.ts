/**
 * Entra ID tokens for elements configured by attributes (the one-tag bundle's case: a legacy page on
 * another origin than the mail server). On the element or an ancestor:
 *
 * - `msal-client-id`: the page's SPA app registration; turns it on;
 * - `msal-authority`: `https://login.microsoftonline.com/<tenant id>`;
 * - `msal-scope`: the server API's scope, e.g. `api://<server app id>/Mail.Admin`;
 * - `msal-redirect-uri` (optional): the SPA redirect URI, a page of this origin that loads
 *   graph-mail-elements.msal.js; default the page itself;
 * - `msal-src` (optional): where graph-mail-elements.msal.js is; default next to this bundle.
 *
 * msal-browser stays out of the bundle: the first request injects that classic script once for the
 * whole page, and its `GraphMailMsal` global makes the token provider (src/msal/script.ts).
 */
import { NetworkError } from './services/errors.js';
import { nearestAttribute } from './services/http-adapter.js';

type Tokens = { getAccessToken(): Promise<string | null> };
type MsalScript = { fromAttributes(attributes: Record<string, string | null>): Tokens };

const SCRIPT = 'graph-mail-elements.msal.js';
// Captured while the bundle runs: later, document.currentScript is another script or none.
const here = (document.currentScript as HTMLScriptElement | null)?.src || location.href;
const global = () => (window as { GraphMailMsal?: MsalScript }).GraphMailMsal;
let loading: Promise<MsalScript> | undefined;

function load(src: string): Promise<MsalScript> {
  return (loading ??= new Promise<MsalScript>((resolve, reject) => {
    if (global()) return resolve(global()!);
    const script = document.createElement('script');
    const fail = (why: string) => {
      script.remove();
      loading = undefined; // Retry loads it again.
      reject(new NetworkError(`The sign-in script ${src} ${why}: put ${SCRIPT} next to the bundle, or give its address in msal-src.`));
    };
    script.src = src;
    script.onload = () => (global() ? resolve(global()!) : fail(`defines no GraphMailMsal`));
    script.onerror = () => fail('could not be loaded');
    document.head.append(script);
  }));
}

/** The token provider for an element with `msal-client-id` (on it or an ancestor), else undefined. */
export function msalTokens(element: Element): Tokens['getAccessToken'] | undefined {
  const attribute = (name: string) => nearestAttribute(element, `msal-${name}`);
  const clientId = attribute('client-id');
  if (!clientId) return undefined;
  const attributes = { clientId, authority: attribute('authority'), scope: attribute('scope'), redirectUri: attribute('redirect-uri') };
  const src = new URL(attribute('src') || SCRIPT, here).href;
  // The script keeps one provider per set of attributes, so the elements of a page share one sign-in.
  return async () => (await load(src)).fromAttributes(attributes).getAccessToken();
}
