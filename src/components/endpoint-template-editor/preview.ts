/**
 * The URL a template turns into, as the server will send it, for the editor's live preview. Pure: the
 * expansion itself is `expandTemplate` (same encoding as the server); this only decides which values are
 * known yet and marks the others, so the preview never invents an ID.
 */
import type { EndpointName, EndpointTemplates } from '../../services/contract.js';
import {
  PLACEHOLDERS,
  TEMPLATE_RULES,
  TemplateExpansionError,
  expandTemplate,
  userLookup,
  type Placeholder,
  type PlaceholderValues,
} from '../../services/endpoints.js';

export type PreviewPiece = { kind: 'text'; text: string } | { kind: 'pending'; placeholder: Placeholder };

export type Preview =
  | { ok: true; pieces: PreviewPiece[]; pending: boolean; viaFilter: boolean }
  | { ok: false; key: string; params: Record<string, string> };

export interface PreviewValues {
  tenantId?: string;
  fromAddress?: string;
}

// Stand-ins for values not known yet. They survive percent-encoding unchanged, and the tenant's one is a
// syntactically valid domain so that the expansion's tenant check passes; the `.invalid` TLD cannot be real.
const STAND_INS: Record<Placeholder, string> = {
  TenantId: 'gmpendingtenantid.invalid',
  UserPrincipalName: 'gmpendinguserprincipalname',
  UserPrincipalId: 'gmpendinguserprincipalid',
  DraftMessageId: 'gmpendingdraftmessageid',
};
const STAND_IN_PATTERN = new RegExp(`(${Object.values(STAND_INS).map((s) => s.replace(/\./g, '\\.')).join('|')})`);
const placeholderOfStandIn = new Map(PLACEHOLDERS.map((p) => [STAND_INS[p], p] as const));

/**
 * The expanded URL of one template, split into text and the placeholders still pending. The sender's
 * object ID and the draft's ID are only known when a message is sent (the server looks the sender up), so
 * they stay pending; the tenant and the sender's address are filled in once entered.
 */
export function previewOf(name: EndpointName, endpoints: EndpointTemplates, known: PreviewValues): Preview {
  const tenantId = known.tenantId?.trim() ?? '';
  const upn = known.fromAddress?.trim() ?? '';
  const values: PlaceholderValues = {
    TenantId: tenantId || STAND_INS.TenantId,
    UserPrincipalName: upn || STAND_INS.UserPrincipalName,
    UserPrincipalId: STAND_INS.UserPrincipalId,
    DraftMessageId: STAND_INS.DraftMessageId,
  };
  let url: string;
  let viaFilter = false;
  try {
    if (name === 'userEndpoint' && upn.startsWith('$')) {
      // The server looks such a sender up with $filter (Graph reads `/users/$…` as a system segment).
      ({ url, viaFilter } = userLookup(endpoints, upn));
    } else {
      url = expandTemplate(name, endpoints, values);
    }
  } catch (error) {
    if (error instanceof TemplateExpansionError) return { ok: false, key: error.key, params: error.params };
    return { ok: false, key: 'endpoint.invalidUrl', params: { name } };
  }
  const pieces: PreviewPiece[] = url
    .split(STAND_IN_PATTERN)
    .filter((part) => part !== '')
    .map((part) => {
      const placeholder = placeholderOfStandIn.get(part);
      return placeholder ? { kind: 'pending', placeholder } : { kind: 'text', text: part };
    });
  return { ok: true, pieces, pending: pieces.some((piece) => piece.kind === 'pending'), viaFilter };
}

/** The templates a template's URL is built on (relative ones hang below the Graph or messages URL). */
export function basesOf(name: EndpointName): EndpointName[] {
  const kind = TEMPLATE_RULES[name].kind;
  if (kind === 'graph-path') return ['graphEndpoint'];
  if (kind === 'messages-path') return ['userMessagesEndpoint', 'graphEndpoint'];
  return [];
}
