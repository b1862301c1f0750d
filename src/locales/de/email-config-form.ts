/** German text of `<email-config-form>`: the keys of `email-config-form.strings.ts`, validation messages included. */
import type { EmailConfigFormStringKey } from '../../components/email-config-form/email-config-form.strings.js';
import { registerStrings } from '../../components/shared/strings.js';

export const emailConfigFormDe: Record<EmailConfigFormStringKey, string> = {
  'field.required': '{field} ist erforderlich.',
  'field.tooLong': '{field} ist zu lang: höchstens {max} Zeichen.',
  'field.lineBreak': '{field} darf keine Zeilenumbrüche enthalten.',
  'field.invalid': '{field} ist ungültig.',
  'mode.invalid': 'Wählen Sie eine E-Mail-Methode: Azure-Dienst (angemeldetes Postfach) oder Exchange Online (Anwendung).',
  'cloud.invalid': 'Wählen Sie eine Domäne (nationale Cloud), die dieser Server anbietet.',
  'tenantId.required':
    'Die Mandanten-ID ist erforderlich. Kopieren Sie „Verzeichnis-ID (Mandant)“ von der Übersichtsseite der App-Registrierung im Azure-Portal.',
  'tenantId.format':
    'Die Mandanten-ID muss eine GUID wie 72f988bf-86f1-41af-91ab-2d7cd011db47 oder eine Domäne wie contoso.onmicrosoft.com sein.',
  'clientId.required':
    'Die Anwendungs-ID (Client) ist erforderlich. Kopieren Sie sie von der Übersichtsseite der App-Registrierung im Azure-Portal.',
  'clientId.guid':
    'Die Anwendungs-ID (Client) muss eine GUID wie 3aacd4f2-1c9e-4a57-9d3e-0c4f1f2a6b7d sein, kopiert von der Übersichtsseite der App-Registrierung.',
  'clientId.sameAsTenant':
    'Die Anwendungs-ID (Client) ist gleich der Mandanten-ID. Kopieren Sie „Anwendungs-ID (Client)“, nicht „Verzeichnis-ID (Mandant)“.',
  'clientSecret.required':
    'Der geheime Clientschlüssel ist erforderlich. Öffnen Sie in der App-Registrierung „Zertifikate & Geheimnisse“, erstellen Sie einen neuen geheimen Clientschlüssel und kopieren Sie seinen Wert.',
  'clientSecret.secretId':
    'Das ist die geheime ID, nicht der geheime Schlüssel. Kopieren Sie unter „Zertifikate & Geheimnisse“ die Spalte „Wert“ (nur direkt nach dem Erstellen sichtbar), nicht „Geheime ID“.',
  'clientSecret.tooShort':
    'Das ist zu kurz für den Wert eines geheimen Clientschlüssels. Kopieren Sie den ganzen „Wert“ aus „Zertifikate & Geheimnisse“.',
  'clientSecret.whitespace':
    'Der geheime Clientschlüssel darf keine Leerzeichen oder Zeilenumbrüche enthalten. Kopieren Sie den Wert erneut, ohne zusätzliche Zeichen.',
  'certificate.required':
    'Fügen Sie das Zertifikat (PEM) und seinen privaten Schlüssel (PEM) ein oder wählen Sie „Geheimer Clientschlüssel“ als Anmeldeinformation.',
  'certificate.pem': 'Zertifikat (PEM) muss ein PEM-Zertifikat sein: Text, der mit -----BEGIN CERTIFICATE----- beginnt.',
  'privateKey.pem':
    'Privater Schlüssel (PEM) muss ein privater PEM-Schlüssel sein: Text, der mit -----BEGIN PRIVATE KEY----- (oder RSA PRIVATE KEY) beginnt.',
  'privateKey.encrypted':
    'Der private Schlüssel (PEM) ist mit einer Passphrase verschlüsselt. Exportieren Sie den Schlüssel ohne Passphrase (PKCS#8) und fügen Sie ihn erneut ein.',
  'secretExpiresAt.format':
    '„Geheimnis läuft ab“ muss ein Datum (JJJJ-MM-TT) sein, wie in der Spalte „Läuft ab“ unter „Zertifikate & Geheimnisse“.',
  'fromAddress.required': 'Die Absenderadresse ist für Exchange Online (Anwendung) erforderlich: das Postfach, aus dem gesendet wird.',
  'fromAddress.format': 'Die Absenderadresse muss eine E-Mail-Adresse wie benachrichtigungen@contoso.com sein.',
  'email.format': '{field} muss eine E-Mail-Adresse wie jemand@contoso.com sein.',
  'email.list': '{field} muss mindestens eine E-Mail-Adresse enthalten.',
  'email.tooMany': '{field} enthält zu viele Adressen: höchstens {max}.',
  'attachmentBytes.range': 'Die Größe des Testanhangs muss zwischen 0 und {max} Byte liegen.',
  'log.status': 'Der Status muss queued, sending, sent, failed oder unknown sein.',
  'log.limit': 'Das Limit muss eine ganze Zahl von 1 bis 200 sein.',
  'log.date': '{field} muss ein Datum oder Zeitpunkt im Format ISO 8601 sein.',
  'log.cursor': 'Der Seitenzeiger ist ungültig: Beginnen Sie wieder bei der ersten Seite.',
  'connect.mode': 'Der Verbindungsmodus muss „popup“ oder „redirect“ sein.',
  'connect.returnTo': 'returnTo muss ein Pfad dieser Website sein, der mit genau einem „/“ beginnt.',
  'message.body': 'Eine Nachricht braucht einen Text- oder HTML-Inhalt.',
  'attachment.name': 'Jeder Anhang braucht einen Dateinamen.',
  'attachment.base64': 'Der Inhalt eines Anhangs muss Base64 sein.',

  'tabs.label': 'E-Mail-Einstellungen',
  'tab.connection': 'Verbindung',
  'tab.endpoints': 'API-Endpunkte',

  'label.mode': 'E-Mail-Methode',
  'label.tenantId': 'Mandanten-ID',
  'label.clientId': 'Anwendungs-ID (Client)',
  'label.credential': 'Anmeldeinformation',
  'label.clientSecret': 'Geheimer Clientschlüssel',
  'label.certificatePem': 'Zertifikat (PEM)',
  'label.privateKeyPem': 'Privater Schlüssel (PEM)',
  'label.nextClientSecret': 'Neuer geheimer Clientschlüssel',
  'label.nextSecretExpiresAt': 'Neues Geheimnis läuft ab',
  'label.secretExpiresAt': 'Geheimnis läuft ab',
  'label.cloud': 'Domäne',
  'label.redirectUri': 'Umleitungs-URI',
  'label.fromName': 'Absendername',
  'label.fromAddress': 'Absenderadresse',
  'label.saveToSentItems': 'E-Mail in „Gesendete Elemente“ speichern',

  'mode.delegated': 'Azure-Dienst (angemeldetes Postfach)',
  'mode.application': 'Exchange Online (Anwendung)',
  'credential.secret': 'Geheimer Clientschlüssel',
  'credential.certificate': 'Zertifikat',
  'cloud.global': 'Global',
  'cloud.usgov': 'US-Regierung (GCC High)',
  'cloud.usgov-dod': 'US-Regierung (DoD)',
  'cloud.china': 'China (21Vianet)',
  'cloud.sandbox': 'Sandbox (offline)',

  'hint.tenantId':
    'Die „Verzeichnis-ID (Mandant)“ auf der Übersichtsseite der App-Registrierung oder eine Domäne wie contoso.onmicrosoft.com.',
  'hint.clientId': 'Die „Anwendungs-ID (Client)“ auf der Übersichtsseite der App-Registrierung.',
  'hint.clientSecret': 'Der „Wert“ des geheimen Schlüssels aus „Zertifikate & Geheimnisse“, nicht die „Geheime ID“.',
  'hint.nextClientSecret':
    'Ein zweiter geheimer Schlüssel derselben App, für einen Wechsel ohne Pause: Der Server versucht ihn zuerst, behält den bisherigen, bis der neue funktioniert hat, und verwendet danach nur noch den neuen.',
  'hint.clientSecretKeep': 'Leer lassen, um den gespeicherten geheimen Schlüssel zu behalten.',
  'hint.certificateKeep': 'Beide leer lassen, um das gespeicherte Zertifikat zu behalten.',
  'hint.secretExpiresAt': 'Das Datum aus der Spalte „Läuft ab“ unter „Zertifikate & Geheimnisse“, damit Sie rechtzeitig gewarnt werden.',
  'hint.redirectUri':
    'Tragen Sie genau diese Adresse in der App-Registrierung unter „Authentifizierung“ als Umleitungs-URI der Plattform „Web“ ein.',
  'hint.fromAddressDelegated':
    'Optional: Standardmäßig wird vom verbundenen Konto gesendet. Ein anderes Postfach braucht die Berechtigung „Senden als“ für dieses Konto.',
  'hint.fromAddressApplication': 'Das Postfach, aus dem die Nachrichten gesendet werden.',
  'hint.sentItemsSendMail':
    'Nur mit Mail.Send werden Nachrichten über sendMail gesendet, und diese Einstellung wird beachtet. Wird ein Entwurf verwendet (große Anhänge oder Mail.ReadWrite für genau einmaliges Senden), wird die gesendete Nachricht immer in „Gesendete Elemente“ gespeichert.',
  'hint.sentItemsDraft':
    'Nachrichten werden als Entwürfe gesendet (Mail.ReadWrite), und ein gesendeter Entwurf wird immer in „Gesendete Elemente“ gespeichert.',

  'secret.saved': 'Ein geheimer Schlüssel ist gespeichert ({hint}).',
  'secret.savedExpires': 'Ein geheimer Schlüssel ist gespeichert ({hint}), läuft in {days} Tagen ab.',
  'secret.savedExpiresToday': 'Ein geheimer Schlüssel ist gespeichert ({hint}), läuft heute ab.',
  'certificate.saved': 'Ein Zertifikat ist gespeichert ({hint}).',
  'certificate.savedExpires': 'Ein Zertifikat ist gespeichert ({hint}), läuft in {days} Tagen ab.',
  'secret.expiringSoon':
    'Die Anmeldeinformation läuft in {days} Tagen ab. Erstellen Sie unter „Zertifikate & Geheimnisse“ einen neuen geheimen Clientschlüssel und speichern Sie seinen Wert hier, bevor keine E-Mails mehr gesendet werden.',
  'secret.expired':
    'Die gespeicherte Anmeldeinformation ist am {date} abgelaufen: Es können keine E-Mails gesendet werden. Erstellen Sie unter „Zertifikate & Geheimnisse“ einen neuen geheimen Clientschlüssel und speichern Sie seinen Wert hier.',
  'secret.remove': 'Gespeicherten geheimen Schlüssel entfernen',
  'secret.keep': 'Gespeicherten geheimen Schlüssel behalten',
  'secret.reminder':
    'Die Anmeldeinformation läuft in {days} Tagen ab ({date}). Erstellen Sie unter „Zertifikate & Geheimnisse“ einen neuen geheimen Clientschlüssel und tragen Sie ihn als „Neuer geheimer Clientschlüssel“ ein: Der Versand läuft ohne Pause weiter.',
  'secret.addNext': 'Neuen geheimen Clientschlüssel hinzufügen',
  'secret.nextPending': 'Ein neuer geheimer Schlüssel ist gespeichert ({hint}): Er ersetzt den bisherigen, sobald er einmal funktioniert hat.',
  'secret.nextRejected': 'Der neue geheime Schlüssel ({hint}) wurde abgelehnt; E-Mails werden weiter mit dem bisherigen gesendet.',
  'secret.removeNext': 'Neuen geheimen Schlüssel entfernen',
  'secret.keepNext': 'Neuen geheimen Schlüssel behalten',
  'secret.nextRemovePending': 'Der neue geheime Schlüssel wird beim Speichern entfernt.',
  'secret.removePending': 'Der gespeicherte geheime Schlüssel wird beim Speichern entfernt.',

  'action.save': 'Speichern',
  'action.test': 'Einstellungen testen',
  'action.clear': 'Löschen',
  'action.reset': 'Zurücksetzen',
  'action.copy': 'Kopieren',
  'action.copyRedirectUri': 'Umleitungs-URI kopieren',
  'action.retry': 'Erneut versuchen',
  'action.cancel': 'Abbrechen',
  'copy.done': 'In die Zwischenablage kopiert.',
  'copy.failed': 'Kopieren nicht möglich. Markieren Sie den Text und kopieren Sie ihn mit der Tastatur.',

  'status.loading': 'E-Mail-Einstellungen werden geladen …',
  'status.loadFailed':
    'Die E-Mail-Einstellungen konnten nicht geladen werden: Der Mailserver hat nicht geantwortet. Prüfen Sie, ob er läuft, und wählen Sie „Erneut versuchen“.',
  'status.signIn': 'Melden Sie sich mit Ihrem Administratorkonto an, um die E-Mail-Einstellungen zu ändern: Wählen Sie „Erneut versuchen“.',
  'status.saving': 'Wird gespeichert …',
  'status.saved': 'Einstellungen gespeichert.',
  'status.reset': 'Änderungen verworfen: Die gespeicherten Einstellungen werden wieder angezeigt.',
  'status.cleared': 'Alle E-Mail-Einstellungen wurden gelöscht.',
  'status.invalid': 'Einige Felder müssen korrigiert werden. Korrigieren Sie die markierten Felder und wählen Sie dann „Speichern“.',
  'status.endpointsInvalid': 'Einige API-Endpunkte müssen korrigiert werden: siehe Registerkarte „API-Endpunkte“.',
  'save.locked':
    'Methode, Domäne, Mandanten-ID, Anwendungs-ID (Client) und Endpunkte können nicht geändert werden, solange eine Verbindung besteht. Wählen Sie zuerst „Azure-E-Mail trennen“.',
  'save.stale':
    'Jemand anderes hat diese Einstellungen zwischenzeitlich gespeichert. Wählen Sie „Zurücksetzen“, um sie zu laden, und nehmen Sie Ihre Änderungen dann erneut vor.',
  'save.network':
    'Der Mailserver ist nicht erreichbar, daher wurde nichts gespeichert. Prüfen Sie die Verbindung und wählen Sie erneut „Speichern“.',
  'save.unauthorized': 'Sie dürfen die E-Mail-Einstellungen nicht ändern. Melden Sie sich als Administrator an.',
  'save.failed': 'Die Einstellungen konnten nicht gespeichert werden: {message}',
  'clear.failed': 'Die Einstellungen konnten nicht gelöscht werden: {message}',

  'clear.title': 'Alle E-Mail-Einstellungen löschen?',
  'clear.body':
    'Mandanten-ID, Anwendung, geheimer Schlüssel und die Microsoft-Verbindung werden entfernt; bis zur erneuten Eingabe werden keine E-Mails gesendet. Das Benachrichtigungsprotokoll bleibt erhalten.',
  'clear.confirm': 'Einstellungen löschen',

  'lock.notice':
    'Verbunden: Die Verbindungseinstellungen sind gesperrt. Wählen Sie „Azure-E-Mail trennen“, um sie zu ändern.',
  'lock.needsReconnect': 'Die Verbindung zu Microsoft muss erneuert werden: {reason}',
  'sendAs.ok': '{account} darf als {mailbox} senden.',
  'sendAs.denied': '{account} darf nicht als {mailbox} senden: E-Mails von dieser Adresse schlagen fehl.',
  'lock.needsReconnectNoReason':
    'Die Verbindung zu Microsoft muss erneuert werden. Wählen Sie „Azure-E-Mail erneut verbinden“ und melden Sie sich erneut an.',

  'test.title': 'Einstellungen testen',
  'test.to': 'Test senden an',
  'test.subject': 'Betreff (optional)',
  'test.send': 'Test senden',
  'test.close': 'Test schließen',
  'test.running': 'Testnachricht wird gesendet …',
  'test.ok': 'Alle Prüfungen bestanden: Die Testnachricht wurde gesendet.',
  'test.failed': 'Der Test ist beim Schritt „{step}“ fehlgeschlagen.',
  'test.couldNotRun': 'Der Test konnte nicht ausgeführt werden: {message}',
  'test.unsaved': 'Der Test verwendet die gespeicherten Einstellungen: Speichern Sie zuerst Ihre Änderungen.',
  'test.toRequired': '„Test senden an“ ist erforderlich: Geben Sie die Adresse ein, die die Testnachricht erhalten soll.',
  'test.report': 'Testergebnisse',
  'test.fix': 'Behebung: {hint}',
  'test.requestId': 'Anforderungs-ID',
  'test.correlationId': 'Korrelations-ID',
  'test.timestamp': 'Zeit',
  'test.copyIds': 'IDs kopieren',
  'step.ok': 'Bestanden',
  'step.failed': 'Fehlgeschlagen',
  'step.skipped': 'Übersprungen',
  'step.ms': '{ms} ms',
  'step.config': 'Einstellungen vollständig',
  'step.tenant': 'Mandant gefunden',
  'step.token': 'Token ausgestellt',
  'step.permissions': 'Berechtigungen erteilt',
  'step.mailbox': 'Postfach gefunden',
  'step.send': 'Testnachricht gesendet',

  'perm.title': 'Berechtigungen',
  'perm.needDelegated': 'Fügen Sie der App-Registrierung diese delegierten Microsoft Graph-Berechtigungen hinzu:',
  'perm.needApplication':
    'Fügen Sie der App-Registrierung diese Microsoft Graph-Anwendungsberechtigungen hinzu und wählen Sie dann „Administratorzustimmung erteilen“:',
  'perm.offline_access': 'hält die Verbindung nach der Anmeldung (Aktualisierungstoken)',
  'perm.User.Read': 'liest den Namen des angemeldeten Kontos',
  'perm.Mail.Send': 'sendet E-Mails',
  'perm.Mail.ReadWrite.delegated': 'optional: Entwürfe für große Anhänge und genau einmaliges Senden',
  'perm.Mail.ReadWrite.application': 'Entwürfe: große Anhänge und genau einmaliges Senden',
  'perm.User.Read.All': 'findet das Absenderpostfach anhand seiner Adresse',
  'perm.adminConsent': 'Für Anwendungsberechtigungen ist eine Administratorzustimmung erforderlich.',
  'perm.granted': 'Erteilt',
  'perm.missing': 'Fehlt',
  'perm.token': 'Das zuletzt ausgestellte Token hatte diese Berechtigungen:',
  'perm.none': 'keine',
  'perm.missingList': 'Fehlt: {list}.',

  'guide.summary': 'Einrichtungsanleitung: die App im Azure-Portal registrieren',
  'guide.step1': 'Melden Sie sich beim Azure-Portal an und öffnen Sie Microsoft Entra ID, dann App-Registrierungen, dann Neue Registrierung.',
  'guide.step2': 'Name: zum Beispiel „{appName}“.',
  'guide.step3': 'Unterstützte Kontotypen: „Nur Konten in diesem Organisationsverzeichnis (einzelner Mandant)“.',
  'guide.step4Delegated': 'Umleitungs-URI: Wählen Sie die Plattform „Web“ und geben Sie {redirectUri} ein',
  'guide.step4Application': 'Umleitungs-URI: für Exchange Online (Anwendung) nicht nötig.',
  'guide.step5':
    'Wählen Sie Registrieren. Kopieren Sie auf der Übersichtsseite „Anwendungs-ID (Client)“ und „Verzeichnis-ID (Mandant)“ in die Felder oben.',
  'guide.step6': 'Öffnen Sie API-Berechtigungen, Berechtigung hinzufügen, Microsoft Graph, {type}, und fügen Sie hinzu: {permissions}.',
  'guide.step6Consent': 'Wählen Sie dann „Administratorzustimmung erteilen“ oder öffnen Sie als Administrator den Zustimmungslink unten.',
  'guide.step7':
    'Öffnen Sie „Zertifikate & Geheimnisse“, Neuer geheimer Clientschlüssel, wählen Sie das Ablaufdatum und dann Hinzufügen. Kopieren Sie den Wert, nicht die geheime ID: Der Wert wird nur einmal angezeigt. Fügen Sie ihn in „Geheimer Clientschlüssel“ ein und tragen Sie das Ablaufdatum unter „Geheimnis läuft ab“ ein.',
  'guide.step8Delegated':
    'Wählen Sie hier Speichern, dann „Azure-E-Mail verbinden“, und melden Sie sich mit dem Postfach an, das die E-Mails sendet.',
  'guide.step8Application':
    'Geben Sie die Absenderadresse ein (das Postfach, das die E-Mails sendet), wählen Sie Speichern und dann „Einstellungen testen“.',
  'guide.appName': 'E-Mail von {host}',
  'guide.consentLink': 'Link zur Administratorzustimmung',
  'guide.consentNeeds': 'Der Link zur Administratorzustimmung erscheint, sobald Mandanten-ID und Anwendungs-ID (Client) ausgefüllt sind.',
  'guide.delegatedType': 'Delegierte Berechtigungen',
  'guide.applicationType': 'Anwendungsberechtigungen',

  'method.hostFields': 'Einstellungen für {method}',

  'tenant.elsewhere': 'Dieser Mandant liegt in der Cloud {cloud}, nicht {chosen}: Die Anmeldung würde scheitern.',
  'tenant.switch': 'Domäne auf {cloud} umstellen',
  'tenant.unknown': 'Die Cloud {cloud} kennt keinen Mandanten „{tenant}“.',
  'action.supportBundle': 'Supportpaket herunterladen',
  'support.failed': 'Kein Supportpaket: {message}',
  'assistant.network': 'Der Mailserver ist nicht erreichbar.',
  'restrict.summary': 'Die App auf das Absenderpostfach beschränken',
  'restrict.intro':
    'Mit Anwendungsberechtigungen kann die App als jedes Postfach senden. Dieses Exchange Online PowerShell-Skript beschränkt sie auf {mailbox}.',
  'restrict.loading': 'Wird geladen …',
};

registerStrings('de', emailConfigFormDe);
