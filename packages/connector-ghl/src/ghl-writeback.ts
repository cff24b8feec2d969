/**
 * Write-back: local contact changes → GoHighLevel, under the user's
 * blocked-fields policy (the "storytellers → GHL" flow, two-way contact sync).
 *
 * ```ts
 * createGhlWriter(options: GhlWriterOptions): GhlWriter
 *
 * interface GhlWriterOptions {
 *   client: Pick<GhlClient, 'upsertContact'>;
 *   fieldPolicies?: FieldPoliciesV1;   // `{ ghl_contacts: { blocked: ['date_of_birth', 'tribal_affiliation'] } }`
 *   mirror: GhlContactMirror;          // reads the mirror row: `findContact(tenant, { id?, email?, phone? })`
 *   table?: string;                    // whose policy applies; default 'ghl_contacts'
 *   defaultCountry?: CountryCode;      // for phones without a +country prefix
 *   logger?: Logger;
 * }
 * interface GhlWriter {
 *   upsertContact(tenant: string, change: GhlContactChange, options?: { signal?: AbortSignal }): Promise<GhlWriteResult>;
 * }
 * ```
 *
 * Rules, in the order they apply:
 * 1. **Blocked fields never leave.** Before anything else, every field the
 *    policy of `table` blocks is removed with `@act/core`'s `stripBlockedFields`,
 *    matched as written and in its camelCase/snake_case twin (`date_of_birth`
 *    also blocks `dateOfBirth`), and custom fields whose `id` or `key` is
 *    blocked are removed from `customFields`. The body is checked once more
 *    right before the request; a blocked name still in it is a bug and
 *    throws instead of sending. Only field names are reported, never values.
 * 2. **No echo.** A change whose `origin` is `'ghl'` (it was written by the
 *    mirror sync itself) is never sent. Neither is a change whose fields all
 *    equal the mirror's row for that contact (emails compared lower-case,
 *    phones as E.164, tags as sets): that is GHL's own data coming back.
 * 3. **Latest write wins.** When the mirror holds the contact at a version
 *    (epoch ms of GHL's `dateUpdated`) at or after the local `changedAt`, GHL
 *    has the newer data: the change is skipped as `stale`. That includes a
 *    contact deleted in GHL (a tombstone): only a later local change recreates it.
 * 4. **Natural key.** `POST /contacts/upsert` finds the contact by email
 *    and/or phone, in the order of the location's "Allow Duplicate Contact"
 *    setting, and updates it or creates one (`upsert-contact` in
 *    https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/contacts.json).
 *    A change with neither (after stripping) is skipped: it would create a
 *    duplicate on every write. When the mirror has the contact, only the
 *    fields that differ from it are sent (plus the natural key), so a write
 *    does not overwrite fields someone changed in GHL meanwhile.
 *
 * After a write, GHL sends a `ContactUpdate` webhook; the mirror applies it
 * like any other (its version is newer than `changedAt`), and a local
 * trigger seeing that row change must mark it `origin: 'ghl'` (rule 2).
 */
import { normalizeEmail as kitNormalizeEmail } from '@act/connector-kit';
import { ActError, type FieldPoliciesV1, type FieldPolicyV1, type Logger, noopLogger } from '@act/core';
import { canonicalJson, mergeFieldPolicies, stripBlockedFields } from '@act/core/internal';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { GhlClient } from './ghl-client';
import { GHL_PACKAGE_NAME, GHL_SOURCE } from './ghl-error';

/** A local change to one contact. */
export interface GhlContactChange {
  /**
   * The contact's fields as `POST /contacts/upsert` names them (camelCase:
   * `firstName`, `email`, `phone`, `tags`, `customFields: [{ id | key, field_value }]` …).
   */
  fields: Readonly<Record<string, unknown>>;
  /** When the change was made locally, epoch ms: compared with the mirror's version. */
  changedAt: number;
  /** `'ghl'` when the change was written by the mirror sync (never sent back). Default `'local'`. */
  origin?: 'local' | 'ghl';
  /** The GHL contact id, when the local record is linked to one (used to find the mirror row). */
  contactId?: string;
}

/** A contact as the mirror holds it, with GHL's field names. */
export interface GhlMirrorContact {
  id: string;
  /** The row's version: epoch ms of GHL's `dateUpdated` (the mirror's `_version`). */
  version: number | null | undefined;
  /** Field values, named as the API names them (camelCase). */
  fields: Readonly<Record<string, unknown>>;
  /** Tombstoned in the mirror (deleted in GHL). */
  deleted?: boolean;
}

