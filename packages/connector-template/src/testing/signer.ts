// Signs deliveries as Template does (a Stripe-like scheme, made up for the
// template; see template-signature.ts): for tests, fakes and `act trigger`.
//
//   x-template-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
import type { SignedDeliveryV1, SourceSignerV1 } from '@act/core';
import { TEMPLATE_SIGNATURE_HEADER } from '../template-signature';

const encoder = new TextEncoder();

/** The `x-template-signature` value Template would send for `body` at `now`. */
export async function signTemplateBody(secret: string, body: string, now = Date.now()): Promise<string> {
  const timestamp = Math.floor(now / 1000);
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`${timestamp}.${body}`)));
  let hex = '';
  for (const byte of mac) hex += byte.toString(16).padStart(2, '0');
  return `t=${timestamp},v1=${hex}`;
}

/** Template's signer: `--secret <key>` or the first of `TEMPLATE_WEBHOOK_SECRET`. */
export const templateSigner: SourceSignerV1 = {
  options: {
    secret: { type: 'string', description: 'the signing secret (default: TEMPLATE_WEBHOOK_SECRET, its first secret)' },
  },
  async sign(delivery, context): Promise<SignedDeliveryV1> {
    const option = context.options.secret;
    const secret =
      (typeof option === 'string' ? option : undefined) ?? context.env.TEMPLATE_WEBHOOK_SECRET?.split(',')[0]?.trim();
    if (!secret) throw context.configurationError('TEMPLATE_WEBHOOK_SECRET is not set (or pass --secret <key>)');
    const signature = await signTemplateBody(
      context.badSignature ? `${secret}-wrong` : secret,
      delivery.body,
      context.now,
    );
    return {
      body: delivery.body,
      headers: { ...delivery.headers, [TEMPLATE_SIGNATURE_HEADER]: signature },
      describe: context.badSignature ? `${TEMPLATE_SIGNATURE_HEADER} with a wrong secret` : TEMPLATE_SIGNATURE_HEADER,
      hints: (status) =>
        !context.badSignature && status === 401
          ? ['401: the receiver’s TEMPLATE_WEBHOOK_SECRET differs from the secret used here (--secret)']
          : [],
    };
  },
};
