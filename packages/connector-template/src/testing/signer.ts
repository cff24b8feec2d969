// Signs deliveries as Template does (a Stripe-like scheme, made up for the
// template; see template-signature.ts): for tests, fakes and `act trigger`.
//
//   x-template-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
import { signHmac } from '@act/connector-kit';
import { secretSigner } from '@act/connector-kit/testing/fake';
import type { SourceSignerV1 } from '@act/core';
import { TEMPLATE_SIGNATURE_HEADER } from '../template-signature';

/** The `x-template-signature` value Template would send for `body` at `now`. */
export async function signTemplateBody(secret: string, body: string, now = Date.now()): Promise<string> {
  const timestamp = Math.floor(now / 1000);
  const hex = await signHmac(`${timestamp}.${body}`, secret, { algorithm: 'sha256', encoding: 'hex' });
  return `t=${timestamp},v1=${hex}`;
}

/** Template's signer: `--secret <key>` or the first of `TEMPLATE_WEBHOOK_SECRET`. */
export const templateSigner: SourceSignerV1 = secretSigner({
  variable: 'TEMPLATE_WEBHOOK_SECRET',
  description: 'the signing secret (default: TEMPLATE_WEBHOOK_SECRET, its first secret)',
  missing: 'TEMPLATE_WEBHOOK_SECRET is not set (or pass --secret <key>)',
  async sign(delivery, secret, context) {
    const signing = context.badSignature ? `${secret}-wrong` : secret;
    return {
      headers: { [TEMPLATE_SIGNATURE_HEADER]: await signTemplateBody(signing, delivery.body, context.now) },
      describe: context.badSignature ? `${TEMPLATE_SIGNATURE_HEADER} with a wrong secret` : TEMPLATE_SIGNATURE_HEADER,
      hints: (status) =>
        !context.badSignature && status === 401
          ? ['401: the receiver’s TEMPLATE_WEBHOOK_SECRET differs from the secret used here (--secret)']
          : [],
    };
  },
});