/** How the writer reads the mirror. */
export interface GhlContactMirror {
  /**
   * The mirror's contact for this change: by `id` when given, else by email
   * (lower-case) or phone (E.164). `null` when the mirror has none.
   */
  findContact(tenant: string, key: { id?: string; email?: string; phone?: string }): Promise<GhlMirrorContact | null>;
}

export interface GhlWriterOptions {
  client: Pick<GhlClient, 'upsertContact'>;
  /** Field policies by mirror table; the writer applies `table`'s blocked list. */
  fieldPolicies?: FieldPoliciesV1;
  mirror: GhlContactMirror;
  /** Whose policy applies. Default `ghl_contacts`. */
  table?: string;
  /** Country for phone numbers written without `+<country code>`. */
  defaultCountry?: CountryCode;
  logger?: Logger;
}

export type GhlWriteSkipReason = 'echo' | 'stale' | 'unchanged' | 'no-natural-key';

export type GhlWriteResult =
  | {
      outcome: 'created' | 'updated';
      contactId: string | undefined;
      /** Field names removed by the policy (never their values). */
      removedFields: string[];
      /** The field names that were sent. */
      sentFields: string[];
    }
  | {
      outcome: 'skipped';
      reason: GhlWriteSkipReason;
      contactId: string | undefined;
      removedFields: string[];
    };

