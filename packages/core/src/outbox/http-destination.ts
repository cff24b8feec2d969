import { ConfigurationError, ProviderApiError, SignatureError } from '../errors';
import { parseRetryAfter } from '../resilience/retry';
import type {
  OutboxDestinationV1,
  OutboxForwardInputV1,
  OutboxForwardV1,
  OutboxMessageV1,
  SourceEventV1,
  TriggerV1,
} from '../spec/v1';

const PACKAGE_NAME = '@act/core';

/**
 * The body an HTTP forward sends (JSON), shaped as the Standard Webhooks
 * spec recommends (`type`, `timestamp`, `data`):
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#payload-structure
 * Stable: fields are only ever added.
 */
export interface ForwardedEventEnvelope {
  /** The provider's event type (`ContactCreate`). */
  type: string;
  /** When it happened at the provider (`occurredAt`), else when it was forwarded; ISO 8601. */
  timestamp: string;
  data: {
    source: string;
    tenant: string;
    type: string;
    entity: string;
    entityId: string;
    version?: number;
    occurredAt?: string;
    /** What brought the change in: a provider push, a poll, the reconciler. */
    triggeredBy: TriggerV1;
    /** The inbox delivery it came in (webhooks only). */
    deliveryId?: string;
    correlationId?: string;
    /** The event's payload as the connector parsed it (hydrated for thin events), without blocked fields. */
    payload: unknown;
  };
}

export interface HttpDestinationOptions {
  /** The destination's name, stored with every message (`verity`). */
  name: string;
  /** Where to POST. */
  url: string | URL;
  /**
   * The signing secret, `whsec_` followed by base64 (24 to 64 random bytes:
   * `'whsec_' + crypto.randomBytes(32).toString('base64')`), as in the
   * Standard Webhooks spec. Give `secrets` instead while rotating.
   */
  secret?: string;
  /**
   * Several secrets while rotating: every message is signed with each (the
   * signature header lists one `v1,<signature>` per secret), so a receiver
   * holding either the old or the new one accepts it. Add the new one, move
   * the receiver over, drop the old one.
   */
  secrets?: readonly string[];
  /** Forward only events of these sources (default: every source). */
  sources?: readonly string[];
  /** Forward only these event types (default: every type). */
  types?: readonly string[];
  /** A further filter: `false` forwards nothing for the event. */
  filter?: (input: OutboxForwardInputV1) => boolean;
  /**
   * Forward webhook events only when they changed the mirror (default
   * `false`: every accepted event is forwarded). Polled and reconciled
   * records are always forwarded only when they changed it: a poll re-reads
   * records a webhook already brought in.
   */
  changesOnly?: boolean;
  /** Build the body yourself (default: `ForwardedEventEnvelope`). Return `undefined` to forward nothing. */
  envelope?: (input: OutboxForwardInputV1) => unknown;
  /** Per request; default 10 s. Keep it well below the dispatcher's lease. */
  timeoutMs?: number;
  /** Extra request headers (an API key the receiver wants). */
  headers?: Readonly<Record<string, string>>;
  /** Attempts before a message is dead-lettered (default 8). */
  maxAttempts?: number;
  fetch?: typeof globalThis.fetch;
}

/**
 * A destination that forwards applied events to an HTTP endpoint, signed
 * with the Standard Webhooks scheme
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 * `webhook-id` is the message key (the same on every retry, so the receiver
 * dedupes on it), `webhook-timestamp` the send time in seconds,
 * `webhook-signature` `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per
 * secret, space-separated. Any Standard Webhooks library verifies it
 * (`new Webhook(secret).verify(body, headers)` from `standardwebhooks`), as
 * does `verifyStandardWebhook`.
 *
 * A 2xx answer is delivered; 429 waits `Retry-After` without using an
 * attempt; 408, 409, 425, 5xx, 401 and network errors are retried on the
 * schedule; any other 4xx is dead-lettered (the receiver refuses the message
 * itself). Redirects are not followed: a signed body goes only to `url`.
 *
 * @throws ConfigurationError without a usable secret, name or URL.
 */
