import { createSecretMatcher, describeZodError } from '@act/connector-kit';
import {
  ConfigurationError,
  type ParsedDeliveryV1,
  PayloadError,
  type WebhookProcessorV1,
  type WebhookRequestV1,
} from '@act/core';
import { parseJson } from '@act/core/internal';
import type { z } from 'zod';
import { GHL_PACKAGE_NAME, GHL_SOURCE } from './ghl-error';
import {
  GHL_APPOINTMENT_EVENT_TYPES,
  GHL_CONTACT_EVENT_TYPES,
  GHL_NOTE_EVENT_TYPES,
  GHL_OPPORTUNITY_EVENT_TYPES,
  GHL_TASK_EVENT_TYPES,
  GHL_WORKFLOW_EVENT_TYPE,
  type GhlEntity,
  type GhlEvent,
  type GhlEventOrigin,
  ghlPayloadSchemas,
  ghlTimeMs,
} from './ghl-events';
import {
  checkGhlTimestamp,
  GHL_DEFAULT_TIMESTAMP_TOLERANCE_MS,
  GHL_ED25519_PUBLIC_KEY,
  GHL_LEGACY_SIGNATURE_HEADER,
  GHL_RSA_PUBLIC_KEY,
  GHL_SIGNATURE_HEADER,
  importGhlPublicKey,
  pemToDer,
  verifyGhlSignature,
} from './ghl-signature';

/** How Marketplace webhooks are verified. Every field is optional: the defaults follow GHL's docs. */
export interface GhlWebhookSettings {
  /**
   * Ed25519 public keys (SPKI PEM) for `x-ghl-signature`, all accepted (give
   * the new and the old one while GHL rotates). Defaults to the published
   * key, `GHL_ED25519_PUBLIC_KEY`. Some report a per-app key in the
   * Marketplace app settings ([G1][G10], UNVERIFIED): set it here.
   */
  ed25519PublicKeys?: readonly string[];
  /** RSA public keys (SPKI PEM) for the legacy `x-wh-signature`. Defaults to the published 4096-bit key. */
  rsaPublicKeys?: readonly string[];
  /**
   * Accept the legacy `x-wh-signature` (RSA) when a delivery has no
   * `x-ghl-signature`. Off by default: GHL retired it ("deprecated on July 1,
   * 2026. After that date, webhooks will be signed only with
   * X-GHL-Signature", Webhook Integration Guide,
   * https://marketplace.gohighlevel.com/docs/webhook/WebhookIntegrationGuide).
   * `true` turns it back on for an account GHL still signs the old way.
   */
  legacyRsa?: boolean;
  /**
   * Accept the legacy scheme until this instant (receipt time), then refuse
   * it. Giving a date turns the scheme on until then (unless `legacyRsa` is `false`).
   */
  legacyRsaUntil?: Date | string;
  /**
   * Largest accepted distance between the body's `timestamp` and receipt,
   * in ms. Defaults to 300 000 (5 min), GHL's own example [G1 §3].
   */
  timestampToleranceMs?: number;
  /**
   * Accept a signed delivery whose body has no `timestamp`. Defaults to
   * `false` (fail closed): GHL's authentication guide says every payload
   * carries one [G1], but none of the per-event examples show it
   * [G2]), so if GHL omits it for some event, those deliveries are refused with
   * 401, which GHL never retries. Turn this on if your logs show
   * `missing timestamp in the body` for genuine deliveries; the inbox still
   * dedupes replays on `webhookId`.
   */
  allowMissingTimestamp?: boolean;
  /**
   * Also accept signatures over `JSON.stringify(JSON.parse(body))`, the form
   * GHL's SDK verifies [G8]. Off by default ([G1][G8]: verify the raw
   * bytes; the re-serialised form is only a compatibility fallback).
   */
  reserializedBodyFallback?: boolean;
}

/**
 * How workflow ("custom") webhooks authenticate. GHL does not sign them
 * ([G12]), so the user puts a secret of their own into the
 * workflow action: a custom header (preferred) or a query parameter.
 */
