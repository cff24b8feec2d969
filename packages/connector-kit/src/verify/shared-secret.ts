import { createSecretMatcher } from './secret-match';
import { fail, type Verifier } from './types';

export interface SharedSecretOptions {
  /**
   * Accepted secrets (two while rotating). Empty strings are skipped; none
   * at all refuses every request as `misconfigured`.
   */
  secrets: readonly string[];
  /** Header carrying the secret (any case); `false` to read only `queryParameter`. */
  header: string | false;
  /** Query parameter carrying the secret, e.g. `token`. Off by default: URLs end up in logs. */
  queryParameter?: string | false;
}

/**
 * A shared-secret verifier: the request carries one of the configured
 * secrets as is, in a header or a query parameter (GHL workflow actions, any
 * provider that can only send a static custom header). The comparison is
 * constant time (see `createSecretMatcher`) and fails closed.
 */
export function sharedSecret(options: SharedSecretOptions): Verifier {
  const header = options.header === false ? undefined : options.header.toLowerCase();
  const queryParameter = options.queryParameter || undefined;
  if (header === '' || (header === undefined && queryParameter === undefined)) {
    throw new TypeError('sharedSecret needs a header or a queryParameter to read the secret from');
  }
  const usable = options.secrets.some((secret) => typeof secret === 'string' && secret !== '');
  const matcher = createSecretMatcher(options.secrets.map((secret) => (typeof secret === 'string' ? secret : '')));
  const where = [header && `${header} header`, queryParameter && `${queryParameter} parameter`]
    .filter(Boolean)
    .join(' or ');

  return async (request) => {
    if (!usable) return fail('misconfigured', 'no shared secret configured');
    const candidates: string[] = [];
    if (header) {
      const value = request.headers[header];
      if (value !== undefined && value !== null && value !== '') candidates.push(value);
    }
    if (queryParameter) {
      const value = queryValue(request.url, queryParameter);
      if (value !== undefined && value !== '') candidates.push(value);
    }
    if (candidates.length === 0) return fail('missing', `missing secret (${where})`);
    for (const candidate of candidates) {
      const keyIndex = await matcher(candidate);
      if (keyIndex !== undefined) return { ok: true, keyIndex };
    }
    return fail('mismatch', 'secret mismatch');
  };
}

export interface PathTokenOptions {
  /** Accepted tokens (two while rotating). None refuses every request as `misconfigured`. */
  secrets: readonly string[];
  /**
   * Which path segment holds the token: an index into the non-empty segments
   * (negative counts from the end). Defaults to `-1`, the last segment
   * (`https://…/webhooks/acme/<token>`).
   */
  segment?: number;
}

/**
 * A path-token verifier: the secret is a segment of the URL path, for
 * providers that let you register a URL but send no signature. Constant-time
 * compare; fails closed.
 */
export function pathToken(options: PathTokenOptions): Verifier {
  const segment = options.segment ?? -1;
  const usable = options.secrets.some((secret) => typeof secret === 'string' && secret !== '');
  const matcher = createSecretMatcher(options.secrets.map((secret) => (typeof secret === 'string' ? secret : '')));
  return async (request) => {
    if (!usable) return fail('misconfigured', 'no path token configured');
    const segments = pathSegments(request.url);
    const value = segments?.at(segment);
    if (value === undefined || value === '') return fail('missing', 'missing path token');
    const keyIndex = await matcher(value);
    return keyIndex === undefined ? fail('mismatch', 'path token mismatch') : { ok: true, keyIndex };
  };
}

/** A query parameter of `url`, or `undefined` (also for an unreadable URL). */
export function queryValue(url: string | undefined, name: string): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).searchParams.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

function pathSegments(url: string | undefined): string[] | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).pathname
      .split('/')
      .filter((part) => part !== '')
      .map((part) => decodeURIComponent(part));
  } catch {
    return undefined;
  }
}
