// Events → rows of the mirror tables (migrations/0001_ghl_mirror.sql).
//
// What the transformer accepts (also from the poller and the reconciler):
// a `SourceEventV1` with
// - `tenant`: the GHL location id, `entityId`: the record's GHL id;
// - `entity`: `contact` | `opportunity` | `pipeline` | `appointment` | `task`
//   | `note` (`app` events change nothing);
// - `payload`: the record, camelCase as GHL's API and webhooks send it. A
//   Marketplace appointment event nests it under `appointment`; a workflow
//   event (`type` `WorkflowWebhook`) is snake_case;
// - `type`: a name ending in `Delete` deletes the row (a tombstone: a later
//   update never brings it back); `TaskComplete` marks a task completed;
//   anything else upserts;
// - `version`: epoch ms (see `versionOf` in ghl-webhook.ts).
//
// Upserts write only the columns whose source field is present in the
// payload, so a thinner event (TaskCreate without `contactId` and `body`,
// [G11] #332) never blanks what an earlier one wrote. `raw` holds the record
// as GHL sent it last, minus blocked fields.
import {
  ConfigurationError,
  type FieldPoliciesV1,
  type FieldPolicyV1,
  mergeFieldPolicies,
  type SinkOperationV1,
  TransformError,
  type TransformerV1,
} from '@act/core';
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';
import { GHL_PACKAGE_NAME } from './ghl-error';
import { GHL_WORKFLOW_EVENT_TYPE, type GhlEntity, type GhlSourceEvent } from './ghl-events';

/** The mirror table of each entity. */
export const GHL_TABLES = {
  contact: 'ghl_contacts',
  opportunity: 'ghl_opportunities',
  pipeline: 'ghl_pipelines',
  appointment: 'ghl_appointments',
  task: 'ghl_tasks',
  note: 'ghl_notes',
} as const satisfies Record<Exclude<GhlEntity, 'app'>, string>;

export type GhlTable = (typeof GHL_TABLES)[keyof typeof GHL_TABLES];

/** Every mirror table's key columns, in order: `(location_id, id)`. */
export const GHL_KEY_COLUMNS = ['location_id', 'id'] as const;

/**
 * The connector's own field policies: nothing is blocked or preserved by
 * default. Users add theirs through `settings.fieldPolicies`, e.g.
 * `{ ghl_contacts: { blocked: ['date_of_birth'] }, ghl_opportunities: { preserved: ['pipeline_stage_id'] } }`.
 */
export const GHL_DEFAULT_FIELD_POLICIES: FieldPoliciesV1 = {};

export interface GhlTransformerOptions {
  /** The user's policies, merged with the defaults. */
  fieldPolicies?: FieldPoliciesV1;
  /**
   * Country for phone numbers written without `+<country code>` (ISO 3166-1
   * alpha-2, e.g. `US`, `AU`). Without it such numbers cannot be placed and
   * `phone` is `null` (the text stays in `phone_raw`).
   */
  defaultPhoneCountry?: string;
}

/** Keys GHL adds to a Marketplace delivery around the record; not part of the record in `raw`. */
const ENVELOPE_KEYS = ['type', 'webhookId', 'timestamp', 'appId', 'versionId'];

/** A column, the source fields it is read from (first present wins) and the conversion. */
interface ColumnSpec {
  column: string;
  fields: readonly string[];
  convert: (value: unknown, context: ConvertContext) => unknown;
}

interface ConvertContext {
  defaultPhoneCountry: CountryCode | undefined;
}

const col = (
  column: string,
  fields: string | readonly string[],
  convert: ColumnSpec['convert'] = asText,
): ColumnSpec => ({
  column,
  fields: typeof fields === 'string' ? [fields] : fields,
  convert,
});

const CONTACT_COLUMNS: readonly ColumnSpec[] = [
  col('first_name', 'firstName'),
  col('last_name', 'lastName'),
  col('name', 'name'),
  col('email', 'email', normaliseEmail),
  col('phone', 'phone', (value, context) => normalisePhone(value, context.defaultPhoneCountry)),
  col('phone_raw', 'phone'),
  col('company_name', 'companyName'),
  col('address1', 'address1'),
  col('city', 'city'),
  col('state', 'state'),
  col('postal_code', 'postalCode'),
  col('country', 'country'),
  col('website', 'website'),
  col('source', 'source'),
  col('dnd', 'dnd', asBoolean),
  col('dnd_settings', 'dndSettings', asJson),
  col('tags', 'tags', normaliseTags),
  col('assigned_to', 'assignedTo'),
  col('date_of_birth', 'dateOfBirth', asDate),
  col('custom_fields', 'customFields', asJson),
  col('date_added', 'dateAdded', asTimestamp),
  col('date_updated', 'dateUpdated', asTimestamp),
];

