// Signs deliveries as Google does, for tests, the fakes and `act trigger`.
//
// Gmail: Pub/Sub pushes carry `Authorization: Bearer <OIDC ID token>`, an
// RS256 JWT Google signs with the keys it publishes as a JWKS [P2] [P4]. Only
// Google holds those keys, so this signs with an RS256 key you give it (or one
// it generates), and the receiver must take that key's JWKS instead of
// Google's (`GOOGLE_JWKS_URL`, or `push.keySet` in code). The claims are the
// ones the doc shows: `aud`, `azp`, `email`, `email_verified`, `exp`, `iat`,
// `iss`, `sub` [P2].
//
// Calendar: notifications carry no signature, only the channel's token and
// ids in `X-Goog-*` headers [C2]; the receiver knows them from the channel it
// made, so `act trigger calendar` needs them (`--channel-id`, `--token`,
// `--resource-id`).
//
// jose over Web Crypto: the same code runs on Node, Deno and edge runtimes.
import type { SignContextV1, SignedDeliveryV1, SourceSignerV1 } from '@act/core';
import {
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importPKCS8,
  type JSONWebKeySet,
  type JWK,
  SignJWT,
} from 'jose';
import { GOOGLE_ISSUERS, GOOGLE_JWKS_URL } from '../google-settings';

/** An RS256 key pair playing Google's OIDC signing key, with its public half as a one-key JWKS. */
export interface GoogleSigningKey {
  /** The JWT header's `kid`: the key's JWK thumbprint (RFC 7638), so one key always has one id. */
  kid: string;
  privateKey: CryptoKey;
  /** `{ keys: [<public JWK>] }`, as `https://www.googleapis.com/oauth2/v3/certs` publishes Google's [P4]. */
  jwks: JSONWebKeySet;
  /** The private key as PKCS #8 PEM (to save and reuse). */
  privatePem(): Promise<string>;
}

async function signingKey(privateKey: CryptoKey, publicJwk: JWK): Promise<GoogleSigningKey> {
  const publicPart: JWK = { kty: publicJwk.kty as string, n: publicJwk.n as string, e: publicJwk.e as string };
  const kid = await calculateJwkThumbprint(publicPart);
  return {
    kid,
    privateKey,
    jwks: { keys: [{ ...publicPart, kid, alg: 'RS256', use: 'sig' }] },
    privatePem: () => exportPKCS8(privateKey),
  };
}

/** A fresh RS256 key pair (tests, the fakes, `act trigger` without a key). */
export async function generateGoogleSigningKey(): Promise<GoogleSigningKey> {
  const pair = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  return signingKey(pair.privateKey, await exportJWK(pair.publicKey));
}

/** An RS256 private key from PKCS #8 PEM text (`\n` written as backslash-n allowed, as `.env` files hold it). */
export async function importGoogleSigningKey(pem: string): Promise<GoogleSigningKey> {
  const privateKey = await importPKCS8(pem.replaceAll('\\n', '\n').trim(), 'RS256', { extractable: true });
  return signingKey(privateKey, await exportJWK(privateKey));
}

/** What a Pub/Sub push token says about its sender [P2]. */
export interface PushTokenClaims {
  /** The push subscription's audience. */
  audience: string;
  /** The push subscription's service account (`email`). */
  serviceAccountEmail: string;
  /** When it was minted, epoch ms. */
  now: number;
  /** Lifetime in seconds: Google's ID tokens live an hour [P2]. */
  lifetimeSeconds?: number;
  /** `accounts.google.com` or `https://accounts.google.com` [P4]; defaults to the latter, as the doc's sample. */
  issuer?: string;
  /** `email_verified`; `true` unless a test says otherwise. */
  emailVerified?: boolean;
  /** The service account's numeric id (`sub`, `azp`). */
  subject?: string;
}

/** A Pub/Sub push's OIDC token, shaped as the doc's decoded sample [P2], signed with `key`. */
export async function mintPushToken(key: GoogleSigningKey, claims: PushTokenClaims): Promise<string> {
  const iat = Math.floor(claims.now / 1000);
  const subject = claims.subject ?? '113774264463038321964';
  return new SignJWT({
    aud: claims.audience,
    azp: subject,
    email: claims.serviceAccountEmail,
    sub: subject,
    email_verified: claims.emailVerified ?? true,
    exp: iat + (claims.lifetimeSeconds ?? 3600),
    iat,
    iss: claims.issuer ?? (GOOGLE_ISSUERS[0] as string),
  })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .sign(key.privateKey);
}

/**
 * [G2] `message.data` of a Gmail push: base64 of `{"emailAddress": …, "historyId": …}`,
 * spaced as the guide's sample decodes (`{"emailAddress": "user@example.com", "historyId": "1234567890"}`).
 */
