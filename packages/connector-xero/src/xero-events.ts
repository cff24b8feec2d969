import type { SourceEventV1 } from '@act/core';
import { z } from 'zod';

// Xero webhook deliveries, from the spec `xero-webhooks.yaml` of
// https://github.com/XeroAPI/Xero-OpenAPI (v16.1.0, [X3] in
// REFERENCES.md; every sample is in test/fixtures/).
//
// Envelope facts ([X3]):
// - one POST holds `events[]`, `firstEventSequence`, `lastEventSequence`
//   (0 in intent-to-receive requests) and `entropy`; there is no event or
//   delivery id;
// - each event is an id only: `resourceUrl`, `resourceId`, `eventDateUtc`,
//   `eventType` (`CREATE` | `UPDATE`, no DELETE), `eventCategory`
//   (`CONTACT` | `INVOICE` | `CREDITNOTE` | `SUBSCRIPTION`), `tenantId`,
//   `tenantType` (`ORGANISATION` | `APPLICATION`), and for credit notes
//   `data: { Type, Status }`;
// - doc pages show `"eventType": "Update"` [X17]: names are compared without
//   regard to case; `eventDateUtc` comes with and without a trailing `Z`.
//
// Schemas are internal; the inferred types are public. Only what an event
// cannot be fetched without is required (tenant, category, resource id);
// unknown fields are kept (`looseObject`).

/** Connector id: the `source` of every event, cursor, credential key and rate budget. */
export const XERO_SOURCE = 'xero';
/** Prefix of every error message this package raises. */
export const XERO_PACKAGE_NAME = '@act/connector-xero';

/** Webhook categories this connector understands, as Xero spells them [X3]. */
export const XERO_EVENT_CATEGORIES = ['CONTACT', 'INVOICE', 'CREDITNOTE', 'SUBSCRIPTION'] as const;
export type XeroEventCategory = (typeof XERO_EVENT_CATEGORIES)[number];

/** Event types in the spec [X3]. "UPDATE" includes archiving, voiding and deleting: there is no DELETE. */
export const XERO_EVENT_TYPES = ['CREATE', 'UPDATE'] as const;
export type XeroEventType = (typeof XERO_EVENT_TYPES)[number];

/**
 * What a mirror row (or an event) is about: `SourceEventV1.entity`. The first
 * three arrive by webhook; payments and bank transactions have no webhook
 * category ([X3]) and come from the poller; subscriptions are App
 * Store events, not mirrored.
 */
export type XeroEntity = 'contact' | 'invoice' | 'credit_note' | 'payment' | 'bank_transaction' | 'subscription';

/** Entities that have a mirror table (everything but `subscription`). */
export type XeroMirroredEntity = Exclude<XeroEntity, 'subscription'>;

/** The entity of each webhook category. */
export const XERO_CATEGORY_ENTITIES: Readonly<Record<XeroEventCategory, XeroEntity>> = Object.freeze({
  CONTACT: 'contact',
  INVOICE: 'invoice',
  CREDITNOTE: 'credit_note',
  SUBSCRIPTION: 'subscription',
});

// ---------------------------------------------------------------------------
// Webhook envelope

const text = z.string().nullish();
/** Sequence numbers: integers, 1 … 2147483647, 0 in intent-to-receive requests [X3]. */
const sequence = z.number().int().nonnegative().nullish();

const notificationSchema = z.looseObject({
  /** `https://api.xero.com/api.xro/2.0/Contacts/<id>`; App Store subscriptions use `/appstore/2.0/Subscriptions/…` [X17]. */
  resourceUrl: text,
  resourceId: z.string().trim().min(1),
  /** ISO 8601, UTC, with or without the trailing `Z` [X3]. */
  eventDateUtc: text,
  eventType: z.string().trim().min(1),
  eventCategory: z.string().trim().min(1),
  tenantId: z.string().trim().min(1),
  tenantType: text,
  /** Credit notes only: the credit note's `Type` and `Status` at the time of the event [X3]. */
  data: z.looseObject({ Type: text, Status: text }).nullish(),
});

export const xeroDeliverySchema = z.looseObject({
  events: z.array(notificationSchema),
  firstEventSequence: sequence,
  lastEventSequence: sequence,
  entropy: text,
});

