// Gmail signs like Stripe (fictional; a real connector cites the provider's
// docs URL beside each fact: header, signed bytes, encoding, tolerance):
//   x-gmail-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
// The checking (constant time, every secret, replay window) is the kit's.
import { hmacSignature, timestampedSignature, type Verifier } from '@act/connector-kit';

export const GMAIL_SIGNATURE_HEADER = 'x-gmail-signature';
/** Deliveries signed more than 5 minutes from receipt are refused (replay window). */
export const DEFAULT_SIGNATURE_TOLERANCE_MS = 300_000;

export interface VerifyGmailSignatureOptions {
  /** Every secret currently valid, newest first (two while rotating). */
  secrets: readonly string[];
  /** The raw body bytes exactly as received. */
  body: Uint8Array;
  header: string | null | undefined;
  /** Receipt time, epoch ms; defaults to now. */
  now?: number;
  toleranceMs?: number;
}

export type GmailSignatureVerification = { valid: true; keyIndex: number } | { valid: false; reason: string };

/** The kit verifier for Gmail's scheme, made once per secret list. */
export function gmailSignature(secrets: readonly string[], toleranceMs = DEFAULT_SIGNATURE_TOLERANCE_MS): Verifier {
  return hmacSignature({
    algorithm: 'sha256',
    encoding: 'hex',
    header: GMAIL_SIGNATURE_HEADER,
    secrets,
    toleranceMs,
    // Some proxies forward a placeholder instead of dropping the header.
    placeholders: ['N/A'],
    ...timestampedSignature(),
  });
}

/** Check a Gmail signature outside a processor (pure, constant time, fails closed). */
export async function verifyGmailSignature(
  options: VerifyGmailSignatureOptions,
): Promise<GmailSignatureVerification> {
  const result = await gmailSignature(
    options.secrets,
    options.toleranceMs,
  )({
    body: options.body,
    headers: { [GMAIL_SIGNATURE_HEADER]: options.header },
    receivedAt: new Date(options.now ?? Date.now()),
  });
  if (result.ok) return { valid: true, keyIndex: result.keyIndex };
  if (result.code === 'misconfigured') return { valid: false, reason: 'no webhook secret configured' };
  return { valid: false, reason: result.code === 'mismatch' ? 'signature mismatch' : result.reason };
}
