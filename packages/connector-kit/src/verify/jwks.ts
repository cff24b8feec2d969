import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  type RemoteJWKSetOptions,
} from 'jose';
import { fail, type VerifiableRequest, type Verifier } from './types';

export interface JwksOptions {
  /** The JWKS URL, e.g. Google's `https://www.googleapis.com/oauth2/v3/certs`. Ignored when `keySet` is given. */
  url?: string | URL;
  /** Accepted `iss` values (Google signs with `https://accounts.google.com` or `accounts.google.com`). */
  issuers: readonly string[];
  /** The expected `aud` (always configure one explicitly). */
  audience: string | readonly string[];
  /** Accepted JWS algorithms. Defaults to `['RS256']` (Google OIDC ID tokens). */
  algorithms?: readonly string[];
  /** The header carrying `Bearer <JWT>`. Defaults to `authorization`. */
  header?: string;
  /** Clock skew allowed for `exp`/`nbf`/`iat`, in seconds. Defaults to 300. */
  clockToleranceSeconds?: number;
  /**
   * Further checks on the verified claims (e.g. Pub/Sub's `email` is the push
   * service account and `email_verified` is true). Return a reason to refuse.
   */
  checkClaims?: (claims: JWTPayload) => string | undefined;
  /** A key set to use instead of fetching `url` (tests: jose's `createLocalJWKSet`). */
  keySet?: JWTVerifyGetKey;
  /** The fetch used to download the JWKS (tests, proxies). */
  fetch?: typeof fetch;
  /** Timeout for the JWKS download in ms (jose's default 5 000). */
  timeoutMs?: number;
  /**
   * Refuse tokens without `iat`, issued in the future (beyond the skew), or
   * living longer than this many seconds (`exp - iat`), as Google's own
   * library does for its ID tokens (a day). jose alone checks neither.
   */
  maxTokenLifetimeSeconds?: number;
}

export interface JwksVerified {
  /** The verified claims. */
  claims: JWTPayload;
}

/**
 * An OIDC JWT verifier over a JWKS (Google Pub/Sub push authentication:
 * `Authorization: Bearer <Google-signed OIDC JWT>`, see
 * https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions).
 * Built on jose's `createRemoteJWKSet` (cached, cooldown on unknown `kid`)
 * and `jwtVerify` (signature, `iss`, `aud`, `exp`, `nbf`). Fails closed: a
 * JWKS that cannot be fetched refuses the request as `misconfigured`.
 */
export function jwks(options: JwksOptions): Verifier<JwksVerified> {
  const header = (options.header ?? 'authorization').toLowerCase();
  let keySet = options.keySet;
  if (!keySet) {
    if (!options.url) throw new TypeError('jwks needs a url or a keySet');
    const remote: RemoteJWKSetOptions = {};
    remote[customFetch] = strictJwksFetch(options.fetch) as never;
    if (options.timeoutMs !== undefined) remote.timeoutDuration = options.timeoutMs;
    keySet = createRemoteJWKSet(new URL(options.url), remote);
  }
  const getKey = keySet;
  const audience = typeof options.audience === 'string' ? options.audience : [...options.audience];
  const verifyOptions = {
    issuer: [...options.issuers],
    audience,
    algorithms: [...(options.algorithms ?? ['RS256'])],
    clockTolerance: options.clockToleranceSeconds ?? 300,
    // jose checks `exp` only when present: a signed token without one would be valid forever.
    requiredClaims: ['exp'],
  };

  return async (request: VerifiableRequest) => {
    if (options.issuers.length === 0 || audience.length === 0) {
      return fail('misconfigured', 'no issuer or audience configured');
    }
    const value = request.headers[header]?.trim();
    if (!value) return fail('missing', `missing ${header} header`);
    const match = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+))$/i.exec(value);
    if (!match) return fail('malformed', `malformed ${header} header (not a Bearer JWT)`);
    // base64url decoders ignore the last character's unused bits: without this, a
    // token altered there would still verify (one signature, many spellings).
    if (!isCanonicalBase64url(match[2] as string)) return fail('malformed', 'malformed token signature');
    const receivedAt = request.receivedAt ?? new Date();
    try {
      const { payload } = await jwtVerify(match[1] as string, getKey, {
        ...verifyOptions,
        currentDate: receivedAt,
      });
      if (options.maxTokenLifetimeSeconds !== undefined) {
        const { iat, exp } = payload;
        if (typeof iat !== 'number' || !Number.isFinite(iat)) return fail('claims', 'token has no iat claim');
        if (iat > receivedAt.getTime() / 1000 + verifyOptions.clockTolerance) {
          return fail('claims', 'token issued in the future');
        }
        if (typeof exp !== 'number' || exp - iat > options.maxTokenLifetimeSeconds) {
          return fail('claims', 'token lifetime too long');
        }
      }
      const refused = options.checkClaims?.(payload);
      if (refused !== undefined) return fail('claims', refused);
      return { ok: true, keyIndex: 0, claims: payload };
    } catch (error) {
      return jwtFailure(error);
    }
  };
}

function jwtFailure(error: unknown): ReturnType<typeof fail> {
  if (error instanceof errors.JWTExpired) return fail('expired', 'token expired');
  if (error instanceof errors.JWTClaimValidationFailed) return fail('claims', `token claim ${error.claim} rejected`);
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return fail('misconfigured', 'JWKS unavailable');
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWSSignatureVerificationFailed) {
    return fail('mismatch', 'token signature mismatch');
  }
  if (error instanceof errors.JOSEError) return fail('malformed', `token refused (${error.code})`);
  // A network failure fetching the JWKS: our side cannot verify, the sender is not at fault.
  return fail('misconfigured', 'JWKS unavailable');
}

/** No unused bits set in the last character of a base64url string (no padding). */
function isCanonicalBase64url(text: string): boolean {
  const rest = text.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(text.at(-1) as string);
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/**
 * jose reads any answer to the JWKS request and refuses all but a 200 with a
 * generic error that cannot be told from a bad token. Thrown here, a non-200
 * or an unreadable body is a failed download, reported as `misconfigured`
 * (our side cannot verify; the sender is not at fault).
 */
function strictJwksFetch(base: typeof fetch | undefined): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await (base ?? globalThis.fetch)(input, init);
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`the JWKS answered HTTP ${response.status}`);
    }
    const text = await response.text();
    try {
      JSON.parse(text);
    } catch {
      throw new Error('the JWKS is not JSON');
    }
    return new Response(text, { status: 200, headers: response.headers });
  }) as typeof fetch;
}