/** One event of a webhook delivery, as Xero sends it. */
export type XeroNotification = z.infer<typeof notificationSchema>;
/** A whole webhook delivery body. */
export type XeroDelivery = z.infer<typeof xeroDeliverySchema>;

/**
 * The payload of a webhook event before it is fetched: Xero's notification
 * (the newest of the delivery's repeats for the resource), plus how many
 * notifications of the delivery it stands for and the delivery's sequence
 * range (kept for gap detection and debugging).
 */
export interface XeroNotificationPayload extends XeroNotification {
  /** How many events of the delivery were collapsed into this one (repeats for one resource). */
  collapsed: number;
  firstEventSequence?: number;
  lastEventSequence?: number;
}

/**
 * A Xero accounting record as the API returns it (PascalCase, MS-JSON dates):
 * `Contact`, `Invoice`, `CreditNote`, `Payment` or `BankTransaction` of
 * `xero_accounting.yaml` [X4]. Unknown fields are kept.
 */
export type XeroRecord = Readonly<Record<string, unknown>>;

/**
 * What this connector's events carry:
 * - from a webhook, before fetching: `thin: true`, payload a `XeroNotificationPayload`;
 * - after `hydrate`, or from the poller and the reconciler: the record, with
 *   `version` = epoch ms of its `UpdatedDateUTC`;
 * - `SUBSCRIPTION` events: the notification, `thin: false`, never mirrored.
 */
export type XeroSourceEvent = SourceEventV1<XeroNotificationPayload | XeroRecord>;

/** A webhook event as `parse` returns it (before `hydrate`). */
export interface XeroEvent extends SourceEventV1<XeroNotificationPayload> {
  source: typeof XERO_SOURCE;
  entity: XeroEntity;
  /** `<CATEGORY>.<TYPE>`, upper case: `INVOICE.UPDATE`, `CREDITNOTE.CREATE`. */
  type: string;
}

// ---------------------------------------------------------------------------
// Dates

const MS_JSON_DATE = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * A Xero date or time as epoch milliseconds, or `undefined` when it is not one.
 *
 * - MS-JSON `/Date(1573755038314+0000)/` or `/Date(1573755038314)/`, as the
 *   API writes `UpdatedDateUTC`, `Date`, `DueDate` ([X4][X8]):
 *   the number is the instant (epoch ms, UTC); the offset after it only says
 *   where it was displayed, so it is ignored.
 * - ISO 8601, as webhooks write `eventDateUtc` and the API its `…String`
 *   twins (`2024-06-21T01:15:39.902`, `2018-02-09T09:19:05.06Z`,
 *   `2019-03-05 18:59:06+00:00`): a time without an offset is UTC [X3
 *   "The date and time that event occurred (UTC time)"]. Any number of
 *   fraction digits (.NET prints seven) is accepted; milliseconds are kept.
 */
export function xeroTimeMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  const msJson = MS_JSON_DATE.exec(trimmed);
  if (msJson) {
    const ms = Number(msJson[1]);
    return Number.isSafeInteger(ms) && Math.abs(ms) <= 8.64e15 ? ms : undefined;
  }
  const iso = ISO_DATE_TIME.exec(trimmed);
  if (!iso) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', offset = 'Z'] = iso;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), month - 1, day);
  date.setUTCHours(hour, minute, second, Number(fraction.slice(0, 3).padEnd(3, '0')));
  if (date.getUTCDate() !== day) return undefined;
  let offsetMinutes = 0;
  if (offset !== 'Z' && offset !== 'z') {
    const digits = offset.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (offset.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const ms = date.getTime() - offsetMinutes * 60_000;
  return Math.abs(ms) <= 8.64e15 ? ms : undefined;
}

/** A Xero time as an ISO 8601 UTC instant (`2019-03-07T17:59:28.133Z`), or `undefined`. */
export function xeroTimeIso(value: unknown): string | undefined {
  const ms = xeroTimeMs(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/**
 * A Xero calendar date (`Date`, `DueDate`: MS-JSON at midnight UTC of the
 * organisation's calendar day, [X4][X8]) as `YYYY-MM-DD`, or `undefined`.
 */
export function xeroDate(value: unknown): string | undefined {
  const iso = xeroTimeIso(value);
  return iso?.slice(0, 10);
}
