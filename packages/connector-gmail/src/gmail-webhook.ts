import { deliveryParser, webhookProcessor } from '@act/connector-kit';
import type { WebhookProcessorV1 } from '@act/core';
import {
  GMAIL_EVENT_TYPES,
  type GmailEvent,
  type GmailSourceEvent,
  gmailDeliverySchema,
  gmailEventSchema,
  gmailVersion,
} from './gmail-events';
import { GMAIL_PACKAGE_NAME, GMAIL_SOURCE } from './gmail-settings';
import { GMAIL_SIGNATURE_HEADER, gmailSignature } from './gmail-signature';

const knownTypes: ReadonlySet<string> = new Set(GMAIL_EVENT_TYPES);

/** A verified delivery → at most one event (none for an unknown type). @throws PayloadError naming the field. */
export const parseGmailDelivery = deliveryParser({
  packageName: GMAIL_PACKAGE_NAME,
  schema: gmailDeliverySchema,
  toDelivery({ id: deliveryId, account_id: tenant, type }, { json, check }) {
    if (!knownTypes.has(type)) return { deliveryId, tenant, events: [] };
    const event = check(gmailEventSchema, json, `${type} delivery ${deliveryId}`);
    return { deliveryId, tenant, events: [toSourceEvent(event)] };
  },
});

/** Gmail's webhook processor; empty `secrets` refuses every delivery (logged as misconfigured). */
export function createGmailWebhook(options: {
  secrets: readonly string[];
}): WebhookProcessorV1<GmailSourceEvent> {
  return webhookProcessor({
    source: GMAIL_SOURCE,
    packageName: GMAIL_PACKAGE_NAME,
    verify: gmailSignature(options.secrets),
    reasons: {
      misconfigured: 'no webhook secret configured (GMAIL_WEBHOOK_SECRET)',
      mismatch: 'signature mismatch',
    },
    keyId: ({ keyIndex }) => `secret-${keyIndex}`,
    persistedHeaders: [GMAIL_SIGNATURE_HEADER],
    // Gmail retries any non-2xx. A provider that retries only on 429 (GoHighLevel) sets 429.
    persistFailureStatus: 503,
    parse: parseGmailDelivery,
  });
}

function toSourceEvent(event: GmailEvent): GmailSourceEvent {
  const { object, object_id } = event.data;
  const deleted = event.type === 'record.deleted';
  // Thin: fetched by hydrate, which also takes the version from the record. A delete needs only the key.
  const thin = !object && !deleted;
  const version = gmailVersion(object?.updated_at ?? (deleted ? event.created_at : undefined));
  return {
    source: GMAIL_SOURCE,
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
