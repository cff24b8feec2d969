import type { SourceEventV1 } from '@act/core';
import { z } from 'zod';

// GoHighLevel Marketplace webhook payloads, from the event pages of the
// official docs repo, https://github.com/GoHighLevel/highlevel-api-docs/tree/main/docs/webhook%20events
// ([G2] in shared/providers/ghl-xero.md; each sample is in test/fixtures/).
//
// Envelope facts (fact sheet A2 "Envelope facts"):
// - the payload is flat: `type`, `locationId`, then the entity's fields at the
//   top level, `id` being the entity id; appointments nest theirs under
//   `appointment`;
// - real deliveries add `timestamp` (ISO 8601) and `webhookId`
//   (docs/oauth/WebhookAuthentication.md [G1]) and `appId`/`versionId`
//   ([G11] #264, #224), none of which the per-event examples show;
// - invoices and orders name the location with `altId` + `altType: "location"`.
//
// Schemas are internal; the inferred types are public. Only what the mirror
// cannot work without is required (the entity id); every other field is
// `.nullish()` and unknown fields are kept (`looseObject`), because GHL
// drops documented fields (TaskCreate without `contactId`/`body`, [G11] #332)
// and sends undocumented ones. A delivery a schema refuses is answered 400,
// which GHL never retries (fact sheet A1.4), so strictness here loses data.

/** Contact events the mirror applies. */
export const GHL_CONTACT_EVENT_TYPES = [
  'ContactCreate',
  'ContactUpdate',
  'ContactDelete',
  'ContactTagUpdate',
  'ContactDndUpdate',
] as const;
/** Opportunity events. Changes arrive in pairs with an `OpportunityUpdate` ([G11] #27). */
export const GHL_OPPORTUNITY_EVENT_TYPES = [
  'OpportunityCreate',
  'OpportunityUpdate',
  'OpportunityDelete',
  'OpportunityStatusUpdate',
  'OpportunityStageUpdate',
  'OpportunityMonetaryValueUpdate',
  'OpportunityAssignedToUpdate',
] as const;
export const GHL_APPOINTMENT_EVENT_TYPES = ['AppointmentCreate', 'AppointmentUpdate', 'AppointmentDelete'] as const;
export const GHL_TASK_EVENT_TYPES = ['TaskCreate', 'TaskComplete', 'TaskDelete'] as const;
export const GHL_NOTE_EVENT_TYPES = ['NoteCreate', 'NoteUpdate', 'NoteDelete'] as const;
/** App lifecycle: sent only to the app's "Default Webhook URL" [G8 README]. Nothing is mirrored; handlers see them. */
export const GHL_APP_EVENT_TYPES = ['INSTALL', 'UNINSTALL'] as const;
/**
 * This connector's name for a workflow ("custom") webhook delivery. GHL gives
 * those no `type` at all (fact sheet A1.6); they map to a contact upsert.
 */
export const GHL_WORKFLOW_EVENT_TYPE = 'WorkflowWebhook';

/** Every event type this connector understands. Anything else is stored and acknowledged, then ignored. */
export const GHL_EVENT_TYPES = [
  ...GHL_CONTACT_EVENT_TYPES,
  ...GHL_OPPORTUNITY_EVENT_TYPES,
  ...GHL_APPOINTMENT_EVENT_TYPES,
  ...GHL_TASK_EVENT_TYPES,
  ...GHL_NOTE_EVENT_TYPES,
  ...GHL_APP_EVENT_TYPES,
  GHL_WORKFLOW_EVENT_TYPE,
] as const;

export type GhlContactEventType = (typeof GHL_CONTACT_EVENT_TYPES)[number];
export type GhlOpportunityEventType = (typeof GHL_OPPORTUNITY_EVENT_TYPES)[number];
export type GhlAppointmentEventType = (typeof GHL_APPOINTMENT_EVENT_TYPES)[number];
export type GhlTaskEventType = (typeof GHL_TASK_EVENT_TYPES)[number];
export type GhlNoteEventType = (typeof GHL_NOTE_EVENT_TYPES)[number];
export type GhlAppEventType = (typeof GHL_APP_EVENT_TYPES)[number];
export type GhlWorkflowEventType = typeof GHL_WORKFLOW_EVENT_TYPE;
/** The event names `connector.on(…)` accepts. */
export type GhlEventType = (typeof GHL_EVENT_TYPES)[number];

/** What a mirror row (or an app event) is about: `SourceEventV1.entity`. */
export type GhlEntity = 'contact' | 'opportunity' | 'pipeline' | 'appointment' | 'task' | 'note' | 'app';

// ---------------------------------------------------------------------------
// Shared pieces

const text = z.string().nullish();

/** Fields GHL adds to every delivery; see the header comment. */
const envelopeShape = {
  locationId: text,
  /** ISO 8601, when GHL sent the delivery [G1]. The replay check and, where the record has no `dateUpdated`, the version. */
  timestamp: text,
  /** Delivery id, the same on every retry [G1]; the inbox dedupes on it. */
  webhookId: text,
  appId: text,
  versionId: text,
};

