import { type ParsedDeliveryV1, PayloadError, type WebhookProcessorV1, type WebhookRequestV1 } from '@act/core';
import { parseJson } from '@act/core/internal';
import {
  describeZodError,
  TEMPLATE_EVENT_TYPES,
  type TemplateEvent,
  type TemplateRecord,
  type TemplateSourceEvent,
  templateDeliverySchema,
  templateEventSchema,
  templateVersion,
} from './template-events';
import { TEMPLATE_PACKAGE_NAME, TEMPLATE_SOURCE } from './template-settings';
import { TEMPLATE_SIGNATURE_HEADER, verifyTemplateSignature } from './template-signature';

export interface TemplateWebhookOptions {
  /** Signing secrets; empty fails closed (every delivery is refused, logged as misconfigured). */
  secrets: readonly string[];
}

/**
 * Template's webhook processor: verifies the `x-template-signature` header
 * and turns a delivery into at most one event. Pure over the request, as the
 * contract asks; `@act/core`'s `createWebhookHandler` does HTTP, the inbox
 * and the acknowledgement.
 */
export function createTemplateWebhook(options: TemplateWebhookOptions): WebhookProcessorV1<TemplateSourceEvent> {
  const secrets = [...options.secrets];
  return {
    specificationVersion: 'v1',
    source: TEMPLATE_SOURCE,
    packageName: TEMPLATE_PACKAGE_NAME,
    // Kept with the raw body in the inbox, so a dead letter can be re-verified by hand.
    persistedHeaders: [TEMPLATE_SIGNATURE_HEADER],
    // Template retries any non-2xx (fictional). A provider that retries only
    // on 429 (GoHighLevel) sets 429 here, or a failed store loses the event.
    persistFailureStatus: 503,

    async verify(request) {
      if (secrets.length === 0) {
        return { valid: false, reason: 'no webhook secret configured (TEMPLATE_WEBHOOK_SECRET)', misconfigured: true };
      }
      const result = await verifyTemplateSignature({
        secrets,
        body: request.body,
        header: request.headers[TEMPLATE_SIGNATURE_HEADER],
        // The receipt time, not the clock now: the same request verifies the same way in tests and replays.
        now: request.receivedAt.getTime(),
      });
      return result.valid
        ? { valid: true, keyId: `secret-${result.keyIndex}` }
        : { valid: false, reason: result.reason };
    },

    parse: parseTemplateDelivery,
  };
}

const knownTypes: ReadonlySet<string> = new Set(TEMPLATE_EVENT_TYPES);

/**
 * Parse a verified delivery. Unknown event types are not an error: they give
 * no events, so the delivery is stored and acknowledged but changes nothing.
 *
 * @throws PayloadError naming the field, for a body that is not a valid delivery.
 */
export function parseTemplateDelivery(request: Pick<WebhookRequestV1, 'body'>): ParsedDeliveryV1<TemplateSourceEvent> {
  // Core's parseJson, never a bare JSON.parse: it also refuses a body nested past its depth
  // limit, which would otherwise overflow the stack further on, on every retry.
  const json = parseJson(request.body, { packageName: TEMPLATE_PACKAGE_NAME });
  const delivery = templateDeliverySchema.safeParse(json);
  if (!delivery.success) {
    throw new PayloadError({
      packageName: TEMPLATE_PACKAGE_NAME,
      message: `invalid delivery: ${describeZodError(delivery.error)}`,
      cause: delivery.error,
    });
  }
  const { id: deliveryId, account_id: tenant, type } = delivery.data;
  if (!knownTypes.has(type)) return { deliveryId, tenant, events: [] };

  const event = templateEventSchema.safeParse(json);
  if (!event.success) {
    throw new PayloadError({
      packageName: TEMPLATE_PACKAGE_NAME,
      message: `invalid ${type} delivery ${deliveryId}: ${describeZodError(event.error)}`,
      cause: event.error,
    });
  }
  return { deliveryId, tenant, events: [toSourceEvent(event.data)] };
}

function toSourceEvent(event: TemplateEvent): TemplateSourceEvent {
  const { object, object_id } = event.data;
  const record: TemplateRecord = object ?? { id: object_id as string };
  const deleted = event.type === 'record.deleted';
  // A delete writes only the key, so a thin delete needs no fetch.
  const thin = !object && !deleted;
  // A thin event's version comes from the fetched record (see hydrate).
  const version = templateVersion(object?.updated_at ?? (deleted ? event.created_at : undefined));
  return {
    source: TEMPLATE_SOURCE,
    tenant: event.account_id,
    type: event.type,
    entity: 'record',
    entityId: record.id,
    ...(event.created_at ? { occurredAt: event.created_at } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(thin ? { thin: true } : {}),
    payload: record,
  };
}
