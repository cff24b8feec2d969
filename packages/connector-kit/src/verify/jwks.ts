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
    if (options.fetch) remote[customFetch] = options.fetch as never;
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
    const match = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i.exec(value);
    if (!match) return fail('malformed', `malformed ${header} header (not a Bearer JWT)`);
    try {
      const { payload } = await jwtVerify(match[1] as string, getKey, {
        ...verifyOptions,
        currentDate: request.receivedAt ?? new Date(),
      });
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