export interface GhlWriter {
  upsertContact(tenant: string, change: GhlContactChange, options?: { signal?: AbortSignal }): Promise<GhlWriteResult>;
  /**
   * The fields without those the policy blocks (rule 1), for a change about
   * to be stored (an outbox message) so blocked values never reach a table.
   */
  stripBlockedFields?(fields: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

/** Create the contact writer. See the module comment for its rules. */
export function createGhlWriter(options: GhlWriterOptions): GhlWriter {
  const table = options.table ?? 'ghl_contacts';
  const logger = options.logger ?? noopLogger;
  const policy = mergeFieldPolicies(options.fieldPolicies)[table];
  const blocked = blockedNames(policy);
  const expandedPolicy: FieldPolicyV1 = { blocked: [...blocked] };

  return {
    stripBlockedFields: (fields) => stripContact(fields, expandedPolicy, blocked).fields,
    async upsertContact(tenant, change, { signal } = {}) {
      // 1. Blocked fields go first, before anything can read or send them.
      const { fields, removed } = stripContact(change.fields, expandedPolicy, blocked);
      const skip = (reason: GhlWriteSkipReason, contactId: string | undefined): GhlWriteResult => {
        logger.debug({ source: GHL_SOURCE, tenant, reason, contactId }, `[${GHL_PACKAGE_NAME}] contact write skipped`);
        return { outcome: 'skipped', reason, contactId, removedFields: removed };
      };

      // 2a. Changes the sync itself made are never sent back.
      if (change.origin === 'ghl') return skip('echo', change.contactId);

      const email = normalizeEmail(fields.email);
      const phone = normalizePhone(fields.phone, options.defaultCountry);
      if (!email && !phone) return skip('no-natural-key', change.contactId);

      const row = await options.mirror.findContact(tenant, {
        ...(change.contactId ? { id: change.contactId } : {}),
        ...(email ? { email } : {}),
        ...(phone ? { phone } : {}),
      });

      let body: Record<string, unknown> = fields;
      if (row) {
        // 3. Latest write wins: GHL's version at or after the local change wins.
        if (typeof row.version === 'number' && row.version >= change.changedAt) return skip('stale', row.id);
      }
      if (row && !row.deleted) {
        // 2b. Only what differs from the mirror; nothing at all is an echo of GHL's data.
        const differing = Object.keys(fields).filter(
          (name) => !sameValue(name, fields[name], row.fields[name], options.defaultCountry),
        );
        if (differing.length === 0) return skip('unchanged', row.id);
        body = Object.fromEntries(differing.map((name) => [name, fields[name]]));
        // The natural key must travel with the change so the upsert finds the contact.
        if (fields.email !== undefined) body.email = fields.email;
        if (fields.phone !== undefined) body.phone = fields.phone;
      }

      assertNothingBlocked(body, blocked);
      const response = await options.client.upsertContact(tenant, body, signal ? { signal } : {});
      const contactId = response.contact?.id ?? row?.id;
      return {
        outcome: response.new ? 'created' : 'updated',
        contactId,
        removedFields: removed,
        sentFields: Object.keys(body),
      };
    },
  };
}

// ---------------------------------------------------------------------------
// Field policy

const toCamel = (name: string) => name.replace(/[_-]+([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
const toSnake = (name: string) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase();

/** The policy's blocked names, each also in its camelCase and snake_case form. */
function blockedNames(policy: FieldPolicyV1 | undefined): Set<string> {
  const names = new Set<string>();
  for (const name of policy?.blocked ?? []) {
    names.add(name);
    names.add(toCamel(name));
    names.add(toSnake(name));
  }
  return names;
}

/** A custom field entry is blocked when its id or key (with or without `contact.`) is. */
function isBlockedCustomField(entry: unknown, blocked: Set<string>): boolean {
  if (!entry || typeof entry !== 'object') return false;
  const { id, key } = entry as { id?: unknown; key?: unknown };
  for (const value of [id, key]) {
    if (typeof value !== 'string') continue;
    const bare = value.replace(/^contact\./, '');
    if (blocked.has(value) || blocked.has(bare) || blocked.has(toCamel(bare)) || blocked.has(toSnake(bare)))
      return true;
  }
  return false;
}

function stripContact(
  input: Readonly<Record<string, unknown>>,
  policy: FieldPolicyV1,
  blocked: Set<string>,
): { fields: Record<string, unknown>; removed: string[] } {
  const removed = Object.keys(input).filter((name) => blocked.has(name));
  const fields = stripBlockedFields({ ...input }, policy) as Record<string, unknown>;
  if (Array.isArray(fields.customFields)) {
    const kept = fields.customFields.filter((entry) => {
      if (!isBlockedCustomField(entry, blocked)) return true;
      const { id, key } = entry as { id?: unknown; key?: unknown };
      removed.push(`customFields.${String(key ?? id)}`);
      return false;
    });
    if (kept.length) fields.customFields = kept;
    else delete fields.customFields;
  }
  return { fields, removed };
}

/** The last guard before the request: a blocked name must not be in the body, at any depth of `customFields`. */
function assertNothingBlocked(body: Record<string, unknown>, blocked: Set<string>): void {
  const leaked = Object.keys(body).filter((name) => blocked.has(name));
  if (Array.isArray(body.customFields)) {
    for (const entry of body.customFields) if (isBlockedCustomField(entry, blocked)) leaked.push('customFields');
  }
  if (leaked.length) {
    throw new ActError({
      packageName: GHL_PACKAGE_NAME,
      errorClass: 'validation',
      message: `refusing to send blocked field(s) ${leaked.join(', ')} to GHL`,
    });
  }
}

// ---------------------------------------------------------------------------
// Comparison with the mirror

/** The kit's `normalizeEmail` (the mirror's `email` column is written with it), `undefined` for none. */
function normalizeEmail(value: unknown): string | undefined {
  return kitNormalizeEmail(value) ?? undefined;
}

function normalizePhone(value: unknown, country: CountryCode | undefined): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const parsed = parsePhoneNumberFromString(value, country);
  return parsed?.isValid() ? parsed.number : value.trim();
}

function sameValue(name: string, local: unknown, mirrored: unknown, country: CountryCode | undefined): boolean {
  if (name === 'email') return normalizeEmail(local) === normalizeEmail(mirrored);
  if (name === 'phone') return normalizePhone(local, country) === normalizePhone(mirrored, country);
  if (name === 'tags' && Array.isArray(local) && Array.isArray(mirrored)) {
    const a = new Set(local.map((tag) => String(tag).trim().toLowerCase()));
    const b = new Set(mirrored.map((tag) => String(tag).trim().toLowerCase()));
    return a.size === b.size && [...a].every((tag) => b.has(tag));
  }
  if ((local ?? null) === null && (mirrored ?? null) === null) return true;
  return canonicalJson(local) === canonicalJson(mirrored);
}

/**
 * A mirror row (as `SELECT *` returns it from the contacts mirror table) as a
 * `GhlMirrorContact`: `_version` is the version, `_deleted_at` the tombstone,
 * a `raw` JSON column (the API record) is read first and the typed columns,
 * snake_case, are laid over it in camelCase. For `GhlContactMirror` adapters.
 */
export function ghlMirrorContactFromRow(row: Readonly<Record<string, unknown>>): GhlMirrorContact {
  const raw =
    row.raw && typeof row.raw === 'object' && !Array.isArray(row.raw) ? (row.raw as Record<string, unknown>) : {};
  const fields: Record<string, unknown> = { ...raw };
  for (const [column, value] of Object.entries(row)) {
    if (column.startsWith('_') || column === 'raw' || column === 'location_id') continue;
    fields[toCamel(column)] = value;
  }
  const version = row._version === null || row._version === undefined ? null : Number(row._version);
  return {
    id: String(row.id),
    version: Number.isFinite(version) ? version : null,
    fields,
    deleted: row._deleted_at !== null && row._deleted_at !== undefined,
  };
}
