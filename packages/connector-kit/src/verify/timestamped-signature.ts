// Stripe's signature scheme, which many providers copy: the header carries a
// timestamp and one or more signatures, `t=1767261600,v1=5257a8…,v1=…`, and
// the HMAC covers `<t>.<raw body>`, so the timestamp cannot be altered.
// See https://docs.stripe.com/webhooks#verify-manually
import type { HmacSignatureOptions, ParsedSignatureHeader } from './hmac';

export interface TimestampedSignatureOptions {
  /** The timestamp's key; default `t`. */
  timestamp?: string;
  /** The signatures' key; default `v1` (other keys, e.g. a future `v2`, are ignored). */
  signature?: string;
  /** Between the timestamp and the body in the signed bytes; default `.`. */
  separator?: string;
}

const encoder = new TextEncoder();

/**
 * `parse` and `payload` for `hmacSignature`: `hmacSignature({ …, ...timestampedSignature() })`.
 * A header with no, two or a non-numeric timestamp, no signature or a part
 * without `=` is malformed; several signatures are allowed (the provider
 * signing with each of its secrets while it rotates).
 */
export function timestampedSignature(
  options: TimestampedSignatureOptions = {},
): Required<Pick<HmacSignatureOptions, 'parse' | 'payload'>> {
  const { timestamp: timestampKey = 't', signature: signatureKey = 'v1', separator = '.' } = options;
  const parse = (value: string): ParsedSignatureHeader | undefined => {
    let timestamp: string | undefined;
    const signatures: string[] = [];
    for (const part of value.split(',')) {
      const at = part.indexOf('=');
      if (at < 1) return undefined;
      const key = part.slice(0, at).trim();
      const item = part.slice(at + 1).trim();
      if (key === timestampKey) {
        if (timestamp !== undefined || !/^\d{1,12}$/.test(item)) return undefined;
        timestamp = item;
      } else if (key === signatureKey) {
        signatures.push(item);
      }
    }
    return timestamp !== undefined && signatures.length > 0 ? { timestamp, signatures } : undefined;
  };
  const payload: HmacSignatureOptions['payload'] = ({ body }, { timestamp }) => {
    const prefix = encoder.encode(`${timestamp}${separator}`);
    const signed = new Uint8Array(prefix.byteLength + body.byteLength);
    signed.set(prefix);
    signed.set(body, prefix.byteLength);
    return signed;
  };
  return { parse, payload: payload as NonNullable<HmacSignatureOptions['payload']> };
}
