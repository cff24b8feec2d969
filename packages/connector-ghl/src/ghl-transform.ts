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
// https://github.com/GoHighLevel/highlevel-api-docs/issues/332) never blanks
// what an earlier one wrote. `raw` holds the record as GHL sent it last,
// minus blocked fields.

import {
  boolean,
  date,
  email,
  json,
  type MirrorRecord,
  type MirrorTable,
  type MirrorTableOptions,
  mirrorTable,
  mirrorTransformer,
  normalizePhone,
  normalizeTags,
  number,
  phone,
  tags,
  text,
  textArray,
  timestamp,
} from '@act/connector-kit';
import { ConfigurationError, type FieldPoliciesV1, type TransformerV1 } from '@act/core';
import { isSupportedCountry } from 'libphonenumber-js';
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

/** Keys GHL adds to a Marketplace delivery around the record; not part of the record in `raw`. */
const ENVELOPE_KEYS = ['type', 'webhookId', 'timestamp', 'appId', 'versionId'];

const table = (name: string, options: Partial<MirrorTableOptions<GhlSourceEvent>>): MirrorTable<GhlSourceEvent> =>
  mirrorTable<GhlSourceEvent>({
    table: name,
    keys: ['location_id', 'id'],
    columns: {},
    tombstone: (event) => event.type.endsWith('Delete'),
    // Webhook-shaped payloads (Marketplace deliveries, and the poller's synthetic events, whose
    // `type` is the event name) carry envelope keys around the record: not part of `raw`.
    raw: {
      omit: (record, event) =>
        event.origin === 'marketplace-webhook' || record.type === event.type ? ENVELOPE_KEYS : [],
    },
    ...options,
  });

/** The mirror table of each entity, declared once: transformer, reconcilers and migrations read them. */
export const GHL_MIRROR_TABLES = {
  contact: table(GHL_TABLES.contact, {
    columns: {
      first_name: text('firstName'),
      last_name: text('lastName'),
      name: text('name'),
      email: email('email'),
      phone: phone('phone'),
      phone_raw: text('phone'),
      company_name: text('companyName'),
      address1: text('address1'),
      city: text('city'),
      state: text('state'),
      postal_code: text('postalCode'),
      country: text('country'),
      website: text('website'),
      source: text('source'),
      dnd: boolean('dnd'),
      dnd_settings: json('dndSettings'),
      tags: tags('tags'),
      assigned_to: text('assignedTo'),
      date_of_birth: date('dateOfBirth'),
      custom_fields: json('customFields'),
      date_added: timestamp('dateAdded'),
      date_updated: timestamp('dateUpdated'),
    },
  }),
  opportunity: table(GHL_TABLES.opportunity, {
    columns: {
      name: text('name'),
      contact_id: text('contactId'),
      pipeline_id: text('pipelineId'),
      pipeline_stage_id: text('pipelineStageId'),
      status: text('status'),
      monetary_value: number('monetaryValue'),
      assigned_to: text('assignedTo'),
      source: text('source'),
      // Webhooks say dateAdded; the API's records say createdAt/updatedAt
      // (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/opportunities.json).
      date_added: timestamp(['dateAdded', 'createdAt']),
      date_updated: timestamp(['dateUpdated', 'updatedAt']),
      last_status_change_at: timestamp('lastStatusChangeAt'),
      last_stage_change_at: timestamp('lastStageChangeAt'),
    },
  }),
  pipeline: table(GHL_TABLES.pipeline, {
    columns: {
      name: text('name'),
      stages: json('stages'),
      date_added: timestamp(['dateAdded', 'createdAt']),
      date_updated: timestamp(['dateUpdated', 'updatedAt']),
    },
  }),
  appointment: table(GHL_TABLES.appointment, {
    // A Marketplace appointment event nests the record under `appointment`.
    record: (event) => {
      const payload = event.payload as MirrorRecord;
      return isObject(payload.appointment) ? payload.appointment : payload;
    },
    columns: {
      calendar_id: text('calendarId'),
      contact_id: text('contactId'),
      group_id: text('groupId'),
      title: text('title'),
      status: text('appointmentStatus'),
      assigned_user_id: text('assignedUserId'),
      users: textArray('users'),
      notes: text('notes'),
      source: text('source'),
      address: text('address'),
      start_time: timestamp('startTime'),
      end_time: timestamp('endTime'),
      date_added: timestamp('dateAdded'),
      date_updated: timestamp('dateUpdated'),
    },
  }),
  task: table(GHL_TABLES.task, {
    columns: {
      title: text('title'),
      body: text('body'),
      contact_id: text('contactId'),
      assigned_to: text('assignedTo'),
      due_date: timestamp('dueDate'),
      completed: boolean('completed'),
      date_added: timestamp('dateAdded'),
    },
    derived: { completed: (_record, { event }) => (event.type === 'TaskComplete' ? true : undefined) },
  }),
  note: table(GHL_TABLES.note, {
    columns: {
      body: text('body'),
      contact_id: text('contactId'),
      user_id: text('userId'),
      date_added: timestamp('dateAdded'),
    },
  }),
} as const satisfies Record<Exclude<GhlEntity, 'app'>, MirrorTable<GhlSourceEvent>>;

/**
 * Workflow webhooks: the user's own snake_case body
 * (https://help.leadconnectorhq.com/support/solutions/articles/48001238168),
 * into the same contact columns. No `raw`: it keeps the last record GHL sent.
 */
const WORKFLOW_CONTACTS = table(GHL_TABLES.contact, {
  raw: false,
  columns: {
    first_name: text('first_name'),
    last_name: text('last_name'),
    name: text('full_name'),
    email: email('email'),
    phone: phone('phone'),
    phone_raw: text('phone'),
    company_name: text('company_name'),
    address1: text('address1'),
    city: text('city'),
    state: text('state'),
    postal_code: text('postal_code'),
    country: text('country'),
    source: text('contact_source'),
    tags: tags('tags'),
    date_added: timestamp('date_created'),
  },
});

export type GhlTable = (typeof GHL_TABLES)[keyof typeof GHL_TABLES];

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
  const country = options.defaultPhoneCountry?.trim().toUpperCase();
  if (country !== undefined && !isSupportedCountry(country)) {
    throw new ConfigurationError({
      packageName: GHL_PACKAGE_NAME,
      message: `defaultPhoneCountry ${JSON.stringify(options.defaultPhoneCountry)} is not an ISO 3166-1 alpha-2 country libphonenumber-js knows`,
    });
  }
  return mirrorTransformer<GhlSourceEvent>({
    packageName: GHL_PACKAGE_NAME,
    tables: [...Object.values(GHL_MIRROR_TABLES), WORKFLOW_CONTACTS],
    fieldPolicies: options.fieldPolicies,
    settings: { defaultPhoneCountry: country },
    route(event) {
      if (event.entity === 'app') return null;
      if (event.type === GHL_WORKFLOW_EVENT_TYPE) return WORKFLOW_CONTACTS;
      return (GHL_MIRROR_TABLES as Record<string, MirrorTable<GhlSourceEvent> | undefined>)[event.entity];
    },
  });
}

function isObject(value: unknown): value is MirrorRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Tags as a sorted lower-case set (the exact strings GHL sent stay in `raw.tags`); see `normalizeTags`. */
export const normaliseTags = normalizeTags;

/** A phone number in E.164, or null (the text as GHL sent it is kept in `phone_raw`); see `normalizePhone`. */
export const normalisePhone = normalizePhone;