export interface GhlWorkflowWebhookSettings {
  /** Accepted secrets (two while rotating). Empty refuses every request (fail closed). */
  secrets: readonly string[];
  /** Header carrying the secret; `false` to accept only the query parameter. Defaults to `x-act-workflow-secret`. */
  header?: string | false;
  /**
   * Query parameter carrying the secret, e.g. `token` for
   * `https://…/webhooks/ghl/workflow?token=…`. Off by default: a URL secret
   * ends up in access logs and in the inbox's stored `url`, so prefer the header.
   */
  queryParameter?: string | false;
}

/** The default header for workflow webhook secrets (set it as a custom header in the workflow action). */
export const GHL_WORKFLOW_SECRET_HEADER = 'x-act-workflow-secret';

/** The processor type both factories return. */
export type GhlWebhookProcessor = WebhookProcessorV1<GhlEvent>;

/**
 * GHL retries a webhook only when it is answered 429; every other status,
 * 5xx included, is final (help article "Automated Webhook Retries",
 * https://help.gohighlevel.com/support/solutions/articles/155000007071 [G7];
 * Webhook Integration Guide [G6]). So a delivery the inbox cannot store is
 * answered 429, or it is lost.
 */
export const GHL_PERSIST_FAILURE_STATUS = 429;

/**
 * The Marketplace webhook processor: verifies `x-ghl-signature` (Ed25519)
 * or, without it, the legacy `x-wh-signature` (RSA), then the body's
 * `timestamp`, and parses the delivery. `@act/core`'s `createWebhookHandler`
 * does the HTTP, the inbox (deduped on `webhookId`) and the acknowledgement.
 *
 * @throws ConfigurationError for a configured key that is not an SPKI PEM,
 *   or a non-positive tolerance.
 */
export function createGhlWebhook(settings: GhlWebhookSettings = {}): GhlWebhookProcessor {
  const ed25519PublicKeys = [...(settings.ed25519PublicKeys ?? [])];
  const rsaPublicKeys = [...(settings.rsaPublicKeys ?? [])];
  for (const [list, name] of [
    [ed25519PublicKeys, 'ed25519PublicKeys'],
    [rsaPublicKeys, 'rsaPublicKeys'],
  ] as const) {
    for (const [index, pem] of list.entries()) {
      if (!pemToDer(pem)) throw configuration(`webhook.${name}[${index}] is not an SPKI PEM public key`);
    }
  }
  const toleranceMs = settings.timestampToleranceMs ?? GHL_DEFAULT_TIMESTAMP_TOLERANCE_MS;
  if (!(toleranceMs > 0)) throw configuration('webhook.timestampToleranceMs must be a positive number of ms');
  const legacyUntil = settings.legacyRsaUntil === undefined ? undefined : new Date(settings.legacyRsaUntil).getTime();
  if (legacyUntil !== undefined && !Number.isFinite(legacyUntil)) {
    throw configuration('webhook.legacyRsaUntil is not a valid date');
  }
  // The legacy scheme only when asked for: `legacyRsa: true`, or a sunset date.
  const legacyRsa = settings.legacyRsa ?? legacyUntil !== undefined;
  // Import the keys now (in the background), so the first delivery does not pay for it.
  for (const pem of settings.ed25519PublicKeys ?? [GHL_ED25519_PUBLIC_KEY])
    importGhlPublicKey(pem, 'ed25519').catch(() => {});
  if (legacyRsa)
    for (const pem of settings.rsaPublicKeys ?? [GHL_RSA_PUBLIC_KEY]) importGhlPublicKey(pem, 'rsa').catch(() => {});

  return {
    specificationVersion: 'v1',
    source: GHL_SOURCE,
    packageName: GHL_PACKAGE_NAME,
    // The signatures are public values: kept so a dead letter can be
    // re-verified by hand, and so the worker knows a stored delivery came
    // through this processor (see parseGhlDelivery).
    persistedHeaders: [GHL_SIGNATURE_HEADER, GHL_LEGACY_SIGNATURE_HEADER],
    persistFailureStatus: GHL_PERSIST_FAILURE_STATUS,
    // GHL never retries a 4xx ([G6][G7]), so an authentic delivery we cannot
    // parse is stored and dead-lettered for replay instead of being lost to a 400.
    storeUnparseable: true,
    // A missing or broken key is our mistake, not the sender's: 429 (still refused)
    // lets GHL retry for about an hour while the operator fixes it ([G6][G7]).
    misconfiguredStatus: GHL_PERSIST_FAILURE_STATUS,

    async verify(request) {
      const receivedAt = request.receivedAt.getTime();
      const result = await verifyGhlSignature({
        body: request.body,
        headers: request.headers,
        ...(settings.ed25519PublicKeys ? { ed25519PublicKeys } : {}),
        ...(settings.rsaPublicKeys ? { rsaPublicKeys } : {}),
        legacyRsa: legacyRsa && (legacyUntil === undefined || receivedAt <= legacyUntil),
        reserializedBodyFallback: settings.reserializedBodyFallback === true,
      });
      if (!result.valid) {
        return {
          valid: false,
          reason: result.reason,
          ...(result.misconfigured ? { misconfigured: true } : {}),
        };
      }
      // The replay window, checked only once the body is known to be GHL's.
      // A body that is not a JSON object is left to `parse`, which answers 400.
      const body = tryReadJsonObject(request.body);
      if (body) {
        const fresh = checkGhlTimestamp({
          timestamp: body.timestamp,
          now: receivedAt,
          toleranceMs,
          allowMissing: settings.allowMissingTimestamp === true,
        });
        if (!fresh.valid) return { valid: false, reason: fresh.reason };
      }
      return { valid: true, keyId: `${result.scheme}-${result.keyIndex}${result.reserialized ? '-reserialized' : ''}` };
    },

    parse: parseGhlDelivery,
  };
}

