// A host page on another origin than the mail server (an intranet site calling a separate Node
// service): the admin signs in with msal-browser, and every element's HttpAdapter presents the Entra
// access token for the server's own API instead of cookies. msal-browser is fetched only when the page
// first needs it (the token provider imports it lazily).
import { defineAll } from '../../registry.js';
import { msalTokenProvider, type MsalTokenProvider } from '../../msal/index.js';
import { HttpAdapter } from '../../services/http-adapter.js';

/** What the demo tells this page: where the server is and how to sign in (served by this origin). */
interface CrossOriginInfo {
  apiUrl: string;
  msal: { clientId: string; authority: string; scopes: string[]; knownAuthorities: string[] };
  sandbox?: { tenantId: string; clientId: string; users: string[]; admins: string[] };
}

defineAll();

const $ = <T extends HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
const signInButton = $<HTMLButtonElement>('#sign-in');
const signOutButton = $<HTMLButtonElement>('#sign-out');
const signedInAs = $<HTMLElement>('#signed-in-as');
const signInError = $<HTMLElement>('#sign-in-error');

function showValues(info: CrossOriginInfo): void {
  if (!info.sandbox) return;
  const rows: Array<[string, string]> = [
    ['Mail API', info.apiUrl],
    ['Sign-in authority', info.msal.authority],
    ['This page\'s app (SPA)', info.msal.clientId],
    ['API scope', info.msal.scopes.join(' ')],
    ['Mail administrators (Mail.Admin)', info.sandbox.admins.join(', ')],
    ['Other users (refused with 403)', info.sandbox.users.filter((user) => !info.sandbox!.admins.includes(user)).join(', ')],
    ['In the form: Domain', 'Sandbox'],
    ['Tenant ID', info.sandbox.tenantId],
    ['Application (client) ID', info.sandbox.clientId],
    ['Client secret', 'printed in the terminal where npm start runs'],
  ];
  const list = $<HTMLElement>('#cross-origin-values');
  for (const [term, value] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    list.append(dt, dd);
  }
  $<HTMLElement>('#cross-origin-help').hidden = false;
}

/** Gives the elements an adapter that sends the token, once someone is signed in. */
function attach(info: CrossOriginInfo, tokens: MsalTokenProvider, username: string): void {
  const adapter = new HttpAdapter({ baseUrl: info.apiUrl, credentials: 'omit', getAccessToken: tokens.getAccessToken });
  for (const element of document.querySelectorAll('email-config-form, notification-log')) {
    (element as HTMLElement & { adapter: HttpAdapter }).adapter = adapter;
  }
  for (const section of document.querySelectorAll<HTMLElement>('#settings, #log')) section.hidden = false;
  signedInAs.textContent = `Signed in as ${username}`;
  signInButton.hidden = true;
  signOutButton.hidden = false;
}

async function main(): Promise<void> {
  const response = await fetch('/demo/cross-origin.json');
  if (!response.ok) {
    signInError.textContent = `This page is not set up (${response.status}).`;
    signInError.hidden = false;
    return;
  }
  const info = (await response.json()) as CrossOriginInfo;
  showValues(info);
  const tokens = msalTokenProvider({
    ...info.msal,
    redirectUri: `${location.origin}/redirect.html`,
  });

  const known = await tokens.account();
  if (known) attach(info, tokens, known.username);

  // A popup needs the click's user activation: signing in is always the admin's action.
  signInButton.addEventListener('click', async () => {
    signInError.hidden = true;
    try {
      const account = await tokens.signIn();
      if (account) attach(info, tokens, account.username);
    } catch (error) {
      signInError.textContent = `Sign-in did not complete: ${error instanceof Error ? error.message : String(error)}`;
      signInError.hidden = false;
    }
  });
  signOutButton.addEventListener('click', async () => {
    await tokens.signOut();
    location.reload();
  });
}

void main();