export function gmailPushData(emailAddress: string, historyId: string): string {
  const json = `{"emailAddress": ${JSON.stringify(emailAddress)}, "historyId": ${JSON.stringify(historyId)}}`;
  let binary = '';
  for (const byte of new TextEncoder().encode(json)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** A fresh Pub/Sub message id: decimal, as the doc's `2070443601311540` [P1]. */
function freshMessageId(): string {
  const digits = crypto.getRandomValues(new Uint32Array(2));
  return `${((digits[0] as number) % 9_000_000) + 1_000_000}${String((digits[1] as number) % 1_000_000_000).padStart(9, '0')}`;
}

/**
 * A new push from a documented one: a fresh `messageId` and `publishTime`
 * (both spellings [P1]), so a second trigger is a new message rather than a
 * redelivery the receiver drops; with `mailbox`, `message.data` names it.
 * Everything else stays byte for byte.
 */
export function freshGmailPush(body: string, options: { now: number; mailbox?: string | undefined }): string {
  const messageId = freshMessageId();
  const publishTime = new Date(options.now).toISOString();
  let fresh = body
    .replace(/("message_?[iI]d"\s*:\s*)"[^"]*"/g, `$1"${messageId}"`)
    .replace(/("publish_?[tT]ime"\s*:\s*)"[^"]*"/g, `$1"${publishTime}"`);
  if (options.mailbox !== undefined) {
    const historyId = /"data"\s*:\s*"([^"]*)"/.exec(body)?.[1];
    const decoded = historyId ? (JSON.parse(atob(historyId)) as { historyId?: unknown }) : {};
    const data = gmailPushData(options.mailbox, String(decoded.historyId ?? '1'));
    fresh = fresh.replace(/("data"\s*:\s*)"[^"]*"/, `$1"${data}"`);
  }
  return fresh;
}

async function keyFrom(context: SignContextV1): Promise<{ key: GoogleSigningKey; generated: boolean }> {
  const option = context.options['private-key'];
  const given = (typeof option === 'string' ? option : undefined) ?? context.env.ACT_GMAIL_SIGNING_KEY?.trim();
  if (!given) return { key: await generateGoogleSigningKey(), generated: true };
  let pem = given;
  if (!given.includes('-----BEGIN')) {
    if (!context.readFile) throw context.configurationError('the Gmail signing key must be PEM text here (no files)');
    try {
      pem = context.readFile(given);
    } catch (error) {
      throw context.configurationError(`cannot read the Gmail signing key ${given}: ${(error as Error).message}`);
    }
  }
  try {
    return { key: await importGoogleSigningKey(pem), generated: false };
  } catch (error) {
    throw context.configurationError(
      `the Gmail signing key is not an RS256 PKCS #8 PEM private key: ${(error as Error).message}`,
    );
  }
}

function firstOf(value: string | boolean | undefined, variable: string | undefined): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return variable?.split(',')[0]?.trim() || undefined;
}

/**
 * Gmail's signer: a Pub/Sub push with a fresh message id, and an OIDC token
 * for the receiver's audience and service account signed by a local RS256 key.
 */
export const gmailSigner: SourceSignerV1 = {
  options: {
    'private-key': {
      type: 'string',
      description:
        'sign the push token with this RS256 private key (default: ACT_GMAIL_SIGNING_KEY, a PKCS #8 PEM or a path to one); without one a key is generated',
    },
    'save-key': { type: 'string', description: 'write the generated private key here (reuse it with --private-key)' },
    'save-jwks': {
      type: 'string',
      description: 'write the key’s JWKS here: serve it and point the receiver’s GOOGLE_JWKS_URL at it',
    },
    audience: {
      type: 'string',
      description: 'the push subscription’s audience, the token’s aud (default: GMAIL_PUSH_AUDIENCE)',
    },
    'service-account': {
      type: 'string',
      description: 'the push subscription’s service account, the token’s email (default: GMAIL_PUSH_SERVICE_ACCOUNT)',
    },
    mailbox: { type: 'string', description: 'the mailbox the push names (default: the sample’s user@example.com)' },
  },
  async sign(delivery, context): Promise<SignedDeliveryV1> {
    const audience = firstOf(context.options.audience, context.env.GMAIL_PUSH_AUDIENCE);
    if (!audience) {
      throw context.configurationError(
        'GMAIL_PUSH_AUDIENCE is not set (the audience of the push subscription your receiver checks; or pass --audience)',
      );
    }
    const serviceAccountEmail = firstOf(context.options['service-account'], context.env.GMAIL_PUSH_SERVICE_ACCOUNT);
    if (!serviceAccountEmail) {
      throw context.configurationError(
        'GMAIL_PUSH_SERVICE_ACCOUNT is not set (the service account the push subscription signs as; or pass --service-account)',
      );
    }
    const { key, generated } = await keyFrom(context);
    const jwks = JSON.stringify(key.jwks);
    if (generated) {
      const saveKey = context.options['save-key'];
      if (typeof saveKey === 'string' && context.writeFile) {
        const path = context.writeFile(saveKey, `${await key.privatePem()}`);
        context.notice(`saved the generated private key to ${path} (sign with it again: --private-key ${path})`);
      }
      context.notice('no Gmail signing key given (--private-key or ACT_GMAIL_SIGNING_KEY): generated one.');
    }
    const saveJwks = context.options['save-jwks'];
    if (typeof saveJwks === 'string' && context.writeFile) {
      context.notice(`saved the key’s JWKS to ${context.writeFile(saveJwks, `${jwks}\n`)}`);
    }
    if (generated || typeof saveJwks === 'string') {
      context.notice(
        `The receiver must verify with this key instead of Google’s (${GOOGLE_JWKS_URL}), local testing only: serve this JWKS and set GOOGLE_JWKS_URL to its URL (or settings.push.keySet = createLocalJWKSet(<it>)):`,
      );
      context.notice(jwks);
    }
    const mailbox = context.options.mailbox;
    const body = freshGmailPush(delivery.body, {
      now: context.now,
      mailbox: typeof mailbox === 'string' && mailbox.trim() !== '' ? mailbox.trim() : undefined,
    });
    // A wrong signature: the same kid, signed by another key.
    const signWith = context.badSignature ? { ...(await generateGoogleSigningKey()), kid: key.kid } : key;
    const token = await mintPushToken(signWith, { audience, serviceAccountEmail, now: context.now });
    return {
      body,
      headers: { ...delivery.headers, authorization: `Bearer ${token}` },
      describe: context.badSignature
        ? 'Pub/Sub OIDC token signed by a different key'
        : `Pub/Sub OIDC token, RS256, aud ${audience}`,
      hints: (status) => {
        if (context.badSignature || status !== 401) return [];
        return [
          `401: the receiver refused the token. Its GMAIL_PUSH_AUDIENCE must hold ${audience}, its GMAIL_PUSH_SERVICE_ACCOUNT be ${serviceAccountEmail}, and its GOOGLE_JWKS_URL serve:`,
          jwks,
          generated ? 'then send again with the same key (--save-key now, --private-key next time).' : '',
        ].filter(Boolean);
      },
    };
  },
};