/**
 * The workflow webhook processor, for a route of its own. Accepts a request
 * only when it carries one of the configured secrets (compared in constant
 * time) in the header or, if enabled, the query parameter; maps the
 * snake_case body to a contact upsert. Workflow bodies have no delivery id,
 * so the inbox dedupes them on a SHA-256 of the body.
 *
 * @throws ConfigurationError for a header or parameter name that is empty,
 *   or when both are turned off.
 */
export function createGhlWorkflowWebhook(settings: GhlWorkflowWebhookSettings): GhlWebhookProcessor {
  const secrets = (settings.secrets ?? []).filter((secret) => typeof secret === 'string' && secret !== '');
  const header = settings.header === undefined ? GHL_WORKFLOW_SECRET_HEADER : settings.header;
  const queryParameter = settings.queryParameter ?? false;
  if (header === '' || queryParameter === '') {
    throw configuration('workflowWebhook.header and workflowWebhook.queryParameter must not be empty strings');
  }
  if (header === false && queryParameter === false) {
    throw configuration('workflowWebhook needs a header or a queryParameter to read the secret from');
  }
  const headerName = header === false ? undefined : header.toLowerCase();
  const matcher = createSecretMatcher(secrets);

  return {
    specificationVersion: 'v1',
    source: GHL_SOURCE,
    packageName: GHL_PACKAGE_NAME,
    // Nothing: the secret header must never reach the inbox, and the absence
    // of GHL's signature headers is how the worker tells a stored workflow
    // delivery from a Marketplace one (see parseGhlDelivery).
    persistedHeaders: [],
    // Workflow actions retry "with exponential backoffs" on errors [G12];
    // which statuses count is not documented. 429 is retried by every GHL
    // retry policy we know of, so it is the safe answer when the inbox is down.
    persistFailureStatus: GHL_PERSIST_FAILURE_STATUS,
    // GHL never retries a 4xx ([G6][G7]), so an authentic delivery we cannot
    // parse is stored and dead-lettered for replay instead of being lost to a 400.
    storeUnparseable: true,
    // A missing or broken key is our mistake, not the sender's: 429 (still refused)
    // lets GHL retry for about an hour while the operator fixes it ([G6][G7]).
    misconfiguredStatus: GHL_PERSIST_FAILURE_STATUS,

    async verify(request) {
      if (secrets.length === 0) {
        return {
          valid: false,
          reason: 'no workflow webhook secret configured (GHL_WORKFLOW_WEBHOOK_SECRET)',
          misconfigured: true,
        };
      }
      const candidates: string[] = [];
      if (headerName) {
        const value = request.headers[headerName];
        if (value !== undefined && value !== '') candidates.push(value);
      }
      if (queryParameter !== false) {
        const value = queryValue(request.url, queryParameter);
        if (value !== undefined && value !== '') candidates.push(value);
      }
      if (candidates.length === 0) {
        const where = [headerName && `${headerName} header`, queryParameter !== false && `${queryParameter} parameter`]
          .filter(Boolean)
          .join(' or ');
        return { valid: false, reason: `missing workflow secret (${where})` };
      }
      for (const candidate of candidates) {
        const keyIndex = await matcher(candidate);
        if (keyIndex !== undefined) return { valid: true, keyId: `workflow-secret-${keyIndex}` };
      }
      return { valid: false, reason: 'workflow secret mismatch' };
    },

    parse: parseGhlWorkflowDelivery,
  };
}

