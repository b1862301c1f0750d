/**
 * English text of the shared validation keys. The server puts these into problem+json; the elements
 * register them as their English table and translate the same keys. Each message names the field and
 * the fix; parameters are interpolated with `{name}`, never by splicing labels into sentences.
 */
export const VALIDATION_MESSAGES_EN = {
  'field.required': '{field} is required.',
  'field.tooLong': '{field} is too long: at most {max} characters.',
  'field.lineBreak': '{field} cannot contain line breaks.',
  'field.invalid': '{field} is not valid.',
  'mode.invalid': 'Choose an email method: Azure Service (signed-in mailbox) or Exchange Online (application).',
  'cloud.invalid': 'Choose a Domain (national cloud) that this server offers.',
  'tenantId.required':
    'Tenant ID is required. Copy "Directory (tenant) ID" from the app registration\'s Overview page in the Azure portal.',
  'tenantId.format':
    'Tenant ID must be a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, or a domain such as contoso.onmicrosoft.com.',
  'clientId.required':
    'Application (client) ID is required. Copy it from the app registration\'s Overview page in the Azure portal.',
  'clientId.guid':
    'Application (client) ID must be a GUID such as 3aacd4f2-1c9e-4a57-9d3e-0c4f1f2a6b7d, copied from the app registration\'s Overview page.',
  'clientId.sameAsTenant':
    'Application (client) ID is the same as the Tenant ID. Copy "Application (client) ID", not "Directory (tenant) ID".',
  'clientSecret.required':
    'Client secret is required. In the app registration, open Certificates & secrets, create a new client secret and copy its Value.',
  'clientSecret.secretId':
    'This is the Secret ID, not the secret. In Certificates & secrets, copy the "Value" column (shown only right after the secret is created), not "Secret ID".',
  'clientSecret.tooShort':
    'This is too short to be a client secret value. Copy the whole "Value" from Certificates & secrets.',
  'clientSecret.whitespace': 'Client secret cannot contain spaces or line breaks. Copy the Value again, without extra characters.',
  'certificate.required': 'Paste the certificate (PEM) and its private key (PEM), or choose Client secret as the credential.',
  'certificate.pem':
    'Certificate (PEM) must be a PEM certificate: text that starts with -----BEGIN CERTIFICATE-----.',
  'privateKey.pem':
    'Private key (PEM) must be a PEM private key: text that starts with -----BEGIN PRIVATE KEY----- (or RSA PRIVATE KEY).',
  'privateKey.encrypted':
    'Private key (PEM) is encrypted with a passphrase. Export the key without a passphrase (PKCS#8) and paste it again.',
  'secretExpiresAt.format': 'Secret expires must be a date (YYYY-MM-DD), as shown in the Expires column of Certificates & secrets.',
  'fromAddress.required':
    'From address is required for Exchange Online (application): the mailbox the messages are sent from.',
  'fromAddress.format': 'From address must be an email address such as notifications@contoso.com.',
  'email.format': '{field} must be an email address such as someone@contoso.com.',
  'email.list': '{field} must list at least one email address.',
  'email.tooMany': '{field} lists too many addresses: at most {max}.',
  'attachmentBytes.range': 'Test attachment size must be between 0 and {max} bytes.',
  'log.status': 'Status must be one of queued, sending, sent, failed or unknown.',
  'log.limit': 'Limit must be a whole number from 1 to 200.',
  'log.date': '{field} must be a date or date-time in ISO 8601 format.',
  'log.cursor': 'The page cursor is not valid: start again from the first page.',
  'connect.mode': 'Connect mode must be "popup" or "redirect".',
  'connect.returnTo': 'returnTo must be a path on this site that starts with a single "/".',
  'message.body': 'A message needs a text or an HTML body.',
  'attachment.name': 'Every attachment needs a file name.',
  'attachment.base64': 'Attachment content must be base64.',
} as const;

export type ValidationKey = keyof typeof VALIDATION_MESSAGES_EN;

/** Plain `{name}` interpolation: parameters are values, never markup. */
export function formatMessage(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** English labels of the fields, for server-side messages (the elements have their own, translated). */
export const FIELD_LABELS_EN: Record<string, string> = {
  mode: 'Email method',
  cloud: 'Domain',
  tenantId: 'Tenant ID',
  clientId: 'Application (client) ID',
  clientSecret: 'Client secret',
  'certificate.certificatePem': 'Certificate (PEM)',
  'certificate.privateKeyPem': 'Private key (PEM)',
  secretExpiresAt: 'Secret expires',
  nextClientSecret: 'New client secret',
  nextSecretExpiresAt: 'New secret expires',
  fromName: 'From name',
  fromAddress: 'From address',
  to: 'To',
  cc: 'Cc',
  bcc: 'Bcc',
  replyTo: 'Reply to',
  subject: 'Subject',
  from: 'From',
};