/** One custom field value: `{ id, value }`, value of any JSON type (ContactDndUpdate.md's schema). */
const customFieldSchema = z.looseObject({ id: z.string().nullish(), value: z.unknown().optional() });

// ---------------------------------------------------------------------------
// Contacts: docs/webhook events/ContactCreate.md (and …Update, …Delete,
// …TagUpdate, …DndUpdate: the same shape, ContactDndUpdate adding
// `dndSettings`). ContactDelete carries the last snapshot.

const contactShape = {
  id: z.string().min(1),
  address1: text,
  city: text,
  state: text,
  companyName: text,
  country: text,
  source: text,
  dateAdded: text,
  /** Not in the webhook examples (fact sheet A3: "payloads carry dateAdded but no dateUpdated"); read when present. */
  dateUpdated: text,
  dateOfBirth: text,
  dnd: z.boolean().nullish(),
  /** Per channel (`SMS`, `Email`, `GMB`, `FB`, `WhatsApp`, `Call`): `{ status, message, code }` (ContactDndUpdate.md). */
  dndSettings: z.record(z.string(), z.unknown()).nullish(),
  email: text,
  name: text,
  firstName: text,
  lastName: text,
  phone: text,
  postalCode: text,
  tags: z.array(z.string()).nullish(),
  website: text,
  attachments: z.array(z.unknown()).nullish(),
  assignedTo: text,
  customFields: z.array(customFieldSchema).nullish(),
};
const contactPayloadSchema = z.looseObject({ ...envelopeShape, ...contactShape });

// ---------------------------------------------------------------------------
// Opportunities: docs/webhook events/OpportunityCreate.md (every opportunity
// event has this shape). No `dateUpdated` in webhooks; the API's records have
// `createdAt`/`updatedAt` (fact sheet A3), read when present.

const opportunityShape = {
  id: z.string().min(1),
  assignedTo: text,
  contactId: text,
  monetaryValue: z.number().nullish(),
  name: text,
  pipelineId: text,
  pipelineStageId: text,
  source: text,
  /** `open`, `won`, `lost`, `abandoned` (opportunities search `status` filter [G5]). */
  status: text,
  dateAdded: text,
  dateUpdated: text,
};
const opportunityPayloadSchema = z.looseObject({ ...envelopeShape, ...opportunityShape });

// ---------------------------------------------------------------------------
// Appointments: docs/webhook events/AppointmentCreate.md; the record is
// nested under `appointment` and, unlike every other family, has `dateUpdated`.

const appointmentRecordSchema = z.looseObject({
  id: z.string().min(1),
  address: text,
  title: text,
  calendarId: text,
  contactId: text,
  groupId: text,
  appointmentStatus: text,
  assignedUserId: text,
  users: z.array(z.string()).nullish(),
  notes: text,
  source: text,
  startTime: text,
  endTime: text,
  dateAdded: text,
  dateUpdated: text,
});
const appointmentPayloadSchema = z.looseObject({ ...envelopeShape, appointment: appointmentRecordSchema });

// ---------------------------------------------------------------------------
// Tasks: docs/webhook events/TaskCreate.md, TaskComplete.md, TaskDelete.md.
// Real TaskCreate deliveries omit `contactId` and `body` ([G11] #332).

const taskShape = {
  id: z.string().min(1),
  assignedTo: text,
  body: text,
  contactId: text,
  title: text,
  dateAdded: text,
  dueDate: text,
  /** Not in the examples; the API's task has it. TaskComplete implies `true`. */
  completed: z.boolean().nullish(),
};
const taskPayloadSchema = z.looseObject({ ...envelopeShape, ...taskShape });

// ---------------------------------------------------------------------------
// Notes: docs/webhook events/NoteCreate.md, NoteUpdate.md, NoteDelete.md.

const noteShape = {
  id: z.string().min(1),
  body: text,
  contactId: text,
  dateAdded: text,
};
const notePayloadSchema = z.looseObject({ ...envelopeShape, ...noteShape });

// ---------------------------------------------------------------------------
// App lifecycle: docs/webhook events/AppInstall.md (location, white-label and
// agency-level examples) and AppUninstall.md (location or company). Bulk
// installs carry `locationIds` (SDK `InstallWebhookRequest` [G8]).

const appInstallPayloadSchema = z.looseObject({
  ...envelopeShape,
  appId: z.string().min(1),
  companyId: text,
  userId: text,
  planId: text,
  installType: text,
  locationIds: z.array(z.string()).nullish(),
  trial: z.looseObject({}).nullish(),
  isWhitelabelCompany: z.boolean().nullish(),
  whitelabelDetails: z.looseObject({}).nullish(),
  companyName: text,
});
const appUninstallPayloadSchema = z.looseObject({
  ...envelopeShape,
  appId: z.string().min(1),
  companyId: text,
});