/**
 * Parse a stored or incoming GHL delivery of either kind. A row received
 * through `createAct` or a handler given `processorName` names the processor
 * that accepted it, and the worker re-parses it with that one. Rows from a
 * handler mounted by hand name none and come here through the default
 * processor, so this tells them apart by what the receive path kept:
 * Marketplace deliveries are only accepted with a signature header and keep it
 * (`persistedHeaders`); the workflow processor keeps no header at all. No body
 * field decides it, so a workflow body cannot pass itself off as a Marketplace event.
 */
export function parseGhlDelivery(
  request: Pick<WebhookRequestV1, 'body' | 'headers' | 'receivedAt'>,
): ParsedDeliveryV1<GhlEvent> {
  const signed = GHL_SIGNATURE_HEADER in request.headers || GHL_LEGACY_SIGNATURE_HEADER in request.headers;
  return signed ? parseGhlMarketplaceDelivery(request) : parseGhlWorkflowDelivery(request);
}

const families: readonly (readonly [readonly string[], Exclude<GhlEntity, 'pipeline' | 'app'>])[] = [
  [GHL_CONTACT_EVENT_TYPES, 'contact'],
  [GHL_OPPORTUNITY_EVENT_TYPES, 'opportunity'],
  [GHL_APPOINTMENT_EVENT_TYPES, 'appointment'],
  [GHL_TASK_EVENT_TYPES, 'task'],
  [GHL_NOTE_EVENT_TYPES, 'note'],
];
const entityOfType = new Map<string, GhlEntity>(
  families.flatMap(([types, entity]) => types.map((type) => [type, entity] as const)),
);
entityOfType.set('INSTALL', 'app');
entityOfType.set('UNINSTALL', 'app');

/**
 * Parse a verified Marketplace delivery into at most one event.
 *
 * - Delivery id: `webhookId` [G1]; without one the inbox dedupes on the body hash.
 * - Tenant: `locationId`, else `altId` when `altType` is `location` (invoices,
 *   orders: [G2]), else `companyId` (agency-level app events).
 * - Unknown or missing `type` (InboundMessage, Invoice*, … and the Invoice
 *   examples, which have no `type`): no events, so the delivery is stored and
 *   acknowledged but changes nothing.
 *
 * @throws PayloadError naming the field, for a known event that does not fit its schema.
 */
