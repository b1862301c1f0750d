/**
 * What a token update makes of a connection, the same for every engine: fields the update leaves out
 * keep their stored value; `reason` and `sendAs` are cleared by an explicit null.
 */
import type { ConnectionRecord, TokenUpdate } from './types.js';

export function applyTokenUpdate(current: ConnectionRecord, update: TokenUpdate): ConnectionRecord {
  const next: ConnectionRecord = {
    ...current,
    ...(update.refreshToken !== undefined ? { refreshToken: update.refreshToken } : {}),
    ...(update.scope !== undefined ? { scope: update.scope } : {}),
    ...(update.grantedPermissions !== undefined ? { grantedPermissions: update.grantedPermissions } : {}),
    ...(update.state !== undefined ? { state: update.state } : {}),
    ...(update.account !== undefined ? { account: update.account } : {}),
    ...(update.connectedAt !== undefined ? { connectedAt: update.connectedAt } : {}),
  };
  delete next.reason;
  delete next.sendAs;
  const reason = update.reason === undefined ? current.reason : (update.reason ?? undefined);
  const sendAs = update.sendAs === undefined ? current.sendAs : (update.sendAs ?? undefined);
  return { ...next, ...(reason ? { reason } : {}), ...(sendAs ? { sendAs } : {}) };
}