/** Workflow webhooks: snake_case (fact sheet A1.6), into the same contact columns. */
const WORKFLOW_CONTACT_COLUMNS: readonly ColumnSpec[] = [
  col('first_name', 'first_name'),
  col('last_name', 'last_name'),
  col('name', 'full_name'),
  col('email', 'email', normaliseEmail),
  col('phone', 'phone', (value, context) => normalisePhone(value, context.defaultPhoneCountry)),
  col('phone_raw', 'phone'),
  col('company_name', 'company_name'),
  col('address1', 'address1'),
  col('city', 'city'),
  col('state', 'state'),
  col('postal_code', 'postal_code'),
  col('country', 'country'),
  col('source', 'contact_source'),
  col('tags', 'tags', normaliseTags),
  col('date_added', 'date_created', asTimestamp),
];

const OPPORTUNITY_COLUMNS: readonly ColumnSpec[] = [
  col('name', 'name'),
  col('contact_id', 'contactId'),
  col('pipeline_id', 'pipelineId'),
  col('pipeline_stage_id', 'pipelineStageId'),
  col('status', 'status'),
  col('monetary_value', 'monetaryValue', asNumber),
  col('assigned_to', 'assignedTo'),
  col('source', 'source'),
  // Webhooks say dateAdded; the API's records say createdAt/updatedAt (fact sheet A3).
  col('date_added', ['dateAdded', 'createdAt'], asTimestamp),
  col('date_updated', ['dateUpdated', 'updatedAt'], asTimestamp),
  col('last_status_change_at', 'lastStatusChangeAt', asTimestamp),
  col('last_stage_change_at', 'lastStageChangeAt', asTimestamp),
];

const PIPELINE_COLUMNS: readonly ColumnSpec[] = [
  col('name', 'name'),
  col('stages', 'stages', asJson),
  col('date_added', ['dateAdded', 'createdAt'], asTimestamp),
  col('date_updated', ['dateUpdated', 'updatedAt'], asTimestamp),
];

const APPOINTMENT_COLUMNS: readonly ColumnSpec[] = [
  col('calendar_id', 'calendarId'),
  col('contact_id', 'contactId'),
  col('group_id', 'groupId'),
  col('title', 'title'),
  col('status', 'appointmentStatus'),
  col('assigned_user_id', 'assignedUserId'),
  col('users', 'users', asTextArray),
  col('notes', 'notes'),
  col('source', 'source'),
  col('address', 'address'),
  col('start_time', 'startTime', asTimestamp),
  col('end_time', 'endTime', asTimestamp),
  col('date_added', 'dateAdded', asTimestamp),
  col('date_updated', 'dateUpdated', asTimestamp),
];

const TASK_COLUMNS: readonly ColumnSpec[] = [
  col('title', 'title'),
  col('body', 'body'),
  col('contact_id', 'contactId'),
  col('assigned_to', 'assignedTo'),
  col('due_date', 'dueDate', asTimestamp),
  col('completed', 'completed', asBoolean),
  col('date_added', 'dateAdded', asTimestamp),
];

const NOTE_COLUMNS: readonly ColumnSpec[] = [
  col('body', 'body'),
  col('contact_id', 'contactId'),
  col('user_id', 'userId'),
  col('date_added', 'dateAdded', asTimestamp),
];

const COLUMNS: Readonly<Record<GhlTable, readonly ColumnSpec[]>> = {
  ghl_contacts: CONTACT_COLUMNS,
  ghl_opportunities: OPPORTUNITY_COLUMNS,
  ghl_pipelines: PIPELINE_COLUMNS,
  ghl_appointments: APPOINTMENT_COLUMNS,
  ghl_tasks: TASK_COLUMNS,
  ghl_notes: NOTE_COLUMNS,
};

/**
 * GHL records → rows keyed by `{ location_id, id }`. Pure. Field policies:
 * blocked columns are removed by the runtime; this also removes, from the row
 * and from `raw`, everything read from the same GHL field (block `phone` and
 * `phone_raw` and `raw.phone` go too; block `date_of_birth` and
 * `raw.dateOfBirth` goes). A policy may also name a GHL field directly
 * (`customFields`) to keep it out of `raw` and of every column read from it.
 *
 * @throws ConfigurationError for an unknown `defaultPhoneCountry`.
 */
