/** German text of `<azure-connect-button>`: the keys of `azure-connect-button.strings.ts`. */
import type { AzureConnectButtonStringKey } from '../../components/azure-connect-button/azure-connect-button.strings.js';
import { registerStrings } from '../../components/shared/strings.js';

export const azureConnectButtonDe: Record<AzureConnectButtonStringKey, string> = {
  'connect.connect': 'Azure-E-Mail verbinden',
  'connect.disconnect': 'Azure-E-Mail trennen',
  'connect.reconnect': 'Azure-E-Mail erneut verbinden',
  'connect.retry': 'Erneut versuchen',
  'connect.cancel': 'Abbrechen',
  'connect.loading': 'Verbindung wird geladen …',
  'connect.loadFailed': 'Die E-Mail-Einstellungen konnten nicht geladen werden: Der Mailserver hat nicht geantwortet.',
  'connect.connectedTo': 'Verbunden mit {account}',
  'connect.notConnected': 'Nicht verbunden',
  'connect.waiting': 'Warten auf Ihre Anmeldung bei Microsoft im geöffneten Fenster …',
  'connect.waitingRedirect': 'Die Microsoft-Anmeldung wird abgeschlossen …',
  'connect.progress': 'Anmeldung läuft',
  'connect.disconnecting': 'Verbindung wird getrennt …',
  'connect.connectedNow': 'Verbunden mit {account}.',
  'connect.disconnected': 'Verbindung getrennt. Die Einstellungen können wieder geändert werden.',
  'connect.cancelled': 'Anmeldung abgebrochen.',
  'connect.reason.incomplete':
    'Speichern Sie zuerst Mandanten-ID, Anwendungs-ID (Client) und einen geheimen Clientschlüssel oder ein Zertifikat: Die Anmeldung braucht sie.',
  'connect.reason.unsaved': 'Speichern Sie zuerst Ihre Änderungen: Die Anmeldung verwendet die gespeicherten Einstellungen.',
  'connect.reason.application':
    'Exchange Online (Anwendung) braucht keine Anmeldung: Ein Administrator erteilt stattdessen im Azure-Portal die Zustimmung.',
  'connect.reason.noAdapter': 'Für diese Seite ist kein Mailserver eingerichtet.',
  'connect.needsReconnect': 'Die Verbindung zu Microsoft muss erneuert werden. Melden Sie sich erneut an, damit weiter E-Mails gesendet werden.',
  'connect.needsReconnectReason': 'Die Verbindung zu Microsoft muss erneuert werden: {reason}',
  'connect.error.timeout':
    'Die Anmeldung wurde nicht innerhalb von {minutes} Minuten abgeschlossen. Wählen Sie „Erneut versuchen“ und schließen Sie die Anmeldung im Microsoft-Fenster ab.',
  'connect.error.network': 'Der Mailserver ist nicht erreichbar. Prüfen Sie die Netzwerkverbindung und wählen Sie „Erneut versuchen“.',
  'connect.error.denied':
    'Die Anmeldung wurde abgebrochen oder die Zustimmung verweigert. Wählen Sie „Erneut versuchen“ und akzeptieren Sie die Berechtigungen im Microsoft-Fenster.',
  'connect.error.failed': 'Die Anmeldung ist fehlgeschlagen: {message}',
  'connect.error.conflict': 'Die Einstellungen wurden zwischenzeitlich geändert: {message}',
  'connect.error.unauthorized': 'Sie dürfen die E-Mail-Einstellungen nicht ändern. Melden Sie sich als Administrator an.',
  'connect.error.generic': 'Die Verbindung konnte nicht hergestellt werden: {message}',
};

registerStrings('de', azureConnectButtonDe);
