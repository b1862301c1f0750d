/**
 * Which Microsoft Graph permissions a mode needs, and how they compare with what a token had. Pure
 * logic, kept apart from the templates that show it.
 */
import type { AuthMode } from '../../services/contract.js';

export interface PermissionNeed {
  name: string;
  /** Needed only for drafts (large attachments, exactly-once sending): without it mail still goes out. */
  optional: boolean;
}

export const PERMISSIONS_BY_MODE: Readonly<Record<AuthMode, readonly PermissionNeed[]>> = {
  delegated: [
    { name: 'offline_access', optional: false },
    { name: 'User.Read', optional: false },
    { name: 'Mail.Send', optional: false },
    { name: 'Mail.ReadWrite', optional: true },
  ],
  application: [
    { name: 'Mail.Send', optional: false },
    { name: 'Mail.ReadWrite', optional: false },
    { name: 'User.Read.All', optional: false },
  ],
};

const has = (granted: readonly string[], name: string) => granted.some((g) => g.toLowerCase() === name.toLowerCase());

export interface PermissionRow extends PermissionNeed {
  /** null when no token has been seen yet. */
  granted: boolean | null;
}

/** The rows of the permission panel: each need, granted or missing when a token's permissions are known. */
export function permissionRows(mode: AuthMode, granted: readonly string[] | undefined): PermissionRow[] {
  return PERMISSIONS_BY_MODE[mode].map((need) => ({ ...need, granted: granted ? has(granted, need.name) : null }));
}

/**
 * Whether messages go through a draft (always saved to Sent Items) rather than sendMail (which honours
 * "Save email to sent items"): drafts are used when Mail.ReadWrite was granted. Unknown without a token.
 */
export function usesDrafts(granted: readonly string[] | undefined): boolean | null {
  return granted ? has(granted, 'Mail.ReadWrite') : null;
}