/** [C2] The headers a notification authenticates by: what the receiver stored when it made the channel. */
const CHANNEL_HEADERS = {
  'channel-id': 'x-goog-channel-id',
  token: 'x-goog-channel-token',
  'resource-id': 'x-goog-resource-id',
} as const;

/**
 * Google Calendar's "signer": notifications carry no signature [C2]; the
 * sample's headers are given the channel id, token and resource id of a
 * channel the receiver made (`--channel-id`, `--token`, `--resource-id`, or
 * ACT_CALENDAR_CHANNEL_ID, ACT_CALENDAR_CHANNEL_TOKEN, ACT_CALENDAR_RESOURCE_ID).
 * The sample's body is the documented headers as JSON; the delivery has no body.
 */
export const calendarSigner: SourceSignerV1 = {
  options: {
    'channel-id': {
      type: 'string',
      description: 'the channel’s id, X-Goog-Channel-ID (default: ACT_CALENDAR_CHANNEL_ID)',
    },
    token: {
      type: 'string',
      description: 'the channel’s token, X-Goog-Channel-Token (default: ACT_CALENDAR_CHANNEL_TOKEN)',
    },
    'resource-id': {
      type: 'string',
      description: 'the watched resource’s id, X-Goog-Resource-ID (default: ACT_CALENDAR_RESOURCE_ID)',
    },
  },
  async sign(delivery, context): Promise<SignedDeliveryV1> {
    const variables = {
      'channel-id': 'ACT_CALENDAR_CHANNEL_ID',
      token: 'ACT_CALENDAR_CHANNEL_TOKEN',
      'resource-id': 'ACT_CALENDAR_RESOURCE_ID',
    } as const;
    const values: Partial<Record<keyof typeof CHANNEL_HEADERS, string>> = {};
    for (const name of Object.keys(CHANNEL_HEADERS) as (keyof typeof CHANNEL_HEADERS)[]) {
      const value = firstOf(context.options[name], context.env[variables[name]]);
      if (!value) {
        throw context.configurationError(
          `calendar notifications carry the channel your receiver made (no signature): pass --${name} (or set ${variables[name]}); its channel record holds the id and resource id, the token is the one it sent to events.watch`,
        );
      }
      values[name] = value;
    }
    const documented = JSON.parse(delivery.body) as Record<string, string>;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(documented)) headers[name.toLowerCase()] = String(value).trim();
    for (const [option, header] of Object.entries(CHANNEL_HEADERS)) {
      headers[header] = values[option as keyof typeof CHANNEL_HEADERS] as string;
    }
    if (context.badSignature) headers['x-goog-channel-token'] = `${headers['x-goog-channel-token']}-wrong`;
    delete headers['content-length'];
    return {
      body: '',
      headers: { ...delivery.headers, ...headers },
      describe: context.badSignature ? 'a wrong X-Goog-Channel-Token' : 'X-Goog-Channel-Token of the channel',
      hints: (status) =>
        !context.badSignature && status === 401
          ? [
              '401: the receiver knows no channel with this id, token and resource id (the channel record it stored at events.watch)',
            ]
          : [],
    };
  },
};
