import { describeZodError } from '@act/connector-kit';
import {
  ConfigurationError,
  type DeliveryPartV1,
  type ParsedDeliveryV1,
  PayloadError,
  type WebhookProcessorV1,
  type WebhookRequestV1,
  type WebhookVerificationV1,
} from '@act/core';
import { canonicalJson, parseJson, sha256Hex } from '@act/core/internal';
import {
  XERO_CATEGORY_ENTITIES,
  XERO_PACKAGE_NAME,
  XERO_SOURCE,
  type XeroEvent,
  type XeroEventCategory,
  type XeroNotification,
  type XeroNotificationPayload,
  xeroDeliverySchema,
  xeroTimeMs,
} from './xero-events';
import { createXeroSignatureVerifier, XERO_SIGNATURE_HEADER } from './xero-signature';

/** How webhook requests are verified. */
export interface XeroWebhookSettings {
  /**
   * The webhook key(s) from the Xero developer portal (My Apps → your app →
   * Webhooks → "Webhooks key"), as the text shown there. Every key is tried,
   * so list the old and the new one while you rotate. Without a key every
   * request is refused with 401 (fail closed).
   */
  keys?: readonly string[];
}

/** The processor type `createXeroWebhook` returns. */
export type XeroWebhookProcessor = WebhookProcessorV1<XeroEvent>;

/**
 * The status answered when the inbox cannot store a delivery. Xero retries
 * any request it did not get "an acceptable response" to, "with decreasing
 * frequency for up to 24 hours", then disables the webhook ([X1][X2],
 * [X1] older revision; the schedule is not published). Any non-2xx asks for
 * that retry; 503 (with `Retry-After`) says what happened.
 */
export const XERO_PERSIST_FAILURE_STATUS = 503;

/**
 * Xero's receiver rules ([X1][X2]): answer within 5 seconds, "no
 * body in the response", "no cookies in the response headers", 200 for a
 * correctly signed request and 401 for an incorrectly signed one. Every answer
 * of this processor is an empty body with no headers of its own.
 */
function emptyResponse(status: number): Response {
  return new Response(null, { status });
}

/**
 * The webhook processor: verifies `x-xero-signature` (HMAC-SHA256 of the raw
 * body with the webhook key, [X1][X2]), answers intent-to-receive
 * requests, and parses deliveries into one thin event per resource.
 * `@act/core`'s `createWebhookHandler` does the HTTP, the inbox and the
 * acknowledgement.
 *
 * Answers (all with an empty body, as Xero requires):
 * - a correctly signed request with an empty `events` list (every
 *   intent-to-receive request looks like that, [X1][X2]) → 200 from `handshake`,
 *   **without touching the inbox**: there is nothing in it to keep, and the
 *   answer cannot be held up by a slow or unavailable store, so Xero's 5-second
 *   limit is met by the signature check alone;
 * - an incorrectly signed or unsigned request → 401 (ITR sends deliberately
 *   mis-signed requests and fails the subscription otherwise, [X1][X2]/[X12][X15]);
 * - a correctly signed delivery with events → stored, then 200. Its answer
 *   waits for `store.enqueue`: if that takes more than 5 s Xero counts the
 *   request as failed and retries it, and the retry is recognised as the same
 *   delivery (see `parseXeroDelivery`'s dedupe key);
 * - the inbox unavailable → 503, so Xero retries ([X1][X2]);
 * - a signed body that does not parse → stored for replay and dead-lettered
 *   (`storeUnparseable`): a 400 would be retried for 24 hours and then
 *   disable the webhook ([X1][X2]).
 *
 * @throws ConfigurationError for an empty key.
 */
export function createXeroWebhook(settings: XeroWebhookSettings = {}): XeroWebhookProcessor {
  const configured = settings.keys ?? [];
  for (const [index, key] of configured.entries()) {
    if (typeof key !== 'string' || key.trim() === '') {
      throw new ConfigurationError({
        packageName: XERO_PACKAGE_NAME,
        message: `webhook.keys[${index}] is empty (the webhook key from the Xero developer portal)`,
      });
    }
  }
  // Prepared once, now, so the first request does not pay for it. Keys are
  // used exactly as given: a key is never trimmed or decoded, its UTF-8 bytes
  // are the HMAC key.
  const verifySignature = createXeroSignatureVerifier(configured);

  // `handshake` and `verify` see the same request object from the handler:
  // compute the HMAC once per request.
  const verified = new WeakMap<WebhookRequestV1, Promise<WebhookVerificationV1>>();
  const verifyOnce = (request: WebhookRequestV1): Promise<WebhookVerificationV1> => {
    let result = verified.get(request);
    if (!result) {
      result = verifySignature(request.body, request.headers[XERO_SIGNATURE_HEADER]).then((outcome) =>
        outcome.valid
          ? { valid: true, keyId: `key-${outcome.keyIndex}` }
          : {
              valid: false,
              reason: outcome.reason,
              ...(outcome.misconfigured ? { misconfigured: true } : {}),
            },
      );
      verified.set(request, result);
    }
    return result;
  };

  return {
    specificationVersion: 'v1',
    source: XERO_SOURCE,
    packageName: XERO_PACKAGE_NAME,
    // The signature is an HMAC, safe to keep: a dead letter can be re-verified by hand.
    persistedHeaders: [XERO_SIGNATURE_HEADER],
    persistFailureStatus: XERO_PERSIST_FAILURE_STATUS,
    storeUnparseable: true,

    async handshake(request) {
      if (request.method !== 'POST') return undefined;
      // Verify before anything else looks at the body ([X1][X2] "verify before any
      // other logic"). An invalid signature is left to the handler, which
      // answers 401 (empty, through `reject`) and logs and counts it.
      const verification = await verifyOnce(request);
      if (!verification.valid) return undefined;
      return hasNoEvents(request.body) ? emptyResponse(200) : undefined;
    },

    verify: verifyOnce,
    parse: parseXeroDelivery,
    split: splitXeroDelivery,
    acknowledge: () => emptyResponse(200),
    reject: (status) => emptyResponse(status),
  };
}

