// Template signs like Stripe (fictional; a real connector cites the provider's
// docs URL beside each fact: header, signed bytes, encoding, tolerance):
//   x-template-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
// The checking (constant time, every secret, replay window) is the kit's.
import { hmacSignature, timestampedSignature, type Verifier } from '@act/connector-kit';

export const TEMPLATE_SIGNATURE_HEADER = 'x-template-signature';
/** Deliveries signed more than 5 minutes from receipt are refused (replay window). */
export const DEFAULT_SIGNATURE_TOLERANCE_MS = 300_000;

export interface VerifyTemplateSignatureOptions {
  /** Every secret currently valid, newest first (two while rotating). */
  secrets: readonly string[];
  /** The raw body bytes exactly as received. */
  body: Uint8Array;
  header: string | null | undefined;
  /** Receipt time, epoch ms; defaults to now. */
  now?: number;
  toleranceMs?: number;
}

export type TemplateSignatureVerification = { valid: true; keyIndex: number } | { valid: false; reason: string };

/** The kit verifier for Template's scheme, made once per secret list. */
export function templateSignature(secrets: readonly string[], toleranceMs = DEFAULT_SIGNATURE_TOLERANCE_MS): Verifier {
  return hmacSignature({
    algorithm: 'sha256',
    encoding: 'hex',
    header: TEMPLATE_SIGNATURE_HEADER,
    secrets,
    toleranceMs,
    // Some proxies forward a placeholder instead of dropping the header.
    placeholders: ['N/A'],
    ...timestampedSignature(),
  });
}

/** Check a Template signature outside a processor (pure, constant time, fails closed). */
export async function verifyTemplateSignature(
  options: VerifyTemplateSignatureOptions,
): Promise<TemplateSignatureVerification> {
  const result = await templateSignature(
    options.secrets,
    options.toleranceMs,
  )({
    body: options.body,
    headers: { [TEMPLATE_SIGNATURE_HEADER]: options.header },
    receivedAt: new Date(options.now ?? Date.now()),
  });
  if (result.ok) return { valid: true, keyIndex: result.keyIndex };
  if (result.code === 'misconfigured') return { valid: false, reason: 'no webhook secret configured' };
  return { valid: false, reason: result.code === 'mismatch' ? 'signature mismatch' : result.reason };
}
