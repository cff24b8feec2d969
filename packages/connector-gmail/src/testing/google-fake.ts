// What the Gmail and Calendar fakes share: Google's error body [G7] [C4], the
// bearer tokens the fakes issue per account, and small request helpers.
import type { FakeApiRequest, FakeApiResponse } from '@act/connector-kit/testing/fake';
import { requestHeader, sendJson } from '@act/connector-kit/testing/fake';

/**
 * The access token both fakes accept for `account` (an address): what a
 * simulation stores as the account's OAuth token (`google:<account>`), so
 * its mailbox and its primary calendar share one grant, as at Google.
 */
export function fakeGoogleAccessToken(account: string): string {
  return `ya29.fake-${account.trim().toLowerCase()}`;
}

/** The account an access token of `fakeGoogleAccessToken` belongs to. */
export function accountOfToken(token: string): string | undefined {
  return token.startsWith('ya29.fake-') ? token.slice('ya29.fake-'.length) : undefined;
}

/** The bearer token of a request, if any. */
export function bearer(request: FakeApiRequest): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(requestHeader(request, 'authorization') ?? '')?.[1];
}

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  410: 'GONE',
  429: 'RESOURCE_EXHAUSTED',
};

/**
 * Google's JSON error body, as both APIs answer it [G7] [C4]:
 * `{ "error": { "code", "message", "errors": [{ "domain", "reason", "message" }], "status" } }`.
 */
export function sendGoogleError(
  response: FakeApiResponse,
  code: number,
  reason: string,
  message: string,
  domain = 'global',
): void {
  sendJson(response, code, {
    error: {
      code,
      message,
      errors: [{ message, domain, reason }],
      ...(STATUS[code] ? { status: STATUS[code] } : {}),
    },
  });
}

/** `401` as Google answers a missing or unknown token. */
export function sendUnauthenticated(response: FakeApiResponse): void {
  sendGoogleError(
    response,
    401,
    'authError',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  );
}

/** [G7] [C4] "slow down": 403 with `userRateLimitExceeded`, retried with backoff by clients. */
export function sendRateLimited(response: FakeApiResponse): void {
  sendGoogleError(response, 403, 'userRateLimitExceeded', 'User Rate Limit Exceeded', 'usageLimits');
}

/** Base64url without padding (RFC 4648 §5), as Gmail encodes `raw` and body data [G5]. */
export function base64url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** A JSON request body (empty → `{}`). */
export function parseJsonBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  const parsed = JSON.parse(text) as unknown;
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}