export function parseGhlMarketplaceDelivery(
  request: Pick<WebhookRequestV1, 'body' | 'receivedAt'>,
): ParsedDeliveryV1<GhlEvent> {
  const body = readJsonObject(request.body);
  if (!body) throw payloadError('body is not a UTF-8 JSON object');
  const deliveryId = nonEmptyString(body.webhookId);
  const tenant = tenantOf(body);
  const envelope = { ...(deliveryId ? { deliveryId } : {}), ...(tenant ? { tenant } : {}) };
  const type = nonEmptyString(body.type);
  const entity = type ? entityOfType.get(type) : undefined;
  if (!type || !entity) return { ...envelope, events: [] };

  const schema =
    entity === 'app' ? ghlPayloadSchemas[type as 'INSTALL' | 'UNINSTALL'] : ghlPayloadSchemas[entity as 'contact'];
  const parsed = (schema as z.ZodType<Record<string, unknown>>).safeParse(body);
  if (!parsed.success) {
    throw payloadError(
      `invalid ${type} delivery${deliveryId ? ` ${deliveryId}` : ''}: ${describeZodError(parsed.error)}`,
      parsed.error,
    );
  }
  const payload = parsed.data;
  if (!tenant) throw payloadError(`invalid ${type} delivery: locationId: no location id in the delivery`);

  const record =
    entity === 'appointment' ? (payload.appointment as Record<string, unknown>) : (payload as Record<string, unknown>);
  const entityId = entity === 'app' ? (payload.appId as string) : (record.id as string);
  const version = versionOf(type, body, record);
  // When GHL made this copy of the record: its send time [G1]. It orders two
  // copies at the same version (the later wins), never two versions.
  const observedAt = ghlTimeMs(body.timestamp);
  const occurredAt = occurredAtOf(type, body, record);
  const event = {
    source: GHL_SOURCE,
    tenant,
    type,
    entity,
    entityId,
    origin: 'marketplace-webhook' as GhlEventOrigin,
    ...(occurredAt !== undefined ? { occurredAt } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(observedAt !== undefined ? { observedAt } : {}),
    payload,
  } as GhlEvent;
  return { ...envelope, events: [event] };
}

/**
 * Parse a workflow webhook body into one `WorkflowWebhook` contact event.
 *
 * - Tenant: `location.id`; entity id: `contact_id` ([G12]).
 * - Version: the receipt time. Workflow bodies carry no update time and no
 *   `timestamp`; the receipt time (kept by the inbox, so every re-parse gives
 *   the same value) orders them after what the mirror had when they arrived.
 *
 * @throws PayloadError naming the field, for a body without `contact_id` or `location.id`.
 */
export function parseGhlWorkflowDelivery(
  request: Pick<WebhookRequestV1, 'body' | 'receivedAt'>,
): ParsedDeliveryV1<GhlEvent> {
  const body = readJsonObject(request.body);
  if (!body) throw payloadError('body is not a UTF-8 JSON object');
  const parsed = ghlPayloadSchemas.workflow.safeParse(body);
  if (!parsed.success) {
    throw payloadError(`invalid workflow webhook: ${describeZodError(parsed.error)}`, parsed.error);
  }
  const payload = parsed.data;
  const version = request.receivedAt.getTime();
  const event: GhlEvent = {
    source: GHL_SOURCE,
    tenant: payload.location.id,
    type: GHL_WORKFLOW_EVENT_TYPE,
    entity: 'contact',
    entityId: payload.contact_id,
    origin: 'workflow-webhook',
    ...(Number.isFinite(version) ? { version } : {}),
    payload,
  };
  // No deliveryId: the handler dedupes on a SHA-256 of the body.
  return { tenant: payload.location.id, events: [event] };
}

/**
 * The version guard of an event (`SourceEventV1.version`, epoch ms), per
 * what GHL sends ([G2][G5], docs/webhook events/*.md [G2]):
 *
 * 1. the record's own `dateUpdated`, where the payload has one (appointments,
 *    AppointmentCreate.md; any other record that starts carrying it);
 * 2. otherwise the delivery's `timestamp` [G1]: contact, opportunity, task
 *    and note payloads have no update time ("Marketplace webhook contact
 *    payloads carry dateAdded but no dateUpdated", [G5]), and each carries the
 *    full record as of sending, so the send time orders two snapshots of one
 *    record. Deletes, tag, DND and status updates are versioned this way too;
 * 3. otherwise, for a `*Create`, its `dateAdded` (creation is the first version);
 * 4. otherwise none, and the write is unconditional (only possible with
 *    `allowMissingTimestamp`).
 *
 * Two copies at the same version are ordered by `timestamp` (the event's
 * `observedAt`), then by arrival: GHL's advice is to use `timestamp` "only as
 * a tie-breaker" (Webhook Integration Guide,
 * https://marketplace.gohighlevel.com/docs/webhook/WebhookIntegrationGuide),
 * so a delivery sent 90 s before another, with the same `dateUpdated`, never
 * replaces it.
 *
 * Caveat: a 429 retry comes back about 10 minutes later
 * (https://help.gohighlevel.com/support/solutions/articles/155000007071) and,
 * to pass GHL's own 5-minute replay window, with a new `timestamp`. Where the
 * record has its update time (`dateUpdated`/`updatedAt`, rule 1), the retried
 * old copy keeps its old version and is refused as stale. Where the payload
 * has none (contacts, opportunities, tasks and notes as documented [G2]),
 * nothing in the delivery tells a retry from a new copy, so the retried copy
 * is ordered by its retry time; deletes are safe regardless (core's
 * tombstones), and reconciliation rewrites a row whose content differs from
 * GHL's at the same version.
 */
export function versionOf(
  type: string,
  body: Record<string, unknown>,
  record: Record<string, unknown>,
): number | undefined {
  return (
    ghlTimeMs(record.dateUpdated) ??
    ghlTimeMs(record.updatedAt) ??
    ghlTimeMs(body.timestamp) ??
    (type.endsWith('Create') ? ghlTimeMs(record.dateAdded) : undefined)
  );
}

/** When the change happened, for the latency figure: `timestamp`, else the record's update (or creation) time. */
function occurredAtOf(
  type: string,
  body: Record<string, unknown>,
  record: Record<string, unknown>,
): string | undefined {
  for (const candidate of [
    body.timestamp,
    record.dateUpdated,
    type.endsWith('Create') ? record.dateAdded : undefined,
  ]) {
    const ms = ghlTimeMs(candidate);
    if (ms !== undefined) return new Date(ms).toISOString();
  }
  return undefined;
}

/** `locationId`, else `altId` when `altType` is `location`, else `companyId` ([G2]). */
export function tenantOf(body: Record<string, unknown>): string | undefined {
  return (
    nonEmptyString(body.locationId) ??
    (body.altType === 'location' ? nonEmptyString(body.altId) : undefined) ??
    nonEmptyString(body.companyId)
  );
}

/**
 * The body as a JSON object, `undefined` for other JSON. Through core's
 * `parseJson`: a body nested past its depth limit (or not JSON at all) is a
 * `PayloadError` naming the problem, so a signed 100,000-deep body is kept
 * and dead-lettered with the reason instead of overflowing the stack later
 * on every retry.
 *
 * @throws PayloadError for a body that is not UTF-8 JSON or nests too deeply.
 */
function readJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  const value = parseJson(bytes, { packageName: GHL_PACKAGE_NAME });
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** `readJsonObject`, or `undefined` for any body it refuses (the replay-window check leaves those to `parse`). */
function tryReadJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    return readJsonObject(bytes);
  } catch {
    return undefined;
  }
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function queryValue(url: string, name: string): string | undefined {
  try {
    return new URL(url).searchParams.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

function payloadError(message: string, cause?: unknown): PayloadError {
  return new PayloadError({ packageName: GHL_PACKAGE_NAME, message, ...(cause ? { cause } : {}) });
}

function configuration(message: string): ConfigurationError {
  return new ConfigurationError({ packageName: GHL_PACKAGE_NAME, message });
}
