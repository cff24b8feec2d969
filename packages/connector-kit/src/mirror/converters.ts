// Column converters: where a mirror column is read from in the provider's
// record and how the value becomes one its SQL type accepts. Each returns
// null for anything unreadable rather than throwing: one bad date must not
// make Postgres refuse every row applied in the same batch.
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';

/** Settings a transformer passes to every converter (per deployment, not per table). */
export interface MirrorSettings {
  /** Country for phone numbers written without `+<country code>` (ISO 3166-1 alpha-2). */
  readonly defaultPhoneCountry?: string | undefined;
  /** A connector's own settings for its derived columns (Xero's project-code pattern). */
  readonly [setting: string]: unknown;
}

/** Turns a record's value into the column's value (`null`: unreadable). */
export type Convert = (value: unknown, settings: MirrorSettings) => unknown;

/** One mirror column: the record paths it is read from (first present wins) and the conversion. */
export interface MirrorColumn {
  /** Dotted paths split into keys: `'Contact.Name'` → `['Contact', 'Name']`. */
  readonly from: readonly (readonly string[])[];
  /** The SQL type the migration declares (`text`, `jsonb`, …), for documentation and drift checks. */
  readonly sqlType: string;
  readonly convert: Convert;
}

/** A record path, or several tried in order (`['dateAdded', 'createdAt']`); dots walk into nested objects. */
export type From = string | readonly string[];

/** A column read from `from` with any conversion: the building block of the named converters. */
export function column(from: From, convert: Convert, sqlType = 'text'): MirrorColumn {
  const paths = (typeof from === 'string' ? [from] : from).map((path) => Object.freeze(path.split('.')));
  return Object.freeze({ from: Object.freeze(paths), sqlType, convert });
}

export const toText = (value: unknown): string | null => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
};

export const toNumber = (value: unknown): number | null => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
};

/** An instant as ISO 8601 UTC (`2023-09-25T10:30:00.000Z`), or null: one form whatever offset the provider used. */
export const toTimestamp = (value: unknown): string | null => {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
};

/** `"  JohnDeo@Gmail.COM "` → `"johndeo@gmail.com"`; blank or not a string → null. */
export function normalizeEmail(value: unknown): string | null {
  const trimmed = typeof value === 'string' ? value.trim().toLowerCase() : '';
  return trimmed === '' ? null : trimmed;
}

/**
 * A phone number in E.164 (`+919509597501`) when libphonenumber-js finds a
 * valid number, using `defaultCountry` for numbers without a country code;
 * otherwise null (keep the text as sent in a separate column).
 */
export function normalizePhone(value: unknown, defaultCountry?: string): string | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const parsed = parsePhoneNumberFromString(value.trim(), defaultCountry as CountryCode | undefined);
  return parsed?.isValid() ? parsed.number : null;
}

/**
 * Labels as a sorted set: trimmed, lower-cased, blanks and duplicates
 * dropped, so `'vip' = any(tags)` is dependable and a reordered list is no
 * change. Accepts an array or a comma-joined string; anything else → null.
 */
export function normalizeTags(value: unknown): string[] | null {
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  if (!items) return null;
  const tags = new Set<string>();
  for (const item of items) {
    if (typeof item !== 'string') continue;
    const tag = item.trim().toLowerCase();
    if (tag !== '') tags.add(tag);
  }
  return [...tags].sort();
}

/** Text as sent (numbers and booleans as their text). */
export const text = (from: From): MirrorColumn => column(from, toText);
/** A finite number, or a numeric string. */
export const number = (from: From): MirrorColumn => column(from, toNumber, 'numeric');
/** A boolean; with `strings: true` also `"true"`/`"false"`. */
export const boolean = (from: From, options: { strings?: boolean } = {}): MirrorColumn =>
  column(
    from,
    (value) => {
      if (typeof value === 'boolean') return value;
      if (options.strings && (value === 'true' || value === 'false')) return value === 'true';
      return null;
    },
    'boolean',
  );
/** Any JSON value as sent (absent → null). */
export const json = (from: From): MirrorColumn =>
  column(from, (value) => (value === undefined ? null : value), 'jsonb');
/** The strings of an array (other items dropped), or null. */
export const textArray = (from: From): MirrorColumn =>
  column(
    from,
    (value) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : null),
    'text[]',
  );
/** An instant as ISO 8601 UTC; `parse` reads provider-specific forms (default `Date.parse`). */
export const timestamp = (
  from: From,
  parse: (value: unknown) => string | null | undefined = toTimestamp,
): MirrorColumn => column(from, (value) => parse(value) ?? null, 'timestamptz');
/** A calendar date `YYYY-MM-DD` (from a date or an instant), or null. */
export const date = (from: From, parse: (value: unknown) => string | null | undefined = toTimestamp): MirrorColumn =>
  column(from, (value) => parse(value)?.slice(0, 10) ?? null, 'date');
/** An email address trimmed and lower-cased (`normalizeEmail`). */
export const email = (from: From): MirrorColumn => column(from, normalizeEmail);
/** A phone number in E.164 (`normalizePhone` with the settings' `defaultPhoneCountry`). */
export const phone = (from: From): MirrorColumn =>
  column(from, (value, settings) => normalizePhone(value, settings.defaultPhoneCountry));
/** Labels as a sorted lower-case set (`normalizeTags`). */
export const tags = (from: From): MirrorColumn => column(from, normalizeTags, 'text[]');
