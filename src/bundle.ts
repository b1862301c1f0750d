/**
 * The one-tag bundle (`dist/graph-mail-elements.bundle.js`): a legacy page loads it with one classic
 * `<script src>` and configures everything by attributes. Every element without an `adapter` property
 * or a providing container makes an HttpAdapter from the attributes on itself or an ancestor
 * (`api-base`, `csrf-header`, `csrf-token`, or ASP.NET's `__RequestVerificationToken` field), then the
 * four tags are registered. With `msal-client-id` (and `msal-authority`, `msal-scope`) the adapter
 * presents an Entra ID token instead, from graph-mail-elements.msal.js, which is loaded only then
 * (see bundle-msal.ts): msal-browser is never part of this file.
 */
import { msalTokens } from './bundle-msal.js';
import { registerStrings, setDefaultAdapterFactory } from './components/shared/index.js';
import { HttpAdapter } from './services/http-adapter.js';
import { DEFAULT_TAGS, defineAll } from './registry.js';

setDefaultAdapterFactory((element) => HttpAdapter.fromElement(element, { getAccessToken: msalTokens(element) }));
defineAll();

/** For pages that want to add a locale or build an adapter themselves: `window.GraphMailElements`. */
export { DEFAULT_TAGS, HttpAdapter, registerStrings };
