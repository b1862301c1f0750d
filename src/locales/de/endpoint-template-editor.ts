/**
 * German text of `<endpoint-template-editor>`: the keys of `endpoint-template-editor.strings.ts`, including
 * the shared validation messages (`endpoint.*`) of `services/endpoints.ts`.
 */
import type { EndpointTemplateEditorStringKey } from '../../components/endpoint-template-editor/endpoint-template-editor.strings.js';
import { registerStrings } from '../../components/shared/strings.js';

export const endpointTemplateEditorDe: Record<EndpointTemplateEditorStringKey, string> & Record<string, string> = {
  'label.tokenEndpoint': 'Token-Endpunkt',
  'label.authorizeEndpoint': 'Autorisierungs-Endpunkt',
  'label.defaultScope': 'Standardbereich',
  'label.graphEndpoint': 'Graph-API-Endpunkt',
  'label.userEndpoint': 'Benutzer-Endpunkt',
  'label.userMessagesEndpoint': 'Benutzernachrichten-Endpunkt',
  'label.draftSendEndpoint': 'Entwurf-Senden-Endpunkt',
  'label.draftAttachmentEndpoint': 'Entwurf-Anlagen-Endpunkt',
  'label.uploadSessionEndpoint': 'Upload-Sitzung-erstellen-Endpunkt',

  'cloud.global': 'Global',
  'cloud.usgov': 'US-Regierung (GCC High)',
  'cloud.usgov-dod': 'US-Regierung (DoD)',
  'cloud.china': 'China (21Vianet)',
  'cloud.sandbox': 'Sandbox (offline)',

  'editor.notice':
    'Diese Felder werden für die gewählte Domäne automatisch ausgefüllt. Einige enthalten Platzhalter wie {sample}, die beim Senden ersetzt werden. Unter normalen Umständen sollten sie nicht geändert werden.',
  'editor.locked': 'Diese Felder sind gesperrt und können jetzt nicht geändert werden.',
  'editor.resetAll': 'Alle zurücksetzen',
  'editor.resetRow': 'Auf Standard zurücksetzen',
  'editor.insert': 'Platzhalter einfügen',
  'editor.relativeTo': 'Pfad unterhalb des {base}s.',
  'editor.placeholdersAllowed': 'Platzhalter: {list}.',
  'editor.noPlaceholders': 'Nimmt keine Platzhalter.',
  'editor.previewLabel': 'Gesendet als',
  'editor.previewBlocked': 'Beheben Sie die Meldungen oben, um die URL zu sehen.',
  'editor.previewBlockedBase': 'Korrigieren Sie den {base}, um die URL zu sehen.',
  'editor.previewPending':
    'Werte in geschweiften Klammern werden beim Senden eingesetzt oder sobald die Felder, aus denen sie stammen, ausgefüllt sind.',
  'editor.previewFilter':
    'Eine Adresse, die mit „$“ beginnt, wird mit $filter gesucht, weil Graph sie sonst als Befehl lesen würde.',
  'editor.serverError': 'Der Server meldet: {message}',
  'editor.announceReset': '{template} auf den Standard zurückgesetzt.',
  'editor.announceResetAll': 'Alle Endpunkte auf die Standards zurückgesetzt.',
  'editor.announceInserted': '{placeholder} in {template} eingefügt.',
  'editor.announceSwitched': 'Die Endpunkte verwenden jetzt die Standards von {cloud}.',
  'editor.noDefaults': 'Die Standards der Domäne {cloud} sind hier nicht bekannt; die Endpunkte können nicht zurückgesetzt werden.',
  'editor.cloudChanged':
    'Die Domäne ist jetzt {cloud}, aber {count} Endpunkt(e) verwenden noch die Standards von {previous}: {list}.',
  'editor.cloudSwitch': 'Standards von {cloud} verwenden',
  'editor.cloudKeep': 'Unverändert lassen',
  'editor.cloudCustomised':
    'Diese Endpunkte wurden geändert und zeigen auf Hosts, die womöglich nicht zu {cloud} gehören: {list}. Prüfen Sie sie oder setzen Sie sie auf die Standards zurück.',
  'editor.dismiss': 'Ausblenden',
  'editor.invalidSummary': '{count} Endpunkt(e) müssen geprüft werden.',

  'placeholder.TenantId': 'Die Mandanten-ID',
  'placeholder.UserPrincipalName': 'Die Absenderadresse (Benutzerprinzipalname)',
  'placeholder.UserPrincipalId': 'Die Objekt-ID des Absenders (oder seine Adresse)',
  'placeholder.DraftMessageId': 'Die ID des zu sendenden Entwurfs',

  'endpoint.empty': '{template} ist leer. Geben Sie ihn ein oder setzen Sie ihn auf den Standard zurück: {example}',
  'endpoint.unbalanced':
    '{template} hat an Position {position} ein „{brace}“ ohne Gegenstück. Schreiben Sie jeden Platzhalter als seinen Namen in einem Klammerpaar, etwa {sample}.',
  'endpoint.emptyPlaceholder':
    '{template} hat an Position {position} Klammern ohne Namen. Setzen Sie einen Platzhalternamen hinein ({allowed}) oder entfernen Sie die Klammern.',
  'endpoint.unknownPlaceholder': '{template} verwendet den unbekannten Platzhalter {placeholder}. Verwenden Sie einen von: {allowed}.',
  'endpoint.placeholderNotAllowed': '{template} kann {placeholder} nicht verwenden. Verwenden Sie einen von: {allowed}.',
  'endpoint.noPlaceholders': '{template} nimmt keine Platzhalter: Entfernen Sie {placeholder}, wie in {example}',
  'endpoint.missingPlaceholder': '{template} muss {placeholder} enthalten, dort, wo der Wert hingehört, wie in {example}',
  'endpoint.missingOneOf': '{template} muss einen von {placeholders} enthalten, dort, wo der Wert hingehört, wie in {example}',
  'endpoint.placeholderInHost':
    '{template} hat einen Platzhalter im Hostnamen. Platzhalter gehören nur in den Pfad, wie in {example}',
  'endpoint.absoluteExpected': '{template} muss eine vollständige URL sein, die mit https:// beginnt, etwa {example}',
  'endpoint.relativeExpected':
    '{template} muss ein Pfad relativ zum {base} sein, der mit einem einzelnen „/“ beginnt, etwa {example}',
  'endpoint.invalidUrl': '{template} ist keine gültige URL. Geben Sie eine vollständige URL ein, etwa {example}',
  'endpoint.invalidCharacter':
    '{template} enthält ein Zeichen, das hier nicht erlaubt ist ({character}). Entfernen Sie es, wie in {example}',
  'endpoint.dotSegment':
    '{template} enthält ein Pfadsegment „.“ oder „..“, das zu einem anderen Pfad führen würde. Entfernen Sie es, wie in {example}',
  'endpoint.queryNotAllowed': '{template} darf kein „?“ oder „#“ enthalten. Entfernen Sie Abfrage und Fragment, wie in {example}',
  'endpoint.notHttps': '{template} muss https:// verwenden, wie in {example}',
  'endpoint.userinfo':
    '{template} hat einen Benutzernamen oder ein „@“ vor dem Host. Schreiben Sie https:// direkt gefolgt vom Host, wie in {example}',
  'endpoint.ipLiteral': '{template} verwendet eine IP-Adresse ({host}) als Host. Verwenden Sie den Hostnamen: {allowed}.',
  'endpoint.port': '{template} nennt den Port {port}. Entfernen Sie „:{port}“: Nur der Standard-HTTPS-Port ist erlaubt.',
  'endpoint.lookalikeHost':
    '{template} hat einen Host mit internationalen oder Punycode-Zeichen (xn--) ({host}), der einen Microsoft-Host nachahmen kann. Schreiben Sie den Host in einfachen Buchstaben: {allowed}.',
  'endpoint.hostNotAllowed': '{template} zeigt auf {host}, der kein Host der Domäne {cloud} ist. Verwenden Sie {allowed}.',
  'endpoint.mixedClouds':
    '{template} zeigt auf {host}, einen Host von {otherCloud}, aber die Domäne ist {cloud}. Verwenden Sie {allowed} oder wählen Sie die Domäne {otherCloud} und setzen Sie die Endpunkte zurück.',
  'endpoint.scopeShape': '{template} muss der Ursprung des Graph-API-Endpunkts gefolgt von /.default sein, etwa {example}',
  'endpoint.graphVersion': '{template} muss nach dem Host die API-Version nennen, etwa {example}',
  'endpoint.valueMissing':
    '{template} braucht einen Wert für {placeholder}, und es gibt keinen. Prüfen Sie die Konfiguration (Mandanten-ID, Absenderadresse) und versuchen Sie es erneut.',
  'endpoint.valueInvalid':
    '{template} kann diesen Wert für {placeholder} nicht verwenden: Eine Mandanten-ID muss eine GUID oder ein Domänenname sein, und kein Wert darf leer, „.“ oder „..“ sein. Prüfen Sie die Konfiguration.',
};

registerStrings('de', endpointTemplateEditorDe);
