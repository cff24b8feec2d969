import { ActError, classifyError } from '../errors';
import { assertStorableIds } from '../input-limits';
import { type Logger, type Metrics, noopLogger, noopMetrics } from '../observability';
import { bodyDedupeKey, deliveryDedupeKey } from '../pipeline/idempotency';
import { resolveStore, resolveWebhookProcessor } from '../spec/resolve';
import type { StateStoreV1, WebhookProcessorV1, WebhookRequestV1 } from '../spec/v1';
import { headersToRecord, readBodyWithLimit } from './read-body';
import {
  type BodyRefusal,
  BodyRefusedError,
  REFUSE_UNREAD,
  type RefuseUnread,
  releaseLease,
  retryAfterSeconds,
} from './receive-limits';

/** 1 MiB: far above any documented provider payload, small enough to refuse abuse cheaply. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Headers kept with every delivery besides the processor's own, for debugging dead letters. */
const ALWAYS_PERSISTED_HEADERS = ['content-type', 'user-agent'];

/** On a part of a split delivery (`WebhookProcessorV1.split`): the dedupe key of the delivery it came from. */
export const SPLIT_OF_HEADER = 'x-act-split-of';
/** On a part of a split delivery: `<n>/<parts>`. */
export const PART_HEADER = 'x-act-part';
/**
 * On every delivery received through a named processor (`processorName`,
 * which `createAct` sets): the name in `ConnectorV1.webhooks` of the processor
 * that accepted it, so the worker re-parses it with the same one.
 */
export const PROCESSOR_HEADER = 'x-act-processor';

function pickHeaders(headers: Record<string, string>, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) if (headers[name] !== undefined) picked[name] = headers[name];
  return picked;
}

/**
 * The inbox's coalesce key of a delivery asking for a stream sync
 * (`NewDeliveryV1.coalesceKey`): `<source>:<tenant>:<stream>`. Streams are
 * the connector's own names, so a tenant holding `:` cannot make two keys equal
 * unless a connector has streams `b` and `x:b`.
 */
export function syncCoalesceKey(source: string, tenant: string, stream: string): string {
  return `${source}:${tenant}:${stream}`;
}

export interface WebhookHandlerOptions {
  processor: WebhookProcessorV1;
  /**
   * The processor's name in its connector's `webhooks`, recorded on every
   * inbox row it stores (header `x-act-processor`): the worker re-parses the
   * row with that processor. Without it the worker uses the connector's
   * `default` (or only) processor.
   */
  processorName?: string;
  /** Where deliveries are stored before they are acknowledged. */
  store: StateStoreV1;
  logger?: Logger;
  metrics?: Metrics;
  /** Injectable clock for tests. */
  now?: () => Date;
  /** Correlation id generator; defaults to `crypto.randomUUID()`. */
  generateId?: () => string;
}

export type WebhookHandler = (request: Request) => Promise<Response>;

/**
 * The receive path as a web-standard handler: mount it in a Next.js route, a
 * Supabase Edge function, Deno, Bun, Hono, or Express through
 * `@act/core/node`.
 *
 * In order: body size limit (413) → the process's receive limits (no room or
 * body too slow: the retry status below, body unread; see `receive-limits.ts`)
 * → provider handshake → signature (401,
 * fail closed) → parse (400, or stored and 202 with `storeUnparseable`) →
 * store in the inbox → acknowledge. Nothing is
 * acknowledged before the store has it: when the store fails, the answer is
 * the processor's `persistFailureStatus` (503 by default, 429 for providers
 * that only retry on 429) so the provider delivers again.
 */
