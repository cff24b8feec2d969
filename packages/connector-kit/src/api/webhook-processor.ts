// The skeleton every webhook processor repeats: the contract's constants, a
// kit verifier's result mapped to the connector's words, and a JSON body read
// within core's limits and checked by zod, with PayloadErrors naming the field.
// A connector supplies the facts: source, headers, verifier, schemas, events.
import {
  type ParsedDeliveryV1,
  PayloadError,
  parseJson,
  type SourceEventV1,
  type WebhookProcessorV1,
  type WebhookRequestV1,
} from '@act/core/internal';
import type { z } from 'zod';
import type { Verifier, VerifyFailureCode, VerifyResult } from '../verify/types';
import { describeZodError } from './errors';

/** What a parser reads: the body at least (tests and the worker's re-parse may give only that). */
export type DeliveryRequest = Pick<WebhookRequestV1, 'body'> & Partial<WebhookRequestV1>;

export interface DeliveryParseContext {
  request: DeliveryRequest;
  /** The body as parsed JSON, before `schema`. */
  json: unknown;
  /** Parse `value` with `schema`, or throw a PayloadError `invalid <what>: <field>: <issue>`. */
  check<T>(schema: z.ZodType<T>, value: unknown, what: string): T;
}

export interface DeliveryParserOptions<TEvent extends SourceEventV1, TBody> {
  packageName: string;
  /** What every delivery has (enough to store and dedupe it); otherwise `invalid delivery: <field>: <issue>`. */
  schema: z.ZodType<TBody>;
  /**
   * The checked body → delivery id, tenant and events. Unknown types: no events (stored, acknowledged, not applied).
   * A push that only says "this tenant's stream changed" (Gmail's history id) answers
   * `{ deliveryId, tenant, events: [], sync: { stream, hint } }`: the worker syncs that poller's stream.
   */
  toDelivery(body: TBody, context: DeliveryParseContext): ParsedDeliveryV1<TEvent>;
  /** JSON nesting limit; defaults to core's (128). */
  maxDepth?: number;
}

/**
 * A webhook `parse`: core's `parseJson` (UTF-8, depth limit: never a bare
 * `JSON.parse`, whose deep bodies overflow the stack later, on every retry),
 * then `schema`, then `toDelivery`.
 *
 * @throws PayloadError naming the problem, for a body that is not a valid delivery.
 */
export function deliveryParser<TEvent extends SourceEventV1, TBody>(
  options: DeliveryParserOptions<TEvent, TBody>,
): (request: DeliveryRequest) => ParsedDeliveryV1<TEvent> {
  const { packageName, maxDepth } = options;
  const check = <T>(schema: z.ZodType<T>, value: unknown, what: string): T => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    throw new PayloadError({
      packageName,
      message: `invalid ${what}: ${describeZodError(parsed.error)}`,
      cause: parsed.error,
    });
  };
  return (request) => {
    const json = parseJson(request.body, { packageName, ...(maxDepth !== undefined ? { maxDepth } : {}) });
    return options.toDelivery(check(options.schema, json, 'delivery'), { request, json, check });
  };
}

export interface WebhookProcessorOptions<TEvent extends SourceEventV1, TOk extends object>
  extends Omit<WebhookProcessorV1<TEvent>, 'specificationVersion' | 'verify' | 'persistedHeaders'> {
  /** A kit verifier (`hmacSignature`, `publicKeySignature`, `sharedSecret`, …), made once. */
  verify: Verifier<TOk>;
  /** Headers kept with the raw body in the inbox (the signature: a dead letter can be re-verified). Default none. */
  persistedHeaders?: readonly string[];
  /** The connector's wording per failure code; the verifier's reason otherwise. */
  reasons?: Partial<Record<VerifyFailureCode, string>>;
  /** The `keyId` of a match (rotation metrics, never the key); default `key-<keyIndex>`. */
  keyId?(result: Extract<VerifyResult<TOk>, { ok: true }>): string;
}

/**
 * A `WebhookProcessorV1` from provider facts. `verify` maps the kit
 * verifier's result: `misconfigured` is reported as such (the handler still
 * answers 401, and logs a configuration error), every other failure is
 * refused with its reason. The rest (`parse`, statuses, `handshake`, …) is
 * passed through.
 */
export function webhookProcessor<TEvent extends SourceEventV1, TOk extends object = Record<never, never>>(
  options: WebhookProcessorOptions<TEvent, TOk>,
): WebhookProcessorV1<TEvent> {
  const {
    verify,
    reasons = {},
    keyId = (result) => `key-${result.keyIndex}`,
    persistedHeaders = [],
    ...rest
  } = options;
  return {
    ...rest,
    specificationVersion: 'v1',
    persistedHeaders,
    async verify(request) {
      const result = await verify(request);
      if (result.ok) return { valid: true, keyId: keyId(result as Extract<VerifyResult<TOk>, { ok: true }>) };
      const reason = reasons[result.code] ?? result.reason;
      return result.code === 'misconfigured' ? { valid: false, reason, misconfigured: true } : { valid: false, reason };
    },
  };
}
