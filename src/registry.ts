/**
 * The four elements by their default tags, and `defineAll`, without registering anything on import.
 * `defineAll({ 'email-config-form': 'acme-mail-form' })` chooses other names, and each class's static
 * `define(tag)` registers one element (and, first, what it renders). A tag that is already taken
 * warns instead of throwing, so two copies of the library on one page (ESM and the one-tag bundle)
 * or a second import after a partial-page update break nothing.
 */
import { AzureConnectButton } from './components/azure-connect-button/azure-connect-button.js';
import { EmailConfigForm } from './components/email-config-form/email-config-form.js';
import { EndpointTemplateEditor } from './components/endpoint-template-editor/endpoint-template-editor.js';
import { NotificationLog } from './components/notification-log/notification-log.js';

/** The default tag of each element. */
export const DEFAULT_TAGS = {
  'azure-connect-button': AzureConnectButton,
  'endpoint-template-editor': EndpointTemplateEditor,
  'email-config-form': EmailConfigForm,
  'notification-log': NotificationLog,
} as const;

export type DefaultTag = keyof typeof DEFAULT_TAGS;

/**
 * Registers every element, each under its default tag or the name given for it. Elements another one
 * renders come first, so the container finds them under whatever name they got.
 */
export function defineAll(names: Partial<Record<DefaultTag, string>> = {}): void {
  for (const [tag, ctor] of Object.entries(DEFAULT_TAGS) as Array<[DefaultTag, (typeof DEFAULT_TAGS)[DefaultTag]]>) {
    ctor.define(names[tag] ?? tag);
  }
}

/**
 * Registers the elements, like `defineAll`, under the names given (a name per default tag) or, given one
 * tag name as a string, `<email-config-form>` under that name with what it renders under theirs.
 *
 * @example
 * define(); // the four default tags
 * define({ 'email-config-form': 'acme-mail-form', 'azure-connect-button': 'acme-connect' });
 * define('acme-mail-form'); // the form only (and the button and editor it renders)
 */
export function define(names: Partial<Record<DefaultTag, string>> | string = {}): void {
  if (typeof names === 'string') EmailConfigForm.define(names);
  else defineAll(names);
}

export { AzureConnectButton, EmailConfigForm, EndpointTemplateEditor, NotificationLog };
