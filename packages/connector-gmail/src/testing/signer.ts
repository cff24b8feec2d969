// Signs deliveries as Gmail does (a Stripe-like scheme, made up for the
// gmail; see gmail-signature.ts): for tests, fakes and `act trigger`.
//
//   x-gmail-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
import { signHmac } from '@act/connector-kit';
import { secretSigner } from '@act/connector-kit/testing/fake';
import type { SourceSignerV1 } from '@act/core';
import { GMAIL_SIGNATURE_HEADER } from '../gmail-signature';

/** The `x-gmail-signature` value Gmail would send for `body` at `now`. */
export async function signGmailBody(secret: string, body: string, now = Date.now()): Promise<string> {
  const timestamp = Math.floor(now / 1000);
  const hex = await signHmac(`${timestamp}.${body}`, secret, { algorithm: 'sha256', encoding: 'hex' });
  return `t=${timestamp},v1=${hex}`;
}

/** Gmail's signer: `--secret <key>` or the first of `GMAIL_WEBHOOK_SECRET`. */
export const gmailSigner: SourceSignerV1 = secretSigner({
  variable: 'GMAIL_WEBHOOK_SECRET',
  description: 'the signing secret (default: GMAIL_WEBHOOK_SECRET, its first secret)',
  missing: 'GMAIL_WEBHOOK_SECRET is not set (or pass --secret <key>)',
  async sign(delivery, secret, context) {
    const signing = context.badSignature ? `${secret}-wrong` : secret;
    return {
      headers: { [GMAIL_SIGNATURE_HEADER]: await signGmailBody(signing, delivery.body, context.now) },
      describe: context.badSignature ? `${GMAIL_SIGNATURE_HEADER} with a wrong secret` : GMAIL_SIGNATURE_HEADER,
      hints: (status) =>
        !context.badSignature && status === 401
          ? ['401: the receiver’s GMAIL_WEBHOOK_SECRET differs from the secret used here (--secret)']
          : [],
    };
  },
});
