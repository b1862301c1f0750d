/**
 * English text of `<endpoint-template-editor>`. Other locales translate the same keys (see
 * `src/locales/de/endpoint-template-editor.ts`); parameters are `{name}` values, never spliced markup.
 * The validation messages (`endpoint.*`) are the shared ones of `services/endpoints.ts`, so the browser and
 * the server say the same thing; the element fills `{template}` with its own (translated) label.
 */
import { ENDPOINT_MESSAGES_EN } from '../../services/endpoints.js';

export const endpointTemplateEditorUiStrings = {
  'label.tokenEndpoint': 'Token endpoint',
  'label.authorizeEndpoint': 'Authorize endpoint',
  'label.defaultScope': 'Default scope',
  'label.graphEndpoint': 'Graph API endpoint',
  'label.userEndpoint': 'User endpoint',
  'label.userMessagesEndpoint': 'User messages endpoint',
  'label.draftSendEndpoint': 'Draft send endpoint',
  'label.draftAttachmentEndpoint': 'Draft attachment endpoint',
  'label.uploadSessionEndpoint': 'Create upload session endpoint',

  'cloud.global': 'Global',
  'cloud.usgov': 'US Government (GCC High)',
  'cloud.usgov-dod': 'US Government (DoD)',
  'cloud.china': 'China (21Vianet)',
  'cloud.sandbox': 'Sandbox (offline)',

  'editor.notice':
    'These fields are filled in automatically for the chosen Domain. Several contain placeholders, such as {sample}, that are replaced when mail is sent. They should not be changed under normal circumstances.',
  'editor.locked': 'These fields are locked and cannot be changed now.',
  'editor.resetAll': 'Reset all',
  'editor.resetRow': 'Reset to default',
  'editor.insert': 'Insert placeholder',
  'editor.relativeTo': 'Path below the {base}.',
  'editor.placeholdersAllowed': 'Placeholders: {list}.',
  'editor.noPlaceholders': 'Takes no placeholders.',
  'editor.previewLabel': 'Sent as',
  'editor.previewBlocked': 'Fix the messages above to see the URL.',
  'editor.previewBlockedBase': 'Fix the {base} to see the URL.',
  'editor.previewPending': 'Values in braces are filled in when mail is sent, or once the fields they come from are entered.',
  'editor.previewFilter': 'An address that starts with "$" is looked up with $filter, because Graph would read it as a command.',
  'editor.serverError': 'The server says: {message}',
  'editor.announceReset': '{template} reset to the default.',
  'editor.announceResetAll': 'All endpoints reset to the defaults.',
  'editor.announceInserted': '{placeholder} inserted into {template}.',
  'editor.announceSwitched': 'The endpoints now use the {cloud} defaults.',
  'editor.noDefaults': 'The defaults of the Domain {cloud} are not known here, so the endpoints cannot be reset.',
  'editor.cloudChanged':
    'The Domain changed to {cloud}, but {count} endpoint(s) still use the {previous} defaults: {list}.',
  'editor.cloudSwitch': 'Use the {cloud} defaults',
  'editor.cloudKeep': 'Keep as they are',
  'editor.cloudCustomised':
    'These endpoints were changed and point at hosts that may not belong to {cloud}: {list}. Check them, or reset them to the defaults.',
  'editor.dismiss': 'Dismiss',
  'editor.invalidSummary': '{count} endpoint(s) need attention.',

  'placeholder.TenantId': 'The Tenant ID',
  'placeholder.UserPrincipalName': "The sender's address (user principal name)",
  'placeholder.UserPrincipalId': "The sender's object ID (or address)",
  'placeholder.DraftMessageId': 'The ID of the draft being sent',
} as const;

export type EndpointTemplateEditorStringKey = keyof typeof endpointTemplateEditorUiStrings;

/** Everything the element shows in English: its own text and the shared validation messages. */
export const endpointTemplateEditorStrings: Readonly<Record<string, string>> = {
  ...ENDPOINT_MESSAGES_EN,
  ...endpointTemplateEditorUiStrings,
};
