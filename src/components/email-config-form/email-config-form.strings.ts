/**
 * English text of `<email-config-form>`. The shared validation messages (the keys of
 * `src/services/messages.ts`, such as `tenantId.format`) are part of this table, so the form shows the
 * same words the server sends, translated with the rest. Other locales translate the same keys
 * (`src/locales/de/email-config-form.ts`); parameters are `{name}` values, never spliced markup.
 */
import { VALIDATION_MESSAGES_EN } from '../../services/messages.js';

export const emailConfigFormStrings = {
  ...VALIDATION_MESSAGES_EN,

  'tabs.label': 'Email settings',
  'tab.connection': 'Connection',
  'tab.endpoints': 'API Endpoints',

  'label.mode': 'Email method',
  'label.tenantId': 'Tenant ID',
  'label.clientId': 'Application (client) ID',
  'label.credential': 'Credential',
  'label.clientSecret': 'Client secret',
  'label.certificatePem': 'Certificate (PEM)',
  'label.privateKeyPem': 'Private key (PEM)',
  'label.secretExpiresAt': 'Secret expires',
  'label.cloud': 'Domain',
  'label.redirectUri': 'Redirect URI',
  'label.fromName': 'From name',
  'label.fromAddress': 'From address',
  'label.saveToSentItems': 'Save email to sent items',

  'mode.delegated': 'Azure Service (signed-in mailbox)',
  'mode.application': 'Exchange Online (application)',
  'credential.secret': 'Client secret',
  'credential.certificate': 'Certificate',
  'cloud.global': 'Global',
  'cloud.usgov': 'US Government (GCC High)',
  'cloud.usgov-dod': 'US Government (DoD)',
  'cloud.china': 'China (21Vianet)',
  'cloud.sandbox': 'Sandbox (offline)',

  'hint.tenantId': 'The "Directory (tenant) ID" on the app registration\'s Overview page, or a domain such as contoso.onmicrosoft.com.',
  'hint.clientId': 'The "Application (client) ID" on the app registration\'s Overview page.',
  'hint.clientSecret': 'The secret\'s "Value" from Certificates & secrets, not its "Secret ID".',
  'hint.clientSecretKeep': 'Leave empty to keep the saved secret.',
  'hint.certificateKeep': 'Leave both empty to keep the saved certificate.',
  'hint.secretExpiresAt': 'The date in the Expires column of Certificates & secrets, so that you are warned in time.',
  'hint.redirectUri': 'Register this exact address in the app registration, under Authentication, as a Web platform redirect URI.',
  'hint.fromAddressDelegated':
    'Optional: by default mail is sent from the connected account. Another mailbox needs the Send As permission for that account.',
  'hint.fromAddressApplication': 'The mailbox the messages are sent from.',
  'hint.sentItemsSendMail':
    'With Mail.Send alone, messages go out through sendMail and this setting is honoured. When a draft is used (large attachments, or Mail.ReadWrite granted for exactly-once sending), the sent message is always saved to Sent Items.',
  'hint.sentItemsDraft': 'Messages are sent as drafts (Mail.ReadWrite), and a sent draft is always saved to Sent Items.',

  'secret.saved': 'A secret is saved ({hint}).',
  'secret.savedExpires': 'A secret is saved ({hint}), expires in {days} days.',
  'secret.savedExpiresToday': 'A secret is saved ({hint}), expires today.',
  'certificate.saved': 'A certificate is saved ({hint}).',
  'certificate.savedExpires': 'A certificate is saved ({hint}), expires in {days} days.',
  'secret.expiringSoon':
    'The credential expires in {days} days. Create a new client secret in Certificates & secrets and save its Value here before mail stops.',
  'secret.expired':
    'The saved credential expired on {date}: mail cannot be sent. Create a new client secret in Certificates & secrets and save its Value here.',
  'secret.remove': 'Remove saved secret',
  'secret.keep': 'Keep saved secret',
  'secret.removePending': 'The saved secret will be removed when you select Save.',

  'action.save': 'Save',
  'action.test': 'Test Settings',
  'action.clear': 'Clear',
  'action.reset': 'Reset',
  'action.copy': 'Copy',
  'action.copyRedirectUri': 'Copy Redirect URI',
  'action.retry': 'Retry',
  'action.cancel': 'Cancel',
  'copy.done': 'Copied to the clipboard.',
  'copy.failed': 'Could not copy. Select the text and copy it with the keyboard.',

  'status.loading': 'Loading the mail settings…',
  'status.loadFailed':
    'The mail settings could not be loaded: the mail server did not answer. Check that it is running, then select Retry.',
  'status.saving': 'Saving…',
  'status.saved': 'Settings saved.',
  'status.reset': 'Changes discarded: the saved settings are shown again.',
  'status.cleared': 'All email settings were cleared.',
  'status.invalid': 'Some fields need attention. Fix the highlighted fields, then select Save.',
  'status.endpointsInvalid': 'Some API endpoints need attention: see the API Endpoints tab.',
  'save.locked':
    'Method, Domain, Tenant ID, Application (client) ID and endpoints cannot change while connected. Select "Disconnect Azure Email" first.',
  'save.stale': 'Someone else saved these settings in the meantime. Select Reset to load them, then make your changes again.',
  'save.network': 'The mail server could not be reached, so nothing was saved. Check the connection and select Save again.',
  'save.unauthorized': 'You are not allowed to change the mail settings. Sign in as an administrator.',
  'save.failed': 'The settings could not be saved: {message}',
  'clear.failed': 'The settings could not be cleared: {message}',

  'clear.title': 'Clear all email settings?',
  'clear.body':
    'The Tenant ID, application, secret and the Microsoft connection are removed; mail stops until the settings are entered again. The notification log stays.',
  'clear.confirm': 'Clear settings',

  'lock.notice': 'Connected: the connection settings are locked. Select "Disconnect Azure Email" to change them.',
  'lock.needsReconnect': 'The connection to Microsoft needs to be renewed: {reason}',
  'lock.needsReconnectNoReason': 'The connection to Microsoft needs to be renewed. Select "Reconnect Azure Email" and sign in again.',

  'test.title': 'Test settings',
  'test.to': 'Send test to',
  'test.subject': 'Subject (optional)',
  'test.send': 'Send test',
  'test.close': 'Close test',
  'test.running': 'Sending a test message…',
  'test.ok': 'All checks passed: the test message was sent.',
  'test.failed': 'The test failed at the step "{step}".',
  'test.couldNotRun': 'The test could not run: {message}',
  'test.unsaved': 'The test uses the saved settings: save your changes first.',
  'test.toRequired': 'Send test to is required: enter the address that should receive the test message.',
  'test.report': 'Test results',
  'test.fix': 'How to fix: {hint}',
  'test.requestId': 'Request ID',
  'test.correlationId': 'Correlation ID',
  'test.timestamp': 'Time',
  'test.copyIds': 'Copy IDs',
  'step.ok': 'Passed',
  'step.failed': 'Failed',
  'step.skipped': 'Skipped',
  'step.ms': '{ms} ms',
  'step.config': 'Settings are complete',
  'step.tenant': 'Tenant found',
  'step.token': 'Token issued',
  'step.permissions': 'Permissions granted',
  'step.mailbox': 'Mailbox found',
  'step.send': 'Test message sent',

  'perm.title': 'Permissions',
  'perm.needDelegated': 'Add these Microsoft Graph delegated permissions to the app registration:',
  'perm.needApplication':
    'Add these Microsoft Graph application permissions to the app registration, then select "Grant admin consent":',
  'perm.offline_access': 'keeps the connection after sign-in (refresh tokens)',
  'perm.User.Read': 'reads the signed-in account\'s name',
  'perm.Mail.Send': 'sends mail',
  'perm.Mail.ReadWrite.delegated': 'optional: drafts for large attachments and exactly-once sending',
  'perm.Mail.ReadWrite.application': 'drafts: large attachments and exactly-once sending',
  'perm.User.Read.All': 'finds the sender mailbox by its address',
  'perm.adminConsent': 'Admin consent is required for application permissions.',
  'perm.granted': 'Granted',
  'perm.missing': 'Missing',
  'perm.token': 'The last token issued had these permissions:',
  'perm.none': 'none',
  'perm.missingList': 'Missing: {list}.',

  'guide.summary': 'Setup guide: register the app in the Azure portal',
  'guide.step1': 'Sign in to the Azure portal and open Microsoft Entra ID, then App registrations, then New registration.',
  'guide.step2': 'Name: for example "{appName}".',
  'guide.step3': 'Supported account types: "Accounts in this organizational directory only (Single tenant)".',
  'guide.step4Delegated': 'Redirect URI: choose the platform "Web" and enter {redirectUri}',
  'guide.step4Application': 'Redirect URI: not needed for Exchange Online (application).',
  'guide.step5': 'Select Register. On the Overview page copy "Application (client) ID" and "Directory (tenant) ID" into the fields above.',
  'guide.step6': 'Open API permissions, Add a permission, Microsoft Graph, {type}, and add: {permissions}.',
  'guide.step6Consent': 'Then select "Grant admin consent", or open the admin-consent link below as an administrator.',
  'guide.step7':
    'Open Certificates & secrets, New client secret, choose when it expires and select Add. Copy the Value, not the Secret ID: the Value is shown only once. Paste it into "Client secret" and enter the expiry date in "Secret expires".',
  'guide.step8Delegated': 'Select Save here, then "Connect Azure Email" and sign in with the mailbox that sends the mail.',
  'guide.step8Application': 'Enter the From address (the mailbox that sends the mail), select Save, then Test Settings.',
  'guide.appName': 'Email from {host}',
  'guide.consentLink': 'Admin consent link',
  'guide.consentNeeds': 'The admin-consent link appears when the Tenant ID and Application (client) ID are filled in.',
  'guide.delegatedType': 'Delegated permissions',
  'guide.applicationType': 'Application permissions',

  'method.hostFields': 'Settings of {method}',
} as const;

export type EmailConfigFormStringKey = keyof typeof emailConfigFormStrings;