export function httpDestination(options: HttpDestinationOptions): OutboxDestinationV1 {
  const name = options.name;
  if (typeof name !== 'string' || name.trim() === '') {
    throw configuration('httpDestination: name must be a non-empty string');
  }
  let url: URL;
  try {
    url = new URL(String(options.url));
  } catch {
    throw configuration(`httpDestination "${name}": url ${JSON.stringify(String(options.url))} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw configuration(`httpDestination "${name}": url must be http(s), got ${url.protocol}`);
  }
  const secrets = [...(options.secrets ?? []), ...(options.secret !== undefined ? [options.secret] : [])];
  if (secrets.length === 0) {
    throw configuration(
      `httpDestination "${name}": give a signing secret (secret: 'whsec_…', or secrets: [...] while rotating)`,
    );
  }
  const keys = secrets.map((secret) => importSecret(secret, `httpDestination "${name}"`));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const sources = options.sources ? new Set(options.sources) : undefined;
  const types = options.types ? new Set(options.types) : undefined;
  const fetchImpl = options.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args));
  // Errors name the endpoint without its query string (which may carry a token).
  const shownUrl = `${url.origin}${url.pathname}`;

  return {
    specificationVersion: 'v1',
    name,
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    forward(input): OutboxForwardV1 | undefined {
      if (sources && !sources.has(input.source)) return undefined;
      if (types && !types.has(input.event.type)) return undefined;
      if (options.filter && !options.filter(input)) return undefined;
      const payload = options.envelope ? options.envelope(input) : forwardedEventEnvelope(input);
      if (payload === undefined) return undefined;
      return { payload, onlyIfChanged: input.triggeredBy !== 'webhook' || options.changesOnly === true };
    },
    async deliver(message: OutboxMessageV1, context) {
      const body = JSON.stringify(message.payload ?? null);
      const headers = await signStandardWebhook({ id: message.key, body, keys });
      const signals = [AbortSignal.timeout(timeoutMs), ...(context.signal ? [context.signal] : [])];
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method: 'POST',
          headers: { ...options.headers, 'content-type': 'application/json', ...headers },
          body,
          redirect: 'manual',
          signal: AbortSignal.any(signals),
        });
      } catch (error) {
        throw new ProviderApiError({
          packageName: PACKAGE_NAME,
          status: 0,
          method: 'POST',
          url: shownUrl,
          detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          cause: error,
        });
      }
      const text = await response.text().catch(() => '');
      if (response.status >= 200 && response.status < 300) return { status: response.status };
      throw new ProviderApiError({
        packageName: PACKAGE_NAME,
        status: response.status,
        method: 'POST',
        url: shownUrl,
        detail: `destination "${name}" answered ${text.slice(0, 200)}`,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      });
    },
  };
}

/** The default body of an HTTP forward (see `ForwardedEventEnvelope`). */
export function forwardedEventEnvelope<TEvent extends SourceEventV1>(
  input: OutboxForwardInputV1<TEvent>,
): ForwardedEventEnvelope {
  const { event } = input;
  return {
    type: event.type,
    timestamp: event.occurredAt ?? new Date().toISOString(),
    data: {
      source: input.source,
      tenant: event.tenant,
      type: event.type,
      entity: event.entity,
      entityId: event.entityId,
      ...(event.version !== undefined ? { version: event.version } : {}),
      ...(event.occurredAt !== undefined ? { occurredAt: event.occurredAt } : {}),
      triggeredBy: input.triggeredBy,
      ...(input.deliveryId !== undefined ? { deliveryId: input.deliveryId } : {}),
      ...(input.correlationId !== undefined ? { correlationId: input.correlationId } : {}),
      // Without the fields the field policies block (OutboxForwardInputV1.payload).
      payload: input.payload,
    },
  };
}

/**
 * The three Standard Webhooks headers for `body` sent as message `id`:
 * `webhook-signature` carries one `v1,<signature>` per secret.
 */
export async function signStandardWebhook(input: {
  id: string;
  body: string;
  /** `whsec_…` secrets, or keys made from them. */
  secrets?: readonly string[];
  keys?: readonly Promise<CryptoKey>[];
  /** Unix seconds; default now. */
  timestamp?: number;
}): Promise<{ 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string }> {
  const timestamp = String(input.timestamp ?? Math.floor(Date.now() / 1000));
  const keys = input.keys ?? (input.secrets ?? []).map((secret) => importSecret(secret, 'signStandardWebhook'));
  const content = new TextEncoder().encode(`${input.id}.${timestamp}.${input.body}`);
  const signatures = await Promise.all(
    keys.map(async (key) => `v1,${toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', await key, content)))}`),
  );
  return { 'webhook-id': input.id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}

/**
 * Check a Standard Webhooks request as a receiver: the signature of
 * `id.timestamp.body` under any of `secrets` matches one `v1` signature in
 * the header (compared in constant time), and the timestamp is within
 * `toleranceSeconds` (default 300) of now, so a captured request cannot be
 * replayed later. Resolves the `webhook-id` to dedupe on.
 *
 * @throws SignatureError when the headers are missing, stale or do not match.
 */
export async function verifyStandardWebhook(input: {
  /** The raw body, exactly as received. */
  body: string;
  headers: Headers | Readonly<Record<string, string | undefined>>;
  secret?: string;
  secrets?: readonly string[];
  toleranceSeconds?: number;
  /** Unix seconds; default now. */
  now?: number;
}): Promise<string> {
  const read = (header: string) =>
    input.headers instanceof Headers
      ? (input.headers.get(header) ?? undefined)
      : (input.headers[header] ?? input.headers[header.toLowerCase()]);
  const id = read('webhook-id');
  const timestamp = read('webhook-timestamp');
  const signature = read('webhook-signature');
  if (!id || !timestamp || !signature) {
    throw signatureError('missing webhook-id, webhook-timestamp or webhook-signature');
  }
  const seconds = Number(timestamp);
  const now = input.now ?? Math.floor(Date.now() / 1000);
  if (!/^\d+$/.test(timestamp) || Math.abs(now - seconds) > (input.toleranceSeconds ?? 300)) {
    throw signatureError('webhook-timestamp is too old or too new');
  }
  const secrets = [...(input.secrets ?? []), ...(input.secret !== undefined ? [input.secret] : [])];
  const expected = await signStandardWebhook({ id, body: input.body, secrets, timestamp: seconds });
  const given = signature
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => part.slice(3));
  let valid = false;
  for (const candidate of expected['webhook-signature'].split(' ').map((part) => part.slice(3))) {
    for (const value of given) valid = constantTimeEqual(candidate, value) || valid;
  }
  if (!valid) throw signatureError('no webhook-signature matches');
  return id;
}

function importSecret(secret: string, where: string): Promise<CryptoKey> {
  const encoded = typeof secret === 'string' && secret.startsWith('whsec_') ? secret.slice(6) : secret;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    if (typeof encoded !== 'string' || encoded === '') throw new Error('empty');
    bytes = Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0));
  } catch {
    throw configuration(`${where}: a signing secret must be "whsec_" followed by base64`);
  }
  if (bytes.length < 24 || bytes.length > 64) {
    throw configuration(`${where}: a signing secret must decode to 24 to 64 bytes, got ${bytes.length}`);
  }
  return crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function constantTimeEqual(a: string, b: string): boolean {
  let difference = a.length ^ b.length;
  for (let index = 0; index < a.length; index++) difference |= a.charCodeAt(index) ^ (b.charCodeAt(index) || 0);
  return difference === 0;
}

function signatureError(reason: string): SignatureError {
  return new SignatureError({ packageName: PACKAGE_NAME, message: `Standard Webhooks verification failed: ${reason}` });
}

function configuration(message: string): ConfigurationError {
  return new ConfigurationError({ packageName: PACKAGE_NAME, message });
}