export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const processor = resolveWebhookProcessor(options.processor);
  const store = resolveStore(options.store, 'state store');
  const logger = options.logger ?? noopLogger;
  const metrics = options.metrics ?? noopMetrics;
  const now = options.now ?? (() => new Date());
  const generateId = options.generateId ?? (() => crypto.randomUUID());
  const packageName = processor.packageName;
  const maxBodyBytes = processor.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const persistedHeaders = new Set([
    ...ALWAYS_PERSISTED_HEADERS,
    ...processor.persistedHeaders.map((h) => h.toLowerCase()),
  ]);
  const source = processor.source;

  const reject = (status: number, message: string): Response =>
    processor.reject ? processor.reject(status, message) : Response.json({ error: message }, { status });

  const count = (outcome: string) => metrics.increment?.('act_deliveries_received_total', { source, outcome });

  /** The provider's retry status (503 by default, 429 for GoHighLevel) with `Retry-After`: "send it again". */
  const askToRetry = (message: string, retryAfter: string): Response => {
    const response = reject(processor.persistFailureStatus ?? 503, message);
    if (!response.headers.has('retry-after')) response.headers.set('retry-after', retryAfter);
    return response;
  };

  // A body not read (no room under the process's receive limits) or not arrived in time
  // (`receive-limits.ts`): the provider's retry status, so a real delivery caught in a
  // flood or a network stall is sent again. Not 408: GoHighLevel retries only 429.
  const refuseUnread: RefuseUnread = (request: Request, reason: BodyRefusal) => {
    const status = processor.persistFailureStatus ?? 503;
    const log = { source, correlationId: request.headers.get('x-correlation-id') ?? undefined, status };
    count(reason === 'busy' ? 'busy' : 'body_timeout');
    const message = new BodyRefusedError(reason).message.replace('[@act/core]', `[${packageName}]`);
    logger.warn(log, message);
    return askToRetry(message, String(retryAfterSeconds()));
  };

  const handleWebhook = async function handleWebhook(request: Request): Promise<Response> {
    const startedAt = now();
    const correlationId = request.headers.get('x-correlation-id') ?? generateId();
    const log = { source, correlationId };
    try {
      let body: Uint8Array;
      try {
        body = await readBodyWithLimit(request, maxBodyBytes, packageName);
      } catch (error) {
        if (ActError.isInstance(error) && error.status === 413) {
          count('rejected');
          logger.warn({ ...log, status: 413 }, error.message);
          return reject(413, error.message);
        }
        if (BodyRefusedError.is(error)) return refuseUnread(request, error.reason);
        throw error;
      }

      const webhookRequest: WebhookRequestV1 = {
        method: request.method.toUpperCase(),
        url: request.url,
        headers: headersToRecord(request.headers),
        body,
        receivedAt: startedAt,
      };

      if (processor.handshake) {
        const handshakeResponse = await processor.handshake(webhookRequest);
        if (handshakeResponse) {
          logger.info({ ...log, status: handshakeResponse.status }, 'handshake answered');
          return handshakeResponse;
        }
      }

      if (webhookRequest.method !== 'POST') {
        count('rejected');
        return reject(405, `[${packageName}] method ${webhookRequest.method} not allowed`);
      }

      const verification = await processor.verify(webhookRequest).catch((error: unknown) => ({
        valid: false as const,
        reason: `verification failed: ${error instanceof Error ? error.message : String(error)}`,
        misconfigured: true,
      }));
      if (!verification.valid) {
        count('rejected');
        const message = `[${packageName}] ${verification.reason}`;
        if (verification.misconfigured) {
          // Still refused (fail closed), with the status that makes this provider retry, if it has one.
          const status = processor.misconfiguredStatus ?? 401;
          logger.error({ ...log, status }, message);
          return reject(status, message);
        }
        logger.warn({ ...log, status: 401 }, message);
        return reject(401, message);
      }

      let parsed: Awaited<ReturnType<typeof processor.parse>>;
      let parseError: string | undefined;
      try {
        parsed = await processor.parse(webhookRequest);
        // Ids no store can hold (NUL, lone surrogates, over ID_LIMITS) are answered like a
        // body that does not parse: a retry could never succeed.
        assertStorableIds(parsed, packageName);
      } catch (error) {
        const { message } = classifyError(error);
        parseError = message.startsWith('[') ? message : `[${packageName}] invalid payload: ${message}`;
        if (!processor.storeUnparseable) {
          count('rejected');
          logger.warn({ ...log, status: 400 }, parseError);
          return reject(400, parseError);
        }
        // Authentic but not understood: keep it (the worker dead-letters it
        // with the same reason) so a fixed connector can replay it.
        parsed = { events: [] };
      }

      const dedupeKey = parsed.deliveryId
        ? deliveryDedupeKey(source, parsed.deliveryId)
        : await bodyDedupeKey(source, body);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(webhookRequest.headers)) {
        if (persistedHeaders.has(name)) headers[name] = value;
      }
      // Set by us, never taken from the request: the processor that accepted the delivery.
      if (options.processorName !== undefined) headers[PROCESSOR_HEADER] = options.processorName;
      else delete headers[PROCESSOR_HEADER];

      // "This tenant's stream changed" (Gmail's history id, a Calendar ping): one row that
      // asks for the stream's sync, coalesced in the inbox with the others still waiting.
      const sync = parseError ? undefined : parsed.sync;
      const storedUrl = redactQuery(webhookRequest.url, processor.secretQueryParameters);
      const parts =
        processor.split && !parseError && !sync && parsed.events.length > 1
          ? await processor.split(webhookRequest, parsed)
          : undefined;
      const rows =
        parts && parts.length > 1
          ? parts.map((part, index) => ({
              source,
              tenant: part.tenant ?? parsed.tenant ?? 'unknown',
              dedupeKey: `${dedupeKey}#${part.key}`,
              method: webhookRequest.method,
              url: storedUrl,
              // The signature covers the whole delivery, not this part: keep where it came from instead.
              headers: {
                ...pickHeaders(headers, [...ALWAYS_PERSISTED_HEADERS, PROCESSOR_HEADER]),
                [SPLIT_OF_HEADER]: dedupeKey,
                [PART_HEADER]: `${index + 1}/${parts.length}`,
              },
              body: part.body,
              receivedAt: startedAt,
              correlationId,
              eventTypes: [...new Set(part.events.map((event) => event.type))],
            }))
          : [
              {
                source,
                tenant: parsed.tenant ?? 'unknown',
                dedupeKey,
                method: webhookRequest.method,
                url: storedUrl,
                headers,
                body,
                receivedAt: startedAt,
                correlationId,
                eventTypes: sync ? [`sync:${sync.stream}`] : [...new Set(parsed.events.map((event) => event.type))],
                ...(sync ? { coalesceKey: syncCoalesceKey(source, parsed.tenant ?? 'unknown', sync.stream) } : {}),
              },
            ];

      let stored: { id: string; duplicate: boolean; conflictOf?: string; coalescedInto?: string };
      try {
        // Parts are stored concurrently (a group-committing store batches them); if any
        // fails the provider retries the whole delivery and the stored parts dedupe.
        const results = await Promise.all(rows.map((row) => store.enqueue(row)));
        // A known key with different bytes is kept as a conflict (never dropped): report the first.
        const conflict = results.find((result) => result.conflictOf !== undefined && !result.duplicate);
        stored = {
          id: (conflict ?? (results[0] as { id: string })).id,
          duplicate: results.every((result) => result.duplicate),
          ...(conflict?.conflictOf !== undefined ? { conflictOf: conflict.conflictOf } : {}),
          ...(results.length === 1 && results[0]?.coalescedInto !== undefined
            ? { coalescedInto: results[0].coalescedInto }
            : {}),
        };
      } catch (caught) {
        let error = caught;
        let kept: { id: string; duplicate: boolean } | undefined;
        // The store refused the content itself (class `validation`: a key past an index's size
        // limit, a character it cannot hold): every retry would fail the same way. Keep it as
        // received where the provider never retries a 4xx (`storeUnparseable`: tenant `unknown`,
        // deduped on the body, the worker dead-letters it with the reason), else refuse it for good.
        const refused = classifyError(error);
        if (refused.errorClass === 'validation') {
          const reason = `[${packageName}] delivery cannot be stored as received: ${refused.message}`;
          if (processor.storeUnparseable) {
            try {
              const fallback = { ...(rows[0] as (typeof rows)[number]), headers, body, eventTypes: [] };
              kept = await store.enqueue({
                ...fallback,
                tenant: 'unknown',
                dedupeKey: await bodyDedupeKey(source, body),
              });
              parseError ??= reason;
            } catch (fallbackError) {
              error = fallbackError;
            }
          }
          if (!kept && classifyError(error).errorClass === 'validation') {
            count('rejected');
            logger.warn({ ...log, status: 400 }, reason);
            return reject(400, reason);
          }
        }
        if (!kept) {
          const status = processor.persistFailureStatus ?? 503;
          count('store_failed');
          logger.error(
            { ...log, status, error: error instanceof Error ? error.message : String(error) },
            `[${packageName}] inbox unavailable: delivery not stored, asking the provider to retry`,
          );
          return askToRetry(`[${packageName}] delivery not stored, retry later`, '10');
        }
        stored = kept;
      }

      if (parseError) {
        count('stored_unparseable');
        logger.error({ ...log, deliveryId: stored.id, status: 202 }, `${parseError} (stored for replay)`);
        // A processor that shapes its answers (Xero: empty bodies) keeps doing so here.
        return processor.acknowledge
          ? processor.acknowledge({ deliveryId: stored.id, duplicate: stored.duplicate })
          : Response.json(
              { received: true, id: stored.id, duplicate: stored.duplicate, error: parseError },
              { status: 202 },
            );
      }
      const { conflictOf } = stored;
      count(conflictOf !== undefined ? 'conflict' : stored.duplicate ? 'duplicate' : 'stored');
      metrics.observe?.('act_receive_duration_ms', now().getTime() - startedAt.getTime(), { source });
      if (conflictOf !== undefined) {
        // Answered like any stored delivery so the provider stops; the worker applies it
        // only where its version is newer, and health counts it.
        logger.warn(
          { ...log, deliveryId: stored.id, conflictOf, dedupeKey, events: parsed.events.length },
          `[${packageName}] conflicting redelivery: delivery ${conflictOf} was stored with this key and a different body; kept as delivery ${stored.id}`,
        );
      } else {
        logger.info(
          {
            ...log,
            deliveryId: stored.id,
            dedupeKey,
            duplicate: stored.duplicate,
            events: parsed.events.length,
            ...(sync ? { sync: sync.stream, ...(sync.hint !== undefined ? { hint: sync.hint } : {}) } : {}),
            ...(stored.coalescedInto !== undefined ? { coalescedInto: stored.coalescedInto } : {}),
            ...(rows.length > 1 ? { parts: rows.length } : {}),
          },
          stored.duplicate ? 'duplicate delivery acknowledged' : 'delivery stored',
        );
      }
      return processor.acknowledge
        ? processor.acknowledge({ deliveryId: stored.id, duplicate: stored.duplicate })
        : Response.json(
            {
              received: true,
              id: stored.id,
              duplicate: stored.duplicate,
              ...(conflictOf !== undefined ? { conflictOf } : {}),
            },
            { status: 200 },
          );
    } catch (error) {
      // Anything unexpected: the delivery is not stored, so ask for a retry the
      // same way a store failure does.
      const status = processor.persistFailureStatus ?? 503;
      count('store_failed');
      logger.error(
        { ...log, status, error: error instanceof Error ? error.message : String(error) },
        `[${packageName}] unexpected error while receiving a delivery`,
      );
      return reject(status, `[${packageName}] delivery not stored, retry later`);
    }
  };
  const handler = async (request: Request): Promise<Response> => {
    try {
      return await handleWebhook(request);
    } finally {
      // The body's bytes count against the receive limits until the answer exists.
      releaseLease(request);
    }
  };
  return Object.assign(handler, { [REFUSE_UNREAD]: refuseUnread });
}

/** `url` with the values of `names` replaced by `redacted` (a URL token never reaches the inbox). */
function redactQuery(url: string, names: readonly string[] | undefined): string {
  if (!names?.length) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  let changed = false;
  for (const name of names) {
    if (!parsed.searchParams.has(name)) continue;
    parsed.searchParams.set(name, 'redacted');
    changed = true;
  }
  return changed ? parsed.href : url;
}
