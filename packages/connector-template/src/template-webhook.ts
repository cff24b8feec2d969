import { deliveryParser, webhookProcessor } from '@act/connector-kit';
import type { WebhookProcessorV1 } from '@act/core';
import {
  TEMPLATE_EVENT_TYPES,
  type TemplateEvent,
  type TemplateSourceEvent,
  templateDeliverySchema,
  templateEventSchema,
  templateVersion,
} from './template-events';
import { TEMPLATE_PACKAGE_NAME, TEMPLATE_SOURCE } from './template-settings';
import { TEMPLATE_SIGNATURE_HEADER, templateSignature } from './template-signature';

const knownTypes: ReadonlySet<string> = new Set(TEMPLATE_EVENT_TYPES);

/** A verified delivery → at most one event (none for an unknown type). @throws PayloadError naming the field. */
export const parseTemplateDelivery = deliveryParser({
  packageName: TEMPLATE_PACKAGE_NAME,
  schema: templateDeliverySchema,
  toDelivery({ id: deliveryId, account_id: tenant, type }, { json, check }) {
    if (!knownTypes.has(type)) return { deliveryId, tenant, events: [] };
    const event = check(templateEventSchema, json, `${type} delivery ${deliveryId}`);
    return { deliveryId, tenant, events: [toSourceEvent(event)] };
  },
});

/** Template's webhook processor; empty `secrets` refuses every delivery (logged as misconfigured). */
export function createTemplateWebhook(options: {
  secrets: readonly string[];
}): WebhookProcessorV1<TemplateSourceEvent> {
  return webhookProcessor({
    source: TEMPLATE_SOURCE,
    packageName: TEMPLATE_PACKAGE_NAME,
    verify: templateSignature(options.secrets),
    reasons: {
      misconfigured: 'no webhook secret configured (TEMPLATE_WEBHOOK_SECRET)',
      mismatch: 'signature mismatch',
    },
    keyId: ({ keyIndex }) => `secret-${keyIndex}`,
    persistedHeaders: [TEMPLATE_SIGNATURE_HEADER],
    // Template retries any non-2xx. A provider that retries only on 429 (GoHighLevel) sets 429.
    persistFailureStatus: 503,
    parse: parseTemplateDelivery,
  });
}

function toSourceEvent(event: TemplateEvent): TemplateSourceEvent {
  const { object, object_id } = event.data;
  const deleted = event.type === 'record.deleted';
  // Thin: fetched by hydrate, which also takes the version from the record. A delete needs only the key.
  const thin = !object && !deleted;
  const version = templateVersion(object?.updated_at ?? (deleted ? event.created_at : undefined));
  return {
    source: TEMPLATE_SOURCE,
    tenant: event.account_id,
    type: event.type,
    entity: 'record',
    entityId: object?.id ?? (object_id as string),
    ...(event.created_at ? { occurredAt: event.created_at } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(thin ? { thin: true } : {}),
    payload: object ?? { id: object_id as string },
  };
}
