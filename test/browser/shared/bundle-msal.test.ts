// The one-tag bundle's msal-* attributes (src/bundle-msal.ts) in Chromium: an element without
// msal-client-id gets no token provider; with it, the first request loads graph-mail-elements.msal.js
// once for the page and asks it for the token. A script that cannot be fetched, or is not the msal
// script, fails the request with NetworkError naming the address and msal-src, and Retry loads it
// again; the real script's refusals (no click to open a popup in, a missing attribute) arrive as
// UnauthorizedError with its message. `npm test` builds dist/ first; alone, run `npm run build` first.
import { expect } from '@open-wc/testing';
import { msalTokens } from '../../../src/bundle-msal.js';
import { NetworkError, UnauthorizedError } from '../../../src/services/errors.js';
import { HttpAdapter } from '../../../src/services/http-adapter.js';

const MSAL_SCRIPT = '/dist/graph-mail-elements.msal.js';
const ATTRIBUTES = `msal-client-id="43888ecc-82d2-43e0-bf69-0790caf43f76" msal-authority="https://login.example.invalid/cf438cdd-8b68-4ca3-a609-b82f9b4e3164"`;

/** A request's rejection, for the adapter of the element `selector` inside `markup`. */
async function failure(markup: string, selector: string): Promise<unknown> {
  const host = document.createElement('div');
  host.innerHTML = markup;
  document.body.append(host);
  try {
    const element = host.querySelector(selector)!;
    const adapter = HttpAdapter.fromElement(element, { getAccessToken: msalTokens(element), baseUrl: 'http://127.0.0.1:9/api/mail' });
    return await adapter.getConfig().then(
      () => expect.fail('the request should fail'),
      (error: unknown) => error,
    );
  } finally {
    host.remove();
  }
}

/** The script elements added to the page while `run` runs. */
async function scriptsAdded(run: () => Promise<unknown>): Promise<string[]> {
  const added: string[] = [];
  const observer = new MutationObserver((records) => {
    for (const record of records) for (const node of record.addedNodes) if (node instanceof HTMLScriptElement) added.push(node.src);
  });
  observer.observe(document.head, { childList: true });
  try {
    await run();
  } finally {
    await Promise.resolve();
    observer.disconnect();
  }
  return added;
}

describe('msal-* attributes of the one-tag bundle', () => {
  before(async () => {
    const probe = await fetch(MSAL_SCRIPT, { method: 'HEAD' });
    if (!probe.ok) throw new Error(`${MSAL_SCRIPT} answered ${probe.status}: run \`npm run build\` first (npm test does)`);
    expect((window as { GraphMailMsal?: unknown }).GraphMailMsal, 'nothing loaded the msal script yet').to.equal(undefined);
  });

  it('gives an element without msal-client-id no token provider, and loads nothing', async () => {
    const host = document.createElement('div');
    host.innerHTML = '<div api-base="/api/mail" msal-scope="x"><notification-log></notification-log></div>';
    expect(msalTokens(host.querySelector('notification-log')!)).to.equal(undefined);
    expect(document.querySelectorAll('script[src*="msal"]').length).to.equal(0);
  });

  it('fails with NetworkError naming the address and msal-src when the script cannot be fetched, and loads it again on Retry', async () => {
    const markup = `<div ${ATTRIBUTES} msal-scope="api://x/access_as_admin" msal-src="/dist/missing.msal.js"><email-config-form></email-config-form></div>`;
    let error: unknown;
    const added = await scriptsAdded(async () => {
      error = await failure(markup, 'email-config-form');
      await failure(markup, 'email-config-form');
    });
    expect(error).to.be.instanceOf(NetworkError);
    expect((error as Error).message).to.contain(`${location.origin}/dist/missing.msal.js could not be loaded`);
    expect((error as Error).message).to.contain('msal-src');
    expect(added, 'tried once per request, the failed tag removed').to.deep.equal([`${location.origin}/dist/missing.msal.js`, `${location.origin}/dist/missing.msal.js`]);
    expect(document.querySelectorAll('script[src*="missing"]').length).to.equal(0);
  });

  it('fails with NetworkError when msal-src names a script that is not the msal script', async () => {
    const error = await failure(`<div ${ATTRIBUTES} msal-scope="s" msal-src="data:text/javascript,void 0"><notification-log></notification-log></div>`, 'notification-log');
    expect(error).to.be.instanceOf(NetworkError);
    expect((error as Error).message).to.contain('defines no GraphMailMsal');
  });

  it('loads the real script once for all elements; with nobody signed in and no click, asks for a sign-in instead of a popup', async () => {
    const markup = `<div ${ATTRIBUTES} msal-scope="api://x/access_as_admin" msal-src="${MSAL_SCRIPT}"><email-config-form></email-config-form><notification-log></notification-log></div>`;
    const errors: unknown[] = [];
    const added = await scriptsAdded(async () => {
      errors.push(...(await Promise.all([failure(markup, 'email-config-form'), failure(markup, 'notification-log')])));
      errors.push(await failure(markup, 'notification-log'));
    });
    expect(added).to.deep.equal([`${location.origin}${MSAL_SCRIPT}`]);
    for (const error of errors) {
      expect(error).to.be.instanceOf(UnauthorizedError);
      expect((error as Error).message).to.match(/^No access token for the mail API: Sign-in required: .*Press Retry/);
    }
  });

  it('names a missing msal-scope in the error', async () => {
    const error = await failure(`<div ${ATTRIBUTES} msal-src="${MSAL_SCRIPT}"><notification-log></notification-log></div>`, 'notification-log');
    expect(error).to.be.instanceOf(UnauthorizedError);
    expect((error as Error).message).to.contain('msal-scope is missing');
  });
});
