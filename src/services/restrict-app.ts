/**
 * "Restrict the app to its sender mailbox" (application mode). Application permissions let an app send
 * as every mailbox of the tenant; Exchange Online's RBAC for Applications can narrow that to one
 * mailbox. This writes the Exchange Online PowerShell for it with this installation's values, and the
 * warnings that decide whether it works at all. Pure: the route feeds it the saved configuration.
 */
import { EMAIL_PATTERN, GUID_PATTERN } from './schemas.js';

export interface RestrictAppInput {
  /** Application (client) ID of the app registration. */
  clientId: string;
  /** The sender mailbox (From address). */
  mailbox: string;
  /** A name for the management scope and the Exchange service principal. */
  appName?: string;
  /** Whether sending goes through drafts (then Mail.ReadWrite is scoped as well). */
  useDrafts: boolean;
}

export interface RestrictAppScript {
  script: string;
  /** What the admin must know before running it, in plain words. */
  warnings: string[];
  roles: string[];
}

export class RestrictAppInputError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** A PowerShell single-quoted string: quotes doubled, nothing else is special inside it. */
export const psQuote = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** An OPATH filter value inside a double-quoted filter: single quotes doubled, as Exchange expects. */
const opathValue = (value: string): string => value.replace(/'/g, "''");

export function restrictAppScript(input: RestrictAppInput): RestrictAppScript {
  if (!GUID_PATTERN.test(input.clientId)) throw new RestrictAppInputError('clientId', 'Application (client) ID must be saved first: the script names the app by it.');
  if (!EMAIL_PATTERN.test(input.mailbox) || /["`$]/.test(input.mailbox)) {
    throw new RestrictAppInputError('fromAddress', 'From address must be saved first: the script limits the app to that mailbox.');
  }
  const name = (input.appName?.trim() || 'Graph mail sender').replace(/[^\w .-]/g, '').slice(0, 60) || 'Graph mail sender';
  const scope = `${name} - ${input.mailbox}`.slice(0, 64);
  const roles = input.useDrafts ? ['Application Mail.Send', 'Application Mail.ReadWrite'] : ['Application Mail.Send'];
  const lines = [
    '# Limit the app to one mailbox with RBAC for Applications (Exchange Online PowerShell).',
    '# Run as an Exchange administrator. Changes take 30 minutes to 2 hours to apply.',
    'Connect-ExchangeOnline',
    '',
    '# 1. The app as Exchange knows it. ObjectId is the object ID of the Enterprise application',
    '#    (Entra admin center > Enterprise applications), not of the app registration.',
    `$appId = ${psQuote(input.clientId)}`,
    `$objectId = Read-Host 'Object ID of the enterprise application ${name.replace(/'/g, "''")}'`,
    `New-ServicePrincipal -AppId $appId -ObjectId $objectId -DisplayName ${psQuote(name)}`,
    '',
    '# 2. A scope that contains the sender mailbox and nothing else.',
    `New-ManagementScope -Name ${psQuote(scope)} -RecipientRestrictionFilter "PrimarySmtpAddress -eq '${opathValue(input.mailbox)}'"`,
    '',
    '# 3. The app\'s mail roles, limited to that scope.',
    ...roles.map((role) => `New-ManagementRoleAssignment -App $appId -Role ${psQuote(role)} -CustomResourceScope ${psQuote(scope)}`),
    '',
    '# 4. Check: InScope must be True for the sender and False for any other mailbox.',
    `Test-ServicePrincipalAuthorization -Identity $appId -Resource ${psQuote(input.mailbox)}`,
    "Test-ServicePrincipalAuthorization -Identity $appId -Resource (Read-Host 'Another mailbox, which must be out of scope')",
  ];
  const warnings = [
    `Remove the tenant-wide application permission${roles.length > 1 ? 's' : ''} ${roles.map((role) => role.replace('Application ', '')).join(' and ')} from the app registration in Entra ID (API permissions) once this is in place: a tenant-wide consent still lets the app reach every mailbox, whatever Exchange scopes say.`,
    'Changes take 30 minutes to 2 hours to apply; until then the test may still pass for other mailboxes, or fail for the sender.',
    'User.Read.All stays an Entra ID permission: the app still looks the sender up by its address.',
  ];
  return { script: `${lines.join('\n')}\n`, warnings, roles };
}
