/**
 * After a delegated sign-in: may the signed-in account send as the From mailbox? When the From address
 * is another mailbox (a shared one, a colleague's), Exchange allows it only with "Send As" (or "Send on
 * Behalf") on that mailbox, and refuses every message with ErrorSendAsDenied otherwise. The check sends
 * one short test from that mailbox to the signed-in account itself, at once, so a refusal shows up now
 * rather than at the first real message. It is a real delivery on purpose: a message that cannot be
 * delivered (no recipient, say) would depend on the order in which Exchange validates a submission,
 * and a wrong "allowed" is worse than a test message in the admin's inbox.
 */
import type { SendAsCheck, UpstreamError } from '../../services/contract.js';
import { explainGraphError } from '../../services/diagnostics.js';
import { GraphCallError } from './graph-call.js';
import type { GraphMailer } from './graph-mailer.js';
import type { MailConfig, TokenSource } from './types.js';

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

const upstream = (error: UpstreamError): UpstreamError => ({
  code: error.code,
  message: error.message,
  hint: error.hint,
  ...(error.requestId ? { requestId: error.requestId } : {}),
  ...(error.timestamp ? { timestamp: error.timestamp } : {}),
});

/** Null when there is nothing to check: application mode, no From address, or the account is the From address. */
export async function checkSendAs(mailer: GraphMailer, config: MailConfig, account: string, tokens: TokenSource = mailer.tokens, now = Date.now()): Promise<SendAsCheck | null> {
  const mailbox = config.fromAddress.trim();
  if (config.mode !== 'delegated' || !mailbox || !account || same(mailbox, account)) return null;
  const checkedAt = new Date(now).toISOString();
  const session = await mailer.open({ ...config, account }, AbortSignal.timeout(20_000), tokens);
  try {
    // The path real messages take: the mailbox itself with Mail.Send.Shared, else `/me`.
    await session.request('POST', session.sendMailUrl(session.user), {
      message: {
        subject: `Send As check: ${account} sending as ${mailbox}`,
        body: {
          contentType: 'Text',
          content: `This message was sent once, right after ${account} connected the application's mail, to check that it may send as ${mailbox}. It did.`,
        },
        from: { emailAddress: { address: mailbox } },
        toRecipients: [{ emailAddress: { address: account } }],
      },
      saveToSentItems: false,
    });
    return { mailbox, ok: true, checkedAt };
  } catch (error) {
    if (error instanceof GraphCallError && error.kind === 'http') {
      const diagnosis = explainGraphError(error.body, error.status ?? 0, undefined, { mode: 'delegated', account, fromAddress: mailbox });
      return { mailbox, ok: false, checkedAt, error: upstream({ ...diagnosis, requestId: diagnosis.requestId ?? error.info.requestId }) };
    }
    const value = error as Partial<UpstreamError> | undefined;
    const described: UpstreamError =
      error instanceof GraphCallError
        ? error.diagnosis
        : {
            code: typeof value?.code === 'string' ? value.code : 'SEND_AS_UNCHECKED',
            message: typeof value?.message === 'string' ? value.message : 'The Send As check could not run.',
            hint: typeof value?.hint === 'string' ? value.hint : 'Run the connection test to see whether mail can be sent from this address.',
          };
    return { mailbox, ok: false, checkedAt, error: upstream(described) };
  }
}
