/** What a verifier reads from an incoming request. `WebhookRequestV1` fits as is. */
export interface VerifiableRequest {
  /** The raw body bytes exactly as received. */
  body: Uint8Array;
  /** Header names lower-cased (`WebhookRequestV1.headers`, or `Object.fromEntries(request.headers)`). */
  headers: Readonly<Record<string, string | null | undefined>>;
  /** The full request URL (query parameters and path tokens live there). */
  url?: string;
  /** When the request was received; the clock for timestamp tolerances. Defaults to now. */
  receivedAt?: Date;
}

/**
 * Why a request was refused, for connectors to map onto their own messages:
 * - `misconfigured`: no usable secret or key is configured (our fault, not the sender's);
 * - `missing`: the credential (header, parameter, token) is absent, blank or a placeholder;
 * - `malformed`: it is present but cannot be read (not canonical base64/hex, wrong length, bad header grammar);
 * - `expired`: its timestamp is outside the tolerance (replay window) or the token has expired;
 * - `mismatch`: it is well formed but no configured secret or key verifies it;
 * - `claims`: a verified token whose claims (issuer, audience, email, …) are not the expected ones.
 */
export type VerifyFailureCode = 'misconfigured' | 'missing' | 'malformed' | 'expired' | 'mismatch' | 'claims';

export type VerifyResult<TOk extends object = Record<never, never>> =
  | ({
      ok: true;
      /** Index of the configured secret or key that matched (rotation metrics; never the secret). */
      keyIndex: number;
    } & TOk)
  | {
      ok: false;
      code: VerifyFailureCode;
      /** Short, safe to log and to answer with. Connectors usually replace it with their own wording. */
      reason: string;
      /** Configured keys that could not be read (indexes); set on any failure while one is broken. */
      brokenKeys?: readonly number[];
    };

/** A verifier made once per configuration and called once per request. Never throws; fails closed. */
export type Verifier<TOk extends object = Record<never, never>> = (
  request: VerifiableRequest,
) => Promise<VerifyResult<TOk>>;

/** Bytes or text (taken as its UTF-8 bytes). */
export type Signable = Uint8Array | string;

const encoder = new TextEncoder();

/** `Signable` as a view over a plain `ArrayBuffer`, as Web Crypto wants it. */
export function toBytes(value: Signable): Uint8Array<ArrayBuffer> {
  if (typeof value === 'string') return encoder.encode(value);
  return (value.buffer instanceof ArrayBuffer ? value : new Uint8Array(value)) as Uint8Array<ArrayBuffer>;
}

/**
 * A header value, or `undefined` when it is absent, blank or one of
 * `placeholders` (compared case-insensitively after trimming): all of them
 * are "missing", so they fail closed. Anything else comes back untrimmed, so
 * an altered header never decodes to the same signature.
 */
export function headerValue(
  request: VerifiableRequest,
  name: string,
  placeholders: readonly string[] = [],
): string | undefined {
  const value = request.headers[name.toLowerCase()];
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (placeholders.length === 0) return value as string;
  const upper = trimmed.toUpperCase();
  if (placeholders.some((placeholder) => placeholder.toUpperCase() === upper)) return undefined;
  return value as string;
}

export function fail(
  code: VerifyFailureCode,
  reason: string,
  brokenKeys?: readonly number[],
): { ok: false; code: VerifyFailureCode; reason: string; brokenKeys?: readonly number[] } {
  return brokenKeys && brokenKeys.length > 0 ? { ok: false, code, reason, brokenKeys } : { ok: false, code, reason };
}
