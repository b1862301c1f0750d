/**
 * An optional access-token provider for HttpAdapter, for hosts whose pages and the reference server live
 * on different origins (an IIS site calling a separate Node service): the host's cookies do not reach
 * the server, so the adapter presents an Entra ID access token for the server's own API, which MSAL gets
 * for the admin who is already signed in to the portal. Graph tokens stay on the server (DESIGN.md).
 *
 * msal-browser (about 77 kB gzipped) is imported only when the first token is needed, so neither this
 * entry nor the one-tag bundle carries it; a host that never calls the provider never downloads it.
 *
 * ```ts
 * import { HttpAdapter } from 'graph-mail-elements';
 * import { msalTokenProvider } from 'graph-mail-elements/msal';
 * const tokens = msalTokenProvider({ clientId, authority, scopes: ['api://graph-mail/Mail.Admin'], redirectUri: `${location.origin}/redirect.html` });
 * const adapter = new HttpAdapter({ baseUrl: 'https://mail.example.com/api/mail', credentials: 'omit', getAccessToken: tokens.getAccessToken });
 * ```
 * The redirect URI must be a page of the host's origin that runs `redirect-bridge` (this package's
 * `msal/redirect-bridge` entry), registered as a SPA redirect URI of the host's app registration.
 */
import type { AccountInfo, IPublicClientApplication } from '@azure/msal-browser';

export interface MsalTokenProviderOptions {
  /** The host page's SPA app registration. */
  clientId: string;
  /** `https://login.microsoftonline.com/<tenant>` (or a national cloud's, or the sandbox's). */
  authority: string;
  /** The reference server's API scope, e.g. `api://<app id>/Mail.Admin` or `api://<app id>/.default`. */
  scopes: string[];
  /** The redirect-bridge page, registered as a SPA redirect URI. */
  redirectUri: string;
  /** Authorities MSAL must trust without instance discovery (the sandbox, a national cloud's). */
  knownAuthorities?: string[];
  /** Pre-fills the sign-in with the admin's account name. */
  loginHint?: string;
}

export interface MsalTokenProvider {
  /**
   * The access token for the API, silently when MSAL can, with a popup when it must. Without a click
   * to open the popup in, it rejects with SignInRequiredError; calls at the same moment share one answer.
   */
  getAccessToken(): Promise<string | null>;
  /** Signs in interactively: call it from a click handler, where the browser allows a popup. */
  signIn(): Promise<AccountInfo | null>;
  signOut(): Promise<void>;
  /** The signed-in account, once MSAL knows one. */
  account(): Promise<AccountInfo | null>;
}

/**
 * Nobody is signed in and the browser would block the sign-in popup, because no click started this
 * request. Ask again from a click (a Retry button, or `signIn()` in a click handler).
 */
export class SignInRequiredError extends Error {
  override name = 'SignInRequiredError';
  constructor() {
    super('Sign-in required: the browser opens the sign-in window only in answer to a click. Press Retry (or call signIn() from a click handler) to sign in.');
  }
}

export function msalTokenProvider(options: MsalTokenProviderOptions): MsalTokenProvider {
  let application: Promise<IPublicClientApplication> | null = null;

  const load = (): Promise<IPublicClientApplication> =>
    (application ??= import('@azure/msal-browser').then(({ createStandardPublicClientApplication }) =>
      createStandardPublicClientApplication({
        auth: {
          clientId: options.clientId,
          authority: options.authority,
          redirectUri: options.redirectUri,
          knownAuthorities: options.knownAuthorities ?? [],
        },
        // sessionStorage: the token leaves with the tab, as an admin page's session should.
        cache: { cacheLocation: 'sessionStorage' },
      }),
    ));

  const account = async (): Promise<AccountInfo | null> => {
    const pca = await load();
    return pca.getActiveAccount() ?? pca.getAllAccounts()[0] ?? null;
  };

  const signIn = async (): Promise<AccountInfo | null> => {
    const pca = await load();
    const result = await pca.loginPopup({ scopes: options.scopes, loginHint: options.loginHint, redirectUri: options.redirectUri });
    pca.setActiveAccount(result.account);
    return result.account;
  };

  const acquire = async (): Promise<string | null> => {
    const pca = await load();
    const current = await account();
    if (current) {
      try {
        return (await pca.acquireTokenSilent({ scopes: options.scopes, account: current })).accessToken;
      } catch (error) {
        const { InteractionRequiredAuthError } = await import('@azure/msal-browser');
        if (!(error instanceof InteractionRequiredAuthError)) throw error;
      }
    }
    // A browser blocks a window opened without a click: say so instead of letting it block the popup.
    const activation = (globalThis.navigator as { userActivation?: { isActive: boolean } } | undefined)?.userActivation;
    if (activation && !activation.isActive) throw new SignInRequiredError();
    const result = await pca.acquireTokenPopup({ scopes: options.scopes, loginHint: options.loginHint, redirectUri: options.redirectUri });
    pca.setActiveAccount(result.account);
    return result.accessToken;
  };

  // Elements load in parallel: callers at the same moment share one acquisition (and one popup).
  let pending: Promise<string | null> | null = null;
  const getAccessToken = (): Promise<string | null> => (pending ??= acquire().finally(() => (pending = null)));

  const signOut = async (): Promise<void> => {
    const pca = await load();
    const current = await account();
    if (current) await pca.clearCache({ account: current });
  };

  return { getAccessToken, signIn, signOut, account };
}
