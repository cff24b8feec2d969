// Signs deliveries as GoHighLevel does, for tests, fakes and `act trigger`:
// `x-ghl-signature` is the base64 Ed25519 signature of the raw body
// (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/WebhookAuthentication.md).
// GHL signs with its private key, which nobody else has, so this signs with a
// key you give it (or one it generates) and the receiver must list that key's
// public half in GHL_WEBHOOK_ED25519_PUBLIC_KEYS. Web Crypto only: the same
// code runs on Node, Deno and edge runtimes.
import { bytesToBase64 } from '@act/connector-kit/testing/fake';
import type { SignContextV1, SignedDeliveryV1, SourceSignerV1 } from '@act/core';

const encoder = new TextEncoder();

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

function toPem(der: ArrayBuffer, label: 'PUBLIC KEY' | 'PRIVATE KEY'): string {
  const lines = bytesToBase64(new Uint8Array(der)).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----`;
}

/** An Ed25519 key pair as GHL would hold it, with the public half as the SPKI PEM a receiver is configured with. */
export interface GhlSigningKey {
  privateKey: CryptoKey;
  publicPem: string;
  /** The private key as PKCS #8 PEM (to save and reuse). */
  privatePem(): Promise<string>;
}

/** A fresh Ed25519 key pair (tests, the demo, `act trigger` without a key). */
export async function generateGhlSigningKey(): Promise<GhlSigningKey> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const publicPem = toPem(await crypto.subtle.exportKey('spki', pair.publicKey), 'PUBLIC KEY');
  return {
    privateKey: pair.privateKey,
    publicPem,
    privatePem: async () => toPem(await crypto.subtle.exportKey('pkcs8', pair.privateKey), 'PRIVATE KEY'),
  };
}

/** An Ed25519 private key from PKCS #8 PEM text (`\n` written as backslash-n allowed, as `.env` files hold it). */
export async function importGhlSigningKey(pem: string): Promise<GhlSigningKey> {
  const text = pem.replaceAll('\\n', '\n');
  const base64 = text.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
  const privateKey = await crypto.subtle.importKey('pkcs8', fromBase64(base64), { name: 'Ed25519' }, true, ['sign']);
  // The public half, from the private key's JWK (`x` is the public key).
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);
  const publicKey = await crypto.subtle.importKey(
    'jwk',
    { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string },
    { name: 'Ed25519' },
    true,
    ['verify'],
  );
  return {
    privateKey,
    publicPem: toPem(await crypto.subtle.exportKey('spki', publicKey), 'PUBLIC KEY'),
    privatePem: async () => text.trim(),
  };
}

/** The base64 `x-ghl-signature` GHL would send for `body`. */
export async function signGhlBody(body: string | Uint8Array, privateKey: CryptoKey): Promise<string> {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  return bytesToBase64(
    new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, bytes as BufferSource)),
  );
}

/**
 * Add the envelope fields every real delivery carries, `timestamp` and
 * `webhookId`, which the documented per-event examples leave out
 * (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/WebhookAuthentication.md).
 * They go in front, as in the guide's own example; the documented body follows byte for byte.
 */
export function withGhlEnvelope(body: string, envelope: { timestamp: string; webhookId: string }): string {
  const fields = `"timestamp": ${JSON.stringify(envelope.timestamp)},\n  "webhookId": ${JSON.stringify(envelope.webhookId)}`;
  const open = body.indexOf('{');
  return `${body.slice(0, open + 1)}\n  ${fields},${body.slice(open + 1)}`;
}

async function signingKey(context: SignContextV1): Promise<{ key: GhlSigningKey; generated: boolean }> {
  const option = context.options['private-key'];
  const given = (typeof option === 'string' ? option : undefined) ?? context.env.ACT_GHL_SIGNING_KEY?.trim();
  if (given) {
    let pem = given;
    if (!given.includes('-----BEGIN')) {
      if (!context.readFile) throw context.configurationError('the GHL signing key must be PEM text here (no files)');
      try {
        pem = context.readFile(given);
      } catch (error) {
        throw context.configurationError(`cannot read the GHL signing key ${given}: ${(error as Error).message}`);
      }
    }
    try {
      return { key: await importGhlSigningKey(pem), generated: false };
    } catch (error) {
      throw context.configurationError(
        `the GHL signing key is not an Ed25519 PEM private key: ${(error as Error).message}`,
      );
    }
  }
  return { key: await generateGhlSigningKey(), generated: true };
}

/** GHL's signer (`x-ghl-signature`, Ed25519), with the envelope fields of a real delivery added. */
export const ghlSigner: SourceSignerV1 = {
  options: {
    'private-key': {
      type: 'string',
      description:
        'sign with this Ed25519 private key (default: ACT_GHL_SIGNING_KEY, a PEM or a path to one); without one a key pair is generated',
    },
    'save-key': {
      type: 'string',
      description: 'write the generated private key here (reuse it with --private-key)',
    },
  },
  async sign(delivery, context): Promise<SignedDeliveryV1> {
    const { key, generated: isGenerated } = await signingKey(context);
    if (isGenerated) {
      const saveKey = context.options['save-key'];
      if (typeof saveKey === 'string' && context.writeFile) {
        const path = context.writeFile(saveKey, `${await key.privatePem()}\n`);
        context.notice(`saved the generated private key to ${path} (sign with it again: --private-key ${path})`);
      }
      context.notice('no GHL signing key given (--private-key or ACT_GHL_SIGNING_KEY): generated one.');
      context.notice('Configure its public key on the receiving side (local testing only):');
      context.notice(key.publicPem);
      context.notice(`  GHL_WEBHOOK_ED25519_PUBLIC_KEYS="${key.publicPem.replaceAll('\n', '\\n')}"`);
      context.notice(
        '  (or settings.webhook.ed25519PublicKeys; it replaces GHL’s published key, GHL_ED25519_PUBLIC_KEY: list both if the receiver also takes real deliveries)',
      );
    }
    let body = withGhlEnvelope(delivery.body, {
      timestamp: new Date(context.now).toISOString(),
      webhookId: crypto.randomUUID(),
    });
    // Two documented examples carry the wrong type (AppointmentUpdate and -Delete say "AppointmentCreate"):
    // https://github.com/GoHighLevel/highlevel-api-docs/tree/main/docs/webhook%20events
    if (delivery.event.startsWith('Appointment') && delivery.event !== 'AppointmentCreate') {
      body = body.replace('"type": "AppointmentCreate"', `"type": ${JSON.stringify(delivery.event)}`);
    }
    const signWith = context.badSignature ? (await generateGhlSigningKey()).privateKey : key.privateKey;
    return {
      body,
      headers: { ...delivery.headers, 'x-ghl-signature': await signGhlBody(body, signWith) },
      describe: context.badSignature ? 'x-ghl-signature by a different key' : 'x-ghl-signature, Ed25519',
      hints: (status) => {
        if (context.badSignature || status !== 401) return [];
        return [
          '401: the receiver does not know this key. Set GHL_WEBHOOK_ED25519_PUBLIC_KEYS to:',
          key.publicPem,
          isGenerated ? 'then send again with the same key (--save-key now, --private-key next time).' : '',
        ].filter(Boolean);
      },
    };
  },
};
