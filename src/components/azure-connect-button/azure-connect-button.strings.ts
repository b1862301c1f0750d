/**
 * English text of `<azure-connect-button>`. Other locales translate the same keys (see
 * `src/locales/de/azure-connect-button.ts`); parameters are `{name}` values, never spliced markup.
 */
export const azureConnectButtonStrings = {
  'connect.connect': 'Connect Azure Email',
  'connect.disconnect': 'Disconnect Azure Email',
  'connect.reconnect': 'Reconnect Azure Email',
  'connect.retry': 'Retry',
  'connect.cancel': 'Cancel',
  'connect.loading': 'Loading the connection…',
  'connect.loadFailed': 'The mail settings could not be loaded: the mail server did not answer.',
  'connect.connectedTo': 'Connected to {account}',
  'connect.notConnected': 'Not connected',
  'connect.waiting': 'Waiting for you to sign in to Microsoft in the window that opened…',
  'connect.waitingRedirect': 'Finishing the Microsoft sign-in…',
  'connect.progress': 'Sign-in in progress',
  'connect.disconnecting': 'Disconnecting…',
  'connect.connectedNow': 'Connected to {account}.',
  'connect.disconnected': 'Disconnected. The settings can be changed again.',
  'connect.cancelled': 'Sign-in cancelled.',
  'connect.reason.incomplete':
    'Save the Tenant ID, Application (client) ID and a client secret or certificate first: the sign-in needs them.',
  'connect.reason.unsaved': 'Save your changes first: the sign-in uses the saved settings.',
  'connect.reason.application':
    'Exchange Online (application) needs no sign-in: an administrator grants consent in the Azure portal instead.',
  'connect.reason.noAdapter': 'No mail server is configured for this page.',
  'connect.needsReconnect': 'The connection to Microsoft needs to be renewed. Sign in again to keep sending mail.',
  'connect.needsReconnectReason': 'The connection to Microsoft needs to be renewed: {reason}',
  'connect.error.timeout':
    'The sign-in was not finished within {minutes} minutes. Select Retry and finish the sign-in in the Microsoft window.',
  'connect.error.network': 'The mail server could not be reached. Check the network connection and select Retry.',
  'connect.error.denied':
    'The sign-in was cancelled or consent was refused. Select Retry and accept the permissions in the Microsoft window.',
  'connect.error.failed': 'The sign-in failed: {message}',
  'connect.error.conflict': 'The settings changed in the meantime: {message}',
  'connect.error.unauthorized': 'You are not allowed to change the mail settings. Sign in as an administrator.',
  'connect.error.generic': 'The connection could not be made: {message}',
} as const;

export type AzureConnectButtonStringKey = keyof typeof azureConnectButtonStrings;
