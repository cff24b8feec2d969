import {
  column,
  type MirrorRecord,
  type MirrorTransformer,
  mirrorTable,
  mirrorTransformer,
  number,
  text,
  textArray,
} from '@act/connector-kit';
import type { FieldPoliciesV1 } from '@act/core';
import emailAddresses from 'email-addresses';
import type { GmailMessagePart, GmailSourceEvent } from './gmail-events';
import { GMAIL_PACKAGE_NAME } from './google-settings';

/**
 * `gmail_messages`, one row per message and mailbox, keyed (mailbox, id).
 * Columns read the message as `messages.get` returns it [G5]; the address
 * columns parse the From/To/Cc headers (so `format=raw`, which has no parsed
 * headers, leaves them unset). `raw` keeps the message without its bodies
 * (`raw` and every part's `body.data`): a mailbox's bodies would dwarf the
 * rest of the mirror, and the event handlers still see them.
 */
export const GMAIL_MESSAGES = mirrorTable<GmailSourceEvent>({
  table: 'gmail_messages',
  keys: ['mailbox', 'id'],
  columns: {
    thread_id: text('threadId'),
    history_id: text('historyId'),
    label_ids: textArray('labelIds'),
    snippet: text('snippet'),
    // [G5] `internalDate`: ms since the epoch, as a string, when Gmail received the message.
    internal_date: column('internalDate', internalDateIso, 'timestamptz'),
    size_estimate: number('sizeEstimate'),
  },
  derived: {
    subject: (record) => headerValues(record, 'Subject')?.[0] ?? (hasHeaders(record) ? null : undefined),
    from_addresses: (record) => addressColumn(record, 'From'),
    to_addresses: (record) => addressColumn(record, 'To'),
    cc_addresses: (record) => addressColumn(record, 'Cc'),
  },
  record: (event) => withoutBodies(event.payload as unknown as MirrorRecord),
  tombstone: (event) => event.type === 'message.deleted',
});

/** Gmail messages → rows of `gmail_messages`. Pure. */
export function createGmailTransformer(
  options: { fieldPolicies?: FieldPoliciesV1 } = {},
): MirrorTransformer<GmailSourceEvent> {
  return mirrorTransformer({
    packageName: GMAIL_PACKAGE_NAME,
    tables: [GMAIL_MESSAGES],
    fieldPolicies: options.fieldPolicies,
    route: (event) => (event.entity === 'message' ? GMAIL_MESSAGES : undefined),
  });
}

function internalDateIso(value: unknown): string | null {
  const ms = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : typeof value === 'number' ? value : NaN;
  if (!Number.isSafeInteger(ms)) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function hasHeaders(record: MirrorRecord): boolean {
  const payload = record.payload as GmailMessagePart | null | undefined;
  return Array.isArray(payload?.headers);
}

/** Every value of a header (names are case-insensitive, RFC 5322 §1.2.2), or `undefined` without headers. */
function headerValues(record: MirrorRecord, name: string): string[] | undefined {
  const payload = record.payload as GmailMessagePart | null | undefined;
  if (!Array.isArray(payload?.headers)) return undefined;
  const wanted = name.toLowerCase();
  return payload.headers
    .filter((header) => header.name.toLowerCase() === wanted && typeof header.value === 'string')
    .map((header) => header.value as string);
}

/** Bare lower-case addresses of a header; `[]` when the fetched headers lack it; unset when none were fetched. */
function addressColumn(record: MirrorRecord, name: string): string[] | undefined {
  const values = headerValues(record, name);
  if (values === undefined) return undefined;
  return [...new Set(values.flatMap(parseAddresses))];
}

/**
 * The bare addresses of an RFC 5322 address list (`"Doe, Jane" <Jane@Example.com>,
 * team: a@b.co, c@d.co;`), lower-cased, with group members flattened. Parsed by
 * `email-addresses` (an RFC 5322 grammar); a header it refuses (real mail is
 * not always well formed) falls back to the `local@domain` tokens it holds.
 */
export function parseAddresses(header: string): string[] {
  const parsed = emailAddresses.parseAddressList({ input: header, rfc6532: true });
  const found = parsed
    ? parsed.flatMap((entry) => (entry.type === 'group' ? entry.addresses : [entry])).map((mailbox) => mailbox.address)
    : (header.match(/[^\s<>,;:"()[\]]+@[^\s<>,;:"()[\]]+/g) ?? []);
  return found.map((address) => address.trim().toLowerCase()).filter((address) => address.includes('@'));
}

/** The message without its bodies (`raw`, each part's `body.data`): what the row's `raw` keeps. */
function withoutBodies(message: MirrorRecord): MirrorRecord {
  if (!message || typeof message !== 'object') return message;
  const { raw: _raw, ...rest } = message as Record<string, unknown>;
  const payload = rest.payload as GmailMessagePart | null | undefined;
  return payload && typeof payload === 'object' ? { ...rest, payload: stripPart(payload) } : rest;
}

function stripPart(part: GmailMessagePart): GmailMessagePart {
  const { body, parts, ...rest } = part;
  const stripped: GmailMessagePart = { ...rest };
  if (body && typeof body === 'object') {
    const { data: _data, ...bodyRest } = body;
    stripped.body = bodyRest;
  }
  if (Array.isArray(parts)) stripped.parts = parts.map(stripPart);
  return stripped;
}
