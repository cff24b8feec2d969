// Signs deliveries as Xero does, for tests, fakes and `act trigger`:
// `x-xero-signature` is the base64 HMAC-SHA256 of the raw body keyed with the
// webhook key's text (https://developer.xero.com/documentation/webhooks/configuring-your-server).
import { secretSigner } from '@act/connector-kit/testing/fake';
import type { SourceSignerV1 } from '@act/core';
import { signXeroBody, XERO_SIGNATURE_HEADER } from '../xero-signature';

export { signXeroBody };

/** Xero's signer: `--secret <key>` or the first of `XERO_WEBHOOK_KEY`. */
export const xeroSigner: SourceSignerV1 = secretSigner({
  variable: 'XERO_WEBHOOK_KEY',
  description: 'the webhook key (default: XERO_WEBHOOK_KEY, its first key)',
  missing:
    'XERO_WEBHOOK_KEY is not set (the webhook key your receiver verifies with, from the Xero developer portal; or pass --secret <key>)',
  async sign(delivery, key, context) {
    let signature = await signXeroBody(delivery.body, key);
    // Off by one character, like the deliberately wrong signatures of intent-to-receive
    // (https://developer.xero.com/documentation/webhooks/configuring-your-server).
    if (context.badSignature) signature = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    return {
      headers: { [XERO_SIGNATURE_HEADER]: signature },
      describe: context.badSignature ? 'x-xero-signature deliberately wrong' : 'x-xero-signature with the webhook key',
      hints: (status) => {
        if (context.badSignature && status !== 401) {
          return ['a wrongly signed request must get 401, or Xero’s intent-to-receive check fails'];
        }
        if (!context.badSignature && status === 401) {
          return ['401: the receiver’s XERO_WEBHOOK_KEY differs from the key used here (--secret)'];
        }
        return [];
      },
    };
  },
});
