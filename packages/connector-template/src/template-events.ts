import type { SourceEventV1 } from '@act/core';
import { z } from 'zod';

// Template's payloads (fictional; a real connector cites the docs URL). Lenient (`.nullish()`) but
// for what the connector cannot work without: a provider that starts sending `null` must not stop the mirror.

/** The event types the connector applies. Others are stored and acknowledged, then ignored. */
export const TEMPLATE_EVENT_TYPES = ['record.created', 'record.updated', 'record.deleted'] as const;
export type TemplateEventType = (typeof TEMPLATE_EVENT_TYPES)[number];

/** A record, in webhooks and API responses. Loose: unnamed fields are kept for the `raw` column. */
export const templateRecordSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  email: z.string().nullish(),
  status: z.string().nullish(),
  updated_at: z.string().nullish(),
});
export type TemplateRecord = z.infer<typeof templateRecordSchema>;

/** What every delivery has, whatever its type: enough to store and dedupe it. */
export const templateDeliverySchema = z.object({
  /** The same on every retry of one delivery. */
  id: z.string().min(1),
  type: z.string().min(1),
  account_id: z.string().min(1),
  created_at: z.string().nullish(),
  data: z.unknown().optional(),
});

/** A delivery of a known type. Large records come thin: `object_id` without `object`. */
export const templateEventSchema = templateDeliverySchema.extend({
  type: z.enum(TEMPLATE_EVENT_TYPES),
  data: z
    .object({ object: templateRecordSchema.nullish(), object_id: z.string().min(1).nullish() })
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

/** A record's version: epoch ms of its `updated_at`, or `undefined` when absent or unparsable. */
export function templateVersion(updatedAt: string | null | undefined): number | undefined {
  const ms = updatedAt ? Date.parse(updatedAt) : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
}
