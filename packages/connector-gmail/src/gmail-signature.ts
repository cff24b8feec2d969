// Gmail pushes through Cloud Pub/Sub [G2]; a push subscription with
// authentication enabled sends `Authorization: Bearer <OIDC JWT>` signed by
// Google (RS256) [P2]. Checked here, in the order the doc gives [P2]:
//   1. the signature, against Google's JWKS (jose's createRemoteJWKSet through
//      the kit: cached, one refresh when a token names an unknown `kid`);
//   2. `iss` (both of Google's forms [P4]), `aud` (always configured: the
//      subscription's audience is optional and must not be guessed [P2]),
//      `exp`/`iat` with 300 s of clock skew [P4];
//   3. `email` is the push subscription's service account and
//      `email_verified` is true [P2].
// Before the JWT, the optional shared `?token=` of the push endpoint URL, as
// the doc's sample does [P2]: cheap, and a second factor.
import {
  createSecretMatcher,
  type JwksVerified,
  jwks,
  queryValue,
  type Verifier,
  type VerifyFailureCode,
} from '@act/connector-kit';
import type { JWTVerifyGetKey } from 'jose';
import { GOOGLE_ISSUERS, GOOGLE_JWKS_URL } from './google-settings';

/** The query parameter of the push endpoint URL holding the shared token (`https://…/gmail?token=<secret>`) [P2]. */
export const GMAIL_PUSH_TOKEN_PARAMETER = 'token';

/** How a Gmail push is authenticated: the push subscription's settings [P2]. */
export interface GmailPushOptions {
  /** The audience configured on the push subscription (required: never defaulted). Several while changing it. */
  audience: string | readonly string[];
  /** The service account the push subscription authenticates as (the token's `email`); compared case-insensitively. */
  serviceAccountEmail: string;
  /**
   * Shared tokens, one of which the push endpoint URL carries as `?token=`
   * (two while rotating). Empty or absent: no token is required.
   */
  tokens?: readonly string[];
  /** Google's JWKS by default ([P4] `https://www.googleapis.com/oauth2/v3/certs`). */
  jwksUrl?: string;
  /** A key set to use instead of downloading `jwksUrl` (tests: jose's `createLocalJWKSet`). */
  keySet?: JWTVerifyGetKey;
  /** The fetch that downloads the JWKS (tests, proxies). */
  fetch?: typeof fetch;
  /** Clock skew allowed on `exp`/`iat`, in seconds. Defaults to 300, Google's own library's [P4]. */
  clockToleranceSeconds?: number;
}

/** [P4] Google's library refuses ID tokens that live longer than a day. */
const MAX_TOKEN_LIFETIME_SECONDS = 86_400;

type Failure = { ok: false; code: VerifyFailureCode; reason: string };
const fail = (code: VerifyFailureCode, reason: string): Failure => ({ ok: false, code, reason });

/**
 * The kit verifier for a Gmail Pub/Sub push, made once per configuration.
 * Never throws and fails closed: without options (or with a blank audience
 * or service account) every push is refused as `misconfigured`, as is one
 * whose JWKS cannot be fetched (our side cannot verify; the sender is not at
 * fault, so the webhook answers a status Pub/Sub retries).
 */
export function verifyGmailPush(options: GmailPushOptions | undefined): Verifier<JwksVerified> {
  const problem = configurationProblem(options);
  if (problem !== undefined || !options) {
    const refused = fail('misconfigured', problem ?? 'Gmail push authentication is not configured');
    return async () => refused;
  }
  const expected = options.serviceAccountEmail.trim().toLowerCase();
  const tokens = (options.tokens ?? []).filter((token) => typeof token === 'string' && token !== '');
  const matchToken = tokens.length > 0 ? createSecretMatcher(tokens) : undefined;
  let jwt: Verifier<JwksVerified>;
  try {
    jwt = jwks({
      issuers: GOOGLE_ISSUERS,
      audience: options.audience,
      algorithms: ['RS256'],
      ...(options.clockToleranceSeconds !== undefined ? { clockToleranceSeconds: options.clockToleranceSeconds } : {}),
      ...(options.keySet
        ? { keySet: options.keySet }
        : { url: new URL(options.jwksUrl ?? GOOGLE_JWKS_URL), ...(options.fetch ? { fetch: options.fetch } : {}) }),
      // [P4] Google's library refuses ID tokens without `iat`, issued in the future, or living over a day.
      maxTokenLifetimeSeconds: MAX_TOKEN_LIFETIME_SECONDS,
      checkClaims: (claims) => {
        // [P2] "Ensure that claim["email"] is equal to the expected service account… email_verified is set to true".
        if (typeof claims.email !== 'string' || claims.email.trim().toLowerCase() !== expected) {
          return 'token email is not the push service account';
        }
        if (claims.email_verified !== true) return 'token email is not verified';
        return undefined;
      },
    });
  } catch {
    const refused = fail('misconfigured', 'the JWKS URL is not a URL');
    return async () => refused;
  }

  return async (request) => {
    if (matchToken) {
      const token = queryValue(request.url, GMAIL_PUSH_TOKEN_PARAMETER);
      if (token === undefined || token === '') return fail('missing', 'missing push token');
      if ((await matchToken(token)) === undefined) return fail('mismatch', 'push token mismatch');
    }
    return jwt(request);
  };
}

function configurationProblem(options: GmailPushOptions | undefined): string | undefined {
  if (!options) return 'Gmail push authentication is not configured';
  const audiences = typeof options.audience === 'string' ? [options.audience] : [...(options.audience ?? [])];
  if (audiences.length === 0 || audiences.some((audience) => typeof audience !== 'string' || !audience.trim())) {
    return 'no push audience configured';
  }
  if (typeof options.serviceAccountEmail !== 'string' || !options.serviceAccountEmail.trim()) {
    return 'no push service account configured';
  }
  return undefined;
}
