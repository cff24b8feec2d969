import type { SourceEventV1 } from '@act/core';
import { z } from 'zod';

// Gmail's payloads [G1] [G4] [G5]. Lenient (`.nullish()`, loose objects) but for
// what the connector cannot work without (ids): a field Google starts to omit
// must not stop the mirror. History ids are uint64 strings: kept as strings,
// compared as BigInt, never parsed to a JS number except as a row version
// (`gmailVersion`, which refuses one past 2^53).

/** [G2] What Gmail publishes to the Pub/Sub topic: `message.data`, base64url JSON. */
export const gmailPushDataSchema = z.looseObject({
  emailAddress: z.string().min(1),
  historyId: z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(String),
});
export type GmailPushData = z.infer<typeof gmailPushDataSchema>;

const headerSchema = z.looseObject({ name: z.string(), value: z.string().nullish() });

/** [G5] A message part: `format=metadata` gives its headers; `full` the tree with bodies. */
export interface GmailMessagePart {
  partId?: string | null | undefined;
  mimeType?: string | null | undefined;
  filename?: string | null | undefined;
  headers?: { name: string; value?: string | null | undefined }[] | null | undefined;
  body?: { size?: number | null | undefined; data?: string | null | undefined } | null | undefined;
  parts?: GmailMessagePart[] | null | undefined;
}
const partSchema: z.ZodType<GmailMessagePart> = z.lazy(() =>
  z.looseObject({
    partId: z.string().nullish(),
    mimeType: z.string().nullish(),
    filename: z.string().nullish(),
    headers: z.array(headerSchema).nullish(),
    body: z.looseObject({ size: z.number().nullish(), data: z.string().nullish() }).nullish(),
    parts: z.array(partSchema).nullish(),
  }),
);

/** [G5] `users.messages.get` (any format): `raw` only with `format=raw`, `payload` with `metadata`/`full`. */
export const gmailMessageSchema = z.looseObject({
  id: z.string().min(1),
  threadId: z.string().nullish(),
  labelIds: z.array(z.string()).nullish(),
  snippet: z.string().nullish(),
  historyId: z.string().regex(/^\d+$/).nullish(),
  internalDate: z.string().regex(/^\d+$/).nullish(),
  sizeEstimate: z.number().nullish(),
  payload: partSchema.nullish(),
  raw: z.string().nullish(),
});
export type GmailMessage = z.infer<typeof gmailMessageSchema>;

/** A message's ids as history records and listings carry them. */
export const gmailMessageRefSchema = z.looseObject({
  id: z.string().min(1),
  threadId: z.string().nullish(),
  labelIds: z.array(z.string()).nullish(),
});
export type GmailMessageRef = z.infer<typeof gmailMessageRefSchema>;

/** The payload of a `message.deleted` event: the ids and the history record that deleted it. */
export interface GmailDeletedMessage {
  id: string;
  threadId?: string | null | undefined;
  /** The history record (`history[].id`) that removed the message. */
  deletedInHistoryId: string;
}

/**
 * What the Gmail connector hands the runtime. `entity` is `message`;
 * `entityId` the message id; `tenant` the mailbox address (lower case);
 * `version` the message's `historyId` (or, for a deletion, the id of the
 * history record that deleted it), so an older copy never overwrites a newer.
 *
 * Types: `message.added` / `message.labels_changed` (from `history.list`,
 * fetched with `messages.get`), `message.listed` (a full sync's listing),
 * `message.deleted` (a tombstone).
 */
export const GMAIL_EVENT_TYPES = [
  'message.added',
  'message.labels_changed',
  'message.listed',
  'message.deleted',
] as const;
export type GmailEventType = (typeof GMAIL_EVENT_TYPES)[number];

export interface GmailSourceEvent extends SourceEventV1<GmailMessage | GmailDeletedMessage> {
  type: GmailEventType;
}

/** A history id as a row version, or `undefined` when absent or past `Number.MAX_SAFE_INTEGER`. */
export function gmailVersion(historyId: string | null | undefined): number | undefined {
  if (!historyId || !/^\d+$/.test(historyId)) return undefined;
  const value = Number(historyId);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Mailbox addresses are case-insensitive: one tenant per mailbox whatever the push or the settings wrote. */
export function normalizeMailbox(address: string): string {
  return address.trim().toLowerCase();
}
