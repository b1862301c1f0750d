/**
 * graph-mail-elements: the element classes, the adapters and the contract, free of side effects.
 * Importing this module registers nothing: import `graph-mail-elements/define` to register the four
 * default tags, or call `define({ 'email-config-form': 'acme-mail-form' })` (or a class's static
 * `define(tag)`) to choose the names. Locales: `import 'graph-mail-elements/locales/de'`.
 */
export { AzureConnectButton } from './components/azure-connect-button/azure-connect-button.js';
export { EmailConfigForm } from './components/email-config-form/email-config-form.js';
export type { HostMethod } from './components/email-config-form/email-config-form.js';
export { EndpointTemplateEditor } from './components/endpoint-template-editor/endpoint-template-editor.js';
export { NotificationLog } from './components/notification-log/notification-log.js';
export { DEFAULT_TAGS, define, defineAll, type DefaultTag } from './registry.js';
export { registerStrings, provideAdapter, adapterContext, type Table } from './components/shared/index.js';
export { HttpAdapter } from './services/http-adapter.js';
export type { HttpAdapterOptions } from './services/http-adapter.js';
export { MemoryAdapter } from './services/memory-adapter.js';
export * from './services/contract.js';
export * from './services/errors.js';
