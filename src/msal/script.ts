/**
 * `dist/graph-mail-elements.msal.js`: the MSAL token provider as one classic script, msal-browser
 * inlined, for pages without a bundler or an import map. It defines the global `GraphMailMsal`.
 *
 * The one-tag bundle loads it by itself, once per page and only when an element (or an ancestor)
 * carries `msal-client-id`; it then calls `GraphMailMsal.fromAttributes` with the element's `msal-*`
 * attributes. A classic page can also build an adapter itself:
 *
 * ```html
 * <script src="graph-mail-elements.bundle.js"></script>
 * <script src="graph-mail-elements.msal.js"></script>
 * <script>
 *   var tokens = GraphMailMsal.msalTokenProvider({ clientId: '…', authority: '…', scopes: ['api://…/Mail.Admin'], redirectUri: location.origin + '/signed-in.html' });
 *   document.querySelector('email-config-form').adapter = new GraphMailElements.HttpAdapter({ baseUrl: 'https://mail.example.com/api/mail', getAccessToken: tokens.getAccessToken });
 * </script>
 * ```
 *
 * It is its own redirect bridge, too: loaded on a page whose address carries the answer of MSAL's
 * sign-in popup (or hidden frame), it hands the answer to the page that asked (msal-browser 5's
 * `broadcastResponseToMainFrame`) and the popup closes. So the redirect URI can be the host page itself,
 * or any page of its origin that loads this script.
 */
import { broadcastResponseToMainFrame } from '@azure/msal-browser/redirect-bridge';
import { SignInRequiredError, msalTokenProvider, type MsalTokenProvider } from './index.js';

/** The `msal-*` attributes of an element or its ancestors, as the one-tag bundle reads them. */
export interface MsalAttributes {
  /** `msal-client-id`: the page's SPA app registration. */
  clientId: string;
  /** `msal-authority`: `https://login.microsoftonline.com/<tenant id>`. */
  authority?: string | null;
  /** `msal-scope`: the server API's scope(s), space-separated, e.g. `api://<app id>/Mail.Admin`. */
  scope?: string | null;
  /** `msal-redirect-uri`: a page of this origin that loads this script; default this page's address. */
  redirectUri?: string | null;
}

/**
 * True on a page opened by MSAL's popup or hidden frame with the identity platform's answer: a `state`
 * that MSAL made (its library state, base64 JSON, names the interaction) and a `code` or an `error`.
 * A host's own OAuth answer on the same page is left alone.
 */
function carriesMsalAnswer(): boolean {
  for (const part of [location.search.slice(1), location.hash.slice(1)]) {
    const params = new URLSearchParams(part);
    const state = params.get('state');
    if (!state || !(params.has('code') || params.has('error'))) continue;
    try {
      const library = JSON.parse(atob(state.split('|')[0].replace(/-/g, '+').replace(/_/g, '/'))) as { id?: string; meta?: { interactionType?: string } };
      if (library.id && (library.meta?.interactionType === 'popup' || library.meta?.interactionType === 'silent')) return true;
    } catch {
      // not MSAL's state
    }
  }
  return false;
}

const answering = typeof location !== 'undefined' && carriesMsalAnswer();
if (answering) {
  broadcastResponseToMainFrame().catch((error: unknown) => {
    console.error(`graph-mail-elements: the sign-in answer could not be handed back: ${error instanceof Error ? error.message : String(error)}`);
  });
}

function required(value: string | null | undefined, attribute: string, example: string): string {
  const text = value?.trim();
  if (!text) throw new Error(`${attribute} is missing: set it next to msal-client-id, e.g. ${attribute}="${example}".`);
  return text;
}

const providers = new Map<string, MsalTokenProvider>();

/**
 * The token provider for a set of `msal-*` attributes, one per set for the whole page (so elements
 * share one sign-in): the authority's host is trusted as it is (no instance discovery, as the sandbox
 * and national clouds need), the redirect URI defaults to this page's address. A missing attribute is
 * named in the error the first request reports.
 */
export function fromAttributes(attributes: MsalAttributes): MsalTokenProvider {
  const key = JSON.stringify([attributes.clientId, attributes.authority, attributes.scope, attributes.redirectUri]);
  let provider = providers.get(key);
  if (!provider) {
    provider = create(attributes);
    providers.set(key, provider);
  }
  return provider;
}

function create(attributes: MsalAttributes): MsalTokenProvider {
  if (answering) {
    // This window only hands a sign-in answer back and closes: nothing here should ask for another.
    const never = () => new Promise<never>(() => undefined);
    return { getAccessToken: never, signIn: never, signOut: never, account: never };
  }
  const authority = required(attributes.authority, 'msal-authority', 'https://login.microsoftonline.com/<tenant id>');
  let host: string;
  try {
    host = new URL(authority).host;
  } catch {
    throw new Error(`msal-authority "${authority}" is not a URL: use https://login.microsoftonline.com/<tenant id>.`);
  }
  return msalTokenProvider({
    clientId: required(attributes.clientId, 'msal-client-id', '<application (client) id of the page>'),
    authority,
    scopes: required(attributes.scope, 'msal-scope', 'api://<server app id>/Mail.Admin').split(/\s+/),
    redirectUri: new URL(attributes.redirectUri?.trim() || location.pathname, location.href).href,
    knownAuthorities: [host],
  });
}

export { SignInRequiredError, msalTokenProvider };
