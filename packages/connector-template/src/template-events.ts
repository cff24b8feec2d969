import type { SourceEventV1 } from '@act/core';
import { z } from 'zod';

// Template's webhook payloads (fictional: made up for the template package).
// A real connector copies each shape from the provider's docs, cites the URL
// beside the schema, and keeps a documented sample in test/fixtures/.
//
// Schemas are internal (never exported from src/index.ts); the inferred types
// are public. Response fields are lenient (`.nullish()`): a provider that
// starts sending `null` or drops an optional field must not stop the mirror.
// Only what the connector cannot work without is required (ids, the type).

/** The event types the connector applies. Anything else is stored and acknowledged, then ignored. */
export const TEMPLATE_EVENT_TYPES = ['record.created', 'record.updated', 'record.deleted'] as const;
export type TemplateEventType = (typeof TEMPLATE_EVENT_TYPES)[number];

/**
 * A Template record, in webhooks and in API responses alike. Loose: fields
 * this schema does not name are kept, so the `raw` column holds everything
 * the provider sent.
 */
export const templateRecordSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  email: z.string().nullish(),
  status: z.string().nullish(),
  /** ISO 8601; orders versions of the record. */
  updated_at: z.string().nullish(),
});
export type TemplateRecord = z.infer<typeof templateRecordSchema>;

/** What every delivery has, whatever its type: enough to store and dedupe it. */
export const templateDeliverySchema = z.object({
  /** Delivery id, the same on every retry of one delivery. */
  id: z.string().min(1),
  type: z.string().min(1),
  /** The Template account (the tenant). */
  account_id: z.string().min(1),
  /** When the change happened, ISO 8601. */
  created_at: z.string().nullish(),
  data: z.unknown().optional(),
});

/** A delivery of a known type. */
export const templateEventSchema = templateDeliverySchema.extend({
  type: z.enum(TEMPLATE_EVENT_TYPES),
  data: z
    .object({
      /** The record as it is now. Missing for large records: the event is thin. */
      object: templateRecordSchema.nullish(),
      /** Sent instead of `object` in thin events. */
      object_id: z.string().min(1).nullish(),
    })
    .refine((data) => data.object || data.object_id, {
      message: 'either data.object or data.object_id is required',
      path: ['object'],
    }),
});

/** A Template webhook delivery body, as the provider sends it. */
export type TemplateEvent = z.infer<typeof templateEventSchema>;

/** The event the connector hands to the runtime: the record is the payload. */
export interface TemplateSourceEvent extends SourceEventV1<TemplateRecord> {
  type: TemplateEventType;
}

/** `account_id: Invalid input: expected string, received undefined` — the field first, so the message says what to fix. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}

/** A record's version: epoch ms of its `updated_at`, or `undefined` when absent or unparsable. */
export function templateVersion(updatedAt: string | null | undefined): number | undefined {
  const ms = updatedAt ? Date.parse(updatedAt) : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
}