/**
 * The body through core's `parseJson`, never a bare `JSON.parse`: a body nested
 * past its depth limit is refused with the reason instead of overflowing the
 * stack further on, on every retry.
 *
 * @throws PayloadError for a body that is not UTF-8 JSON or nests too deeply.
 */
function readJson(bytes: Uint8Array): unknown {
  return parseJson(bytes, { packageName: XERO_PACKAGE_NAME });
}

/** A JSON object whose `events` is an empty array: an intent-to-receive request ([X1][X2]), or an empty delivery. */
function hasNoEvents(body: Uint8Array): boolean {
  let value: unknown;
  try {
    value = readJson(body);
  } catch {
    return false; // left to `parse`, which names the problem
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const events = (value as Record<string, unknown>).events;
  return Array.isArray(events) && events.length === 0;
}

/**
 * Parse a verified delivery (at receipt, and again by the worker from the
 * inbox) into thin events.
 *
 * - **Collapse**: one delivery holds many events, with repeats for one
 *   resource ([X3][X12]; the xero-php fixture has two `UPDATE`s of
 *   one invoice). Events are grouped by (tenant, category, resource id), ids
 *   compared without regard to case, and each group becomes one event: the
 *   newest notification by `eventDateUtc` (the later one on a tie), with
 *   `collapsed` = the group's size. Every event is a fetch, so this is what
 *   keeps a burst from costing one API call per repeat.
 * - **Names**: `eventCategory` and `eventType` compared without regard to
 *   case ([X17]: doc pages show `"Update"`); `type` is `<CATEGORY>.<TYPE>`,
 *   upper case. Unknown categories give no event (stored, not applied).
 * - **Thin**: contact, invoice and credit-note events carry only ids
 *   (`thin: true`): the connector's `hydrate` fetches the record and the
 *   record is what gets applied. `SUBSCRIPTION` events (App Store, tenant type
 *   `APPLICATION`) are not fetched or mirrored.
 * - **Dedupe key** (`deliveryId`): Xero sends no event or delivery id ([X3]).
 *   `seq:<first>-<last>:<sha256 of the events>` when the delivery has
 *   sequence numbers: a redelivery of the same events is recognised even if
 *   its `entropy` (a random string, [X1][X2]) or whitespace were to differ, while
 *   two different deliveries never share a key, even if sequence numbers were
 *   reused (per-tenant numbering, or a re-created subscription: the
 *   numbering's scope is not documented, [X1]). Without sequence numbers the
 *   handler dedupes on the body's SHA-256.
 * - **Tenant** of the delivery: the events' tenant when they share one;
 *   left out (`unknown`) when a delivery mixes tenants. Each event carries
 *   its own tenant, and a delivery of several resources is stored as one
 *   inbox row per resource (`splitXeroDelivery`), each with its tenant.
 *
 * @throws PayloadError naming the field, for a body that is not Xero's envelope.
 */
export async function parseXeroDelivery(request: Pick<WebhookRequestV1, 'body'>): Promise<ParsedDeliveryV1<XeroEvent>> {
  const json = readJson(request.body);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw payloadError('body is not a UTF-8 JSON object');
  }
  const parsed = xeroDeliverySchema.safeParse(json);
  if (!parsed.success) {
    throw new PayloadError({
      packageName: XERO_PACKAGE_NAME,
      message: `invalid webhook delivery: ${describeZodError(parsed.error)}`,
      cause: parsed.error,
    });
  }
  const delivery = parsed.data;
  const first = delivery.firstEventSequence ?? undefined;
  const last = delivery.lastEventSequence ?? undefined;

  interface Group {
    notification: XeroNotification;
    category: XeroEventCategory;
    at: number | undefined;
    count: number;
  }
  const groups = new Map<string, Group>();
  const tenants = new Set<string>();
  for (const notification of delivery.events) {
    const tenant = xeroId(notification.tenantId);
    tenants.add(tenant);
    const category = notification.eventCategory.trim().toUpperCase();
    if (!Object.hasOwn(XERO_CATEGORY_ENTITIES, category)) continue;
    const key = `${tenant}\u0000${category}\u0000${xeroId(notification.resourceId)}`;
    const at = xeroTimeMs(notification.eventDateUtc);
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { notification, category: category as XeroEventCategory, at, count: 1 });
      continue;
    }
    group.count += 1;
    // The newest wins; a repeat with the same (or an unreadable) time replaces an equal one.
    if (group.at === undefined || (at !== undefined && at >= group.at)) {
      group.notification = notification;
      group.at = at;
    }
  }

  const events = [...groups.values()].map(({ notification, category, at, count }): XeroEvent => {
    const entity = XERO_CATEGORY_ENTITIES[category];
    const payload: XeroNotificationPayload = {
      ...notification,
      collapsed: count,
      ...(first !== undefined ? { firstEventSequence: first } : {}),
      ...(last !== undefined ? { lastEventSequence: last } : {}),
    };
    return {
      source: XERO_SOURCE,
      tenant: xeroId(notification.tenantId),
      type: `${category}.${notification.eventType.trim().toUpperCase()}`,
      entity,
      entityId: xeroId(notification.resourceId),
      ...(at !== undefined ? { occurredAt: new Date(at).toISOString() } : {}),
      ...(entity !== 'subscription' ? { thin: true } : {}),
      payload,
    };
  });

  const deliveryId =
    first !== undefined && last !== undefined && (first > 0 || last > 0)
      ? `seq:${first}-${last}:${await sha256Hex(canonicalJson(delivery.events))}`
      : undefined;
  const tenant = tenants.size === 1 ? ([...tenants][0] as string) : undefined;
  return { ...(deliveryId ? { deliveryId } : {}), ...(tenant ? { tenant } : {}), events };
}