// ---------------------------------------------------------------------------
// Workflow ("custom") webhooks: the default "Webhook" workflow action's body,
// snake_case, with the location nested (fact sheet A1.6, structure from
// [G18]; help article https://help.leadconnectorhq.com/support/solutions/articles/48001238168 [G12]).
// The user can reshape the body, so everything but the two ids is optional.

const workflowPayloadSchema = z.looseObject({
  contact_id: z.string().min(1),
  location: z.looseObject({ id: z.string().min(1), name: text }),
  first_name: text,
  last_name: text,
  full_name: text,
  email: text,
  phone: text,
  /** A comma-joined string here, an array in Marketplace events (fact sheet A4.6). */
  tags: z.union([z.string(), z.array(z.string())]).nullish(),
  address1: text,
  city: text,
  state: text,
  country: text,
  postal_code: text,
  company_name: text,
  date_created: text,
  contact_source: text,
  contact_type: text,
  workflow: z.looseObject({ id: text, name: text }).nullish(),
});

/** Internal: the schema per family, used by the webhook parser. */
export const ghlPayloadSchemas = {
  contact: contactPayloadSchema,
  opportunity: opportunityPayloadSchema,
  appointment: appointmentPayloadSchema,
  task: taskPayloadSchema,
  note: notePayloadSchema,
  INSTALL: appInstallPayloadSchema,
  UNINSTALL: appUninstallPayloadSchema,
  workflow: workflowPayloadSchema,
} as const;

// ---------------------------------------------------------------------------
// Public types

/** A contact as Marketplace contact events carry it (envelope fields included). */
export type GhlContactPayload = z.infer<typeof contactPayloadSchema>;
export type GhlOpportunityPayload = z.infer<typeof opportunityPayloadSchema>;
export type GhlAppointmentRecord = z.infer<typeof appointmentRecordSchema>;
export type GhlAppointmentPayload = z.infer<typeof appointmentPayloadSchema>;
export type GhlTaskPayload = z.infer<typeof taskPayloadSchema>;
export type GhlNotePayload = z.infer<typeof notePayloadSchema>;
export type GhlAppInstallPayload = z.infer<typeof appInstallPayloadSchema>;
export type GhlAppUninstallPayload = z.infer<typeof appUninstallPayloadSchema>;
/** A workflow webhook body (snake_case; no `type`, `webhookId` or `timestamp`). */
export type GhlWorkflowPayload = z.infer<typeof workflowPayloadSchema>;

/** The payload of each event type, as the delivery carried it, with `type` narrowed to the name. */
export type GhlEventPayloads = { [T in GhlContactEventType]: GhlContactPayload & { type: T } } & {
  [T in GhlOpportunityEventType]: GhlOpportunityPayload & { type: T };
} & { [T in GhlAppointmentEventType]: GhlAppointmentPayload & { type: T } } & {
  [T in GhlTaskEventType]: GhlTaskPayload & { type: T };
} & { [T in GhlNoteEventType]: GhlNotePayload & { type: T } } & {
  INSTALL: GhlAppInstallPayload & { type: 'INSTALL' };
  UNINSTALL: GhlAppUninstallPayload & { type: 'UNINSTALL' };
  WorkflowWebhook: GhlWorkflowPayload;
};

/** Which entity each event type is about. */
export type GhlEntityOf<T extends GhlEventType> = T extends GhlContactEventType | GhlWorkflowEventType
  ? 'contact'
  : T extends GhlOpportunityEventType
    ? 'opportunity'
    : T extends GhlAppointmentEventType
      ? 'appointment'
      : T extends GhlTaskEventType
        ? 'task'
        : T extends GhlNoteEventType
          ? 'note'
          : 'app';

/** How the event reached the connector. */
export type GhlEventOrigin = 'marketplace-webhook' | 'workflow-webhook';

/** One webhook event of type `T`: a `SourceEventV1` whose payload type follows the name. */
export interface GhlEventOf<T extends GhlEventType> extends SourceEventV1<GhlEventPayloads[T]> {
  type: T;
  entity: GhlEntityOf<T>;
  /** Marketplace (signed) or workflow (shared secret) webhook. */
  origin: GhlEventOrigin;
}

/** Any webhook event the connector parses; `switch (event.type)` narrows `payload`. */
export type GhlEvent = { [T in GhlEventType]: GhlEventOf<T> }[GhlEventType];

/**
 * What the transformer accepts: a webhook event, or a record the poller or
 * reconciler listed (`payload` is then the API record itself, camelCase, and
 * `type` is the poller's choice; a type ending in `Delete` deletes).
 */
export type GhlSourceEvent =
  | GhlEvent
  | (SourceEventV1<Readonly<Record<string, unknown>>> & { entity: GhlEntity; origin?: undefined });

/** Epoch ms of an ISO 8601 string, or `undefined` when absent or unreadable. */
export function ghlTimeMs(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