export function createGhlTransformer(options: GhlTransformerOptions = {}): TransformerV1<GhlSourceEvent> {
  const fieldPolicies = mergeFieldPolicies(GHL_DEFAULT_FIELD_POLICIES, options.fieldPolicies);
  const country = options.defaultPhoneCountry?.trim().toUpperCase();
  if (country !== undefined && !isSupportedCountry(country)) {
    throw new ConfigurationError({
      packageName: GHL_PACKAGE_NAME,
      message: `defaultPhoneCountry ${JSON.stringify(options.defaultPhoneCountry)} is not an ISO 3166-1 alpha-2 country libphonenumber-js knows`,
    });
  }
  const context: ConvertContext = { defaultPhoneCountry: country as CountryCode | undefined };

  return {
    specificationVersion: 'v1',
    fieldPolicies,
    transform(event, transformContext) {
      if (event.entity === 'app') return [];
      const table = GHL_TABLES[event.entity as Exclude<GhlEntity, 'app'>] as GhlTable | undefined;
      if (!table) {
        throw new TransformError({
          packageName: GHL_PACKAGE_NAME,
          message: `event ${event.type} ${event.entityId} has an unknown entity ${JSON.stringify(event.entity)}`,
        });
      }
      const key = { location_id: event.tenant, id: event.entityId };
      const version = event.version !== undefined ? { version: event.version } : {};
      if (event.type.endsWith('Delete')) return [{ kind: 'delete', table, key, ...version }];

      const policy = (transformContext.fieldPolicies ?? fieldPolicies)[table];
      const workflow = event.type === GHL_WORKFLOW_EVENT_TYPE;
      const record = recordOf(event);
      const specs = workflow ? WORKFLOW_CONTACT_COLUMNS : COLUMNS[table];
      const blocked = blockedFields(specs, policy);

      const values: Record<string, unknown> = {};
      for (const spec of specs) {
        const field = spec.fields.find((name) => Object.hasOwn(record, name));
        if (field === undefined || blocked.has(field)) continue;
        values[spec.column] = spec.convert(record[field], context);
      }
      if (table === 'ghl_tasks' && event.type === 'TaskComplete') values.completed = true;
      // Workflow bodies are the user's own shape, not GHL's record: `raw` keeps the last record GHL sent.
      // Webhook-shaped payloads (Marketplace deliveries, and the poller's synthetic events, whose
      // `type` is the event name) carry envelope keys around the record: not part of `raw`.
      if (!workflow)
        values.raw = rawOf(record, event.origin === 'marketplace-webhook' || record.type === event.type, blocked);
      const operation: SinkOperationV1 = { kind: 'upsert', table, key, values, ...version };
      return [operation];
    },
  };
}

/** The record inside an event: the nested `appointment` of a Marketplace appointment event, else the payload. */
function recordOf(event: GhlSourceEvent): Readonly<Record<string, unknown>> {
  const payload = event.payload as Readonly<Record<string, unknown>>;
  if (event.entity === 'appointment' && isObject(payload.appointment)) return payload.appointment;
  return payload;
}

/**
 * The source fields a policy keeps out: the ones it names, plus the fields
 * behind every blocked column. The runtime drops the blocked columns
 * themselves; columns read from a blocked field (`phone_raw` when `phone` is
 * blocked) are left out here.
 */
function blockedFields(specs: readonly ColumnSpec[], policy: FieldPolicyV1 | undefined): ReadonlySet<string> {
  const blocked = new Set<string>(policy?.blocked ?? []);
  for (const spec of specs) if (blocked.has(spec.column)) for (const field of spec.fields) blocked.add(field);
  return blocked;
}

function rawOf(
  record: Readonly<Record<string, unknown>>,
  webhookShaped: boolean,
  blocked: ReadonlySet<string>,
): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(record)) {
    if (blocked.has(field) || (webhookShaped && ENVELOPE_KEYS.includes(field))) continue;
    raw[field] = value;
  }
  return raw;
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// ---------------------------------------------------------------------------
// Conversions: each returns a value its column's SQL type accepts, or null.
// Anything unreadable becomes null rather than failing the batch (a bad date
// would make Postgres refuse every row applied with it).

function asText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function asBoolean(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}

function asJson(value: unknown): unknown {
  return value === undefined ? null : value;
}

function asTextArray(value: unknown): string[] | null {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : null;
}

/** An instant as ISO 8601 UTC (`2023-09-25T10:30:00.000Z`), or null. One form whatever offset GHL used. */
function asTimestamp(value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** A calendar date (`2000-01-05`) from GHL's `dateOfBirth` (`2000-01-05T00:00:00.000Z`), or null. */
function asDate(value: unknown): string | null {
  const instant = asTimestamp(value);
  return instant ? instant.slice(0, 10) : null;
}

/** `"  JohnDeo@Gmail.COM "` → `"johndeo@gmail.com"`; blank → null. */
export function normaliseEmail(value: unknown): string | null {
  const trimmed = typeof value === 'string' ? value.trim().toLowerCase() : '';
  return trimmed === '' ? null : trimmed;
}

/**
 * Tags as a sorted set: trimmed, lower-cased, blanks and duplicates dropped.
 * GHL tags are labels matched without regard to case in its UI, and lower
 * case makes `'vip' = any(tags)` dependable and a reordered tag list no change
 * at all. The exact strings GHL sent stay in `raw.tags`. Accepts an array
 * (Marketplace events) or a comma-joined string (workflow webhooks, fact
 * sheet A1.6). Anything else → null.
 */
export function normaliseTags(value: unknown): string[] | null {
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

/**
 * A phone number in E.164 (`+919509597501`) when libphonenumber-js finds a
 * valid number, using `defaultCountry` for numbers without a country code;
 * otherwise null. The text as GHL sent it is always kept in `phone_raw`.
 */
export function normalisePhone(value: unknown, defaultCountry?: CountryCode): string | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const parsed = parsePhoneNumberFromString(value.trim(), defaultCountry);
  return parsed?.isValid() ? parsed.number : null;
}