const encoder = new TextEncoder();

/**
 * Store a delivery of several resources as one inbox row per (tenant,
 * category, resource id) — the processor's `split`, run at receipt after
 * `parse`. Each part's body is Xero's envelope (`firstEventSequence`,
 * `lastEventSequence`, `entropy`) with only that resource's notifications, as
 * they arrived, so the same `parse` reads it and the sequence numbers stay
 * readable per tenant (`readXeroSequenceGaps`).
 *
 * Why: every Xero event is a fetch under the tenant's limits (60 a minute, 5
 * at once, [X4][X8]). As one row, a delivery naming more resources than
 * a minute allows would be deferred by the limiter after its first 60
 * fetches and, retried as a whole, fetch those 60 again: it would never
 * finish. As parts, each resource is fetched once, a deferred part waits
 * without costing anything, and one failing record does not hold back the
 * others. A delivery that mixes organisations gets one tenant per row, so a
 * 401 refreshes the right tenant's token.
 *
 * Notifications of categories the connector does not map are kept together
 * per tenant (stored, not applied), so nothing authentic is dropped.
 */
export function splitXeroDelivery(
  request: Pick<WebhookRequestV1, 'body'>,
  parsed: ParsedDeliveryV1<XeroEvent>,
): DeliveryPartV1<XeroEvent>[] | undefined {
  const json = readJson(request.body) as { events?: unknown } | undefined;
  if (!json || !Array.isArray(json.events)) return undefined;
  const groups = new Map<string, { tenant: string; notifications: unknown[] }>();
  for (const raw of json.events) {
    const notification = raw as XeroNotification;
    const tenant = xeroId(notification.tenantId);
    const category = notification.eventCategory.trim().toUpperCase();
    const key = Object.hasOwn(XERO_CATEGORY_ENTITIES, category)
      ? partKey(tenant, category, xeroId(notification.resourceId))
      : `${tenant}:unmapped`;
    const group = groups.get(key) ?? { tenant, notifications: [] };
    group.notifications.push(raw);
    groups.set(key, group);
  }
  if (groups.size <= 1) return undefined;
  const eventsByKey = new Map<string, XeroEvent[]>();
  for (const event of parsed.events) {
    const key = partKey(event.tenant, event.type.slice(0, event.type.indexOf('.')), event.entityId);
    eventsByKey.set(key, [...(eventsByKey.get(key) ?? []), event]);
  }
  const { events: _all, ...envelope } = json as Record<string, unknown>;
  return [...groups].map(([key, group]) => ({
    key,
    tenant: group.tenant,
    body: encoder.encode(JSON.stringify({ ...envelope, events: group.notifications })),
    events: eventsByKey.get(key) ?? [],
  }));
}

function partKey(tenant: string, category: string, resourceId: string): string {
  return `${tenant}:${category}:${resourceId}`;
}

/**
 * A Xero id as the mirror keys it: trimmed and lower case. Xero's ids are
 * GUIDs, which compare without regard to case; webhooks, API responses and
 * user input may spell them differently, and one spelling keeps one row.
 */
export function xeroId(value: string): string {
  return value.trim().toLowerCase();
}

function payloadError(message: string): PayloadError {
  return new PayloadError({ packageName: XERO_PACKAGE_NAME, message });
}
