/**
 * Write-back through the outbox: a local contact change is enqueued durably
 * (`enqueueGhlContactChange`), and the outbox dispatcher hands it to the
 * `ghl:contacts` destination, which runs the contact writer
 * (`createGhlWriter`: blocked fields, no echo, latest write wins, natural
 * key) and keeps what it did as the message's result.
 *
 * - A change the mirror has already overtaken (the mirror row's version, GHL's
 *   `dateUpdated`, at or after `changedAt`) is refused: the message completes
 *   with `{ outcome: 'skipped', reason: 'stale' }` and nothing is sent.
 * - Delivery is at least once. A message retried after GHL took the change
 *   sends nothing once the mirror has GHL's `ContactUpdate` webhook (the
 *   change is then stale), or the same upsert again before that, which
 *   `POST /contacts/upsert` applies to the same contact (it matches on email
 *   and phone: `upsert-contact` in
 *   https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/contacts.json).
 * - A malformed payload is a validation error: dead-lettered at once, never retried.
 */
import { createHash } from 'node:crypto';
import {
  ActError,
  type ActOutbox,
  ConfigurationError,
  type NewOutboxMessageV1,
  type OutboxDestinationV1,
  type SinkV1,
} from '@act/core';
import { canonicalJson } from '@act/core/internal';
import { z } from 'zod';
import { GHL_PACKAGE_NAME, GHL_SOURCE } from './ghl-error';
import {
  type GhlContactChange,
  type GhlContactMirror,
  type GhlMirrorContact,
  type GhlWriter,
  ghlMirrorContactFromRow,
} from './ghl-writeback';

/** The destination's name, stored with every write-back message. */
export const GHL_CONTACTS_DESTINATION = 'ghl:contacts';

/** What a `ghl:contacts` message carries. */
export interface GhlContactChangeMessage {
  /** The location (`locationId`) the contact belongs to. */
  tenant: string;
  change: GhlContactChange;
}

const changeSchema = z.object({
  fields: z.record(z.string(), z.unknown()),
  changedAt: z.number().finite(),
  origin: z.enum(['local', 'ghl']).optional(),
  contactId: z.string().min(1).optional(),
});

const messageSchema = z.object({ tenant: z.string().min(1), change: changeSchema });

function invalid(message: string): ActError {
  return new ActError({ packageName: GHL_PACKAGE_NAME, errorClass: 'validation', message });
}

function parseMessage(payload: unknown): GhlContactChangeMessage {
  const parsed = messageSchema.safeParse(payload);
  if (parsed.success) return parsed.data as GhlContactChangeMessage;
  const issues = parsed.error.issues
    .map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`)
    .join('; ');
  throw invalid(`${GHL_CONTACTS_DESTINATION} message is not { tenant, change }: ${issues}`);
}

export interface GhlContactsDestinationOptions {
  /** The contact writer (`connector.createWriter({ mirror })`): its blocked fields apply to every message. */
  writer: GhlWriter;
  /** Attempts before a message is dead-lettered (the outbox's default, 8, when absent). */
  maxAttempts?: number;
}

/**
 * The `ghl:contacts` outbox destination: each message's change goes through
 * `writer.upsertContact`, and its result (`{ outcome, contactId, reason? }`)
 * is kept with the message. `createGhlConnector({ writeBack })` declares it
 * on the connector (`connector.destinations`); use this for a writer of your own.
 */
export function ghlContactsDestination(options: GhlContactsDestinationOptions): OutboxDestinationV1 {
  const destination: OutboxDestinationV1 = {
    specificationVersion: 'v1',
    name: GHL_CONTACTS_DESTINATION,
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    async deliver(message, context) {
      const { tenant, change } = parseMessage(message.payload);
      if (message.tenant !== undefined && message.tenant !== tenant) {
        throw invalid(
          `${GHL_CONTACTS_DESTINATION} message ${message.id} is for ${message.tenant}, its payload for ${tenant}`,
        );
      }
      const result = await options.writer.upsertContact(
        tenant,
        change,
        context.signal ? { signal: context.signal } : {},
      );
      return {
        outcome: result.outcome,
        ...(result.contactId !== undefined ? { contactId: result.contactId } : {}),
        ...(result.outcome === 'skipped' ? { reason: result.reason } : {}),
      };
    },
  };
  writers.set(destination, options.writer);
  return destination;
}

/** The writer behind each `ghl:contacts` destination, so an enqueue strips what it blocks. */
const writers = new WeakMap<OutboxDestinationV1, GhlWriter>();

/**
 * Enqueue a local contact change for write-back through the app's outbox
 * (`act`, from `createAct` with a connector created with `writeBack`). The
 * change is checked, and the fields the connector's policy blocks are removed
 * before it is stored, so blocked values never reach the outbox table. The
 * message key is the change itself (tenant, contact, `changedAt`, fields), so
 * enqueueing the same change twice sends it once. Resolves the message id and
 * whether it was already queued.
 *
 * @throws ConfigurationError when no `ghl:contacts` destination is configured.
 */
export async function enqueueGhlContactChange(
  act: { readonly outbox: Pick<ActOutbox, 'enqueue' | 'destinations'> },
  tenant: string,
  change: GhlContactChange,
  options: Pick<NewOutboxMessageV1, 'correlationId' | 'availableAt'> = {},
): Promise<{ id: string; duplicate: boolean }> {
  const destination = act.outbox.destinations.find((candidate) => candidate.name === GHL_CONTACTS_DESTINATION);
  if (!destination) {
    throw new ConfigurationError({
      packageName: GHL_PACKAGE_NAME,
      message: `no ${GHL_CONTACTS_DESTINATION} outbox destination: create the connector with writeBack ({ writeBack: { sink: state.sink } })`,
    });
  }
  const checked = parseMessage({ tenant, change });
  const strip = writers.get(destination)?.stripBlockedFields;
  const payload: GhlContactChangeMessage = strip
    ? { tenant, change: { ...checked.change, fields: strip(checked.change.fields) } }
    : checked;
  const digest = createHash('sha256').update(canonicalJson(payload)).digest('base64url').slice(0, 22);
  const [result] = await act.outbox.enqueue([
    {
      destination: GHL_CONTACTS_DESTINATION,
      key: `${tenant}:${change.contactId ?? '-'}:${change.changedAt}:${digest}`,
      source: GHL_SOURCE,
      tenant,
      payload,
      ...options,
    },
  ]);
  if (!result) throw new Error(`[${GHL_PACKAGE_NAME}] the outbox enqueued nothing for the contact change`);
  return result;
}

/** The mirror columns read back for a contact (the API record in `raw`, and the normalised keys). */
const MIRROR_COLUMNS = ['id', 'email', 'phone', 'raw'] as const;

/**
 * The writer's view of the contacts mirror, read through the sink
 * (`SinkV1.scan`, so any sink that can list its rows: Postgres, PGlite,
 * Supabase): the row by id, else by email (lower-case), else by phone
 * (E.164), as the mirror's `email` and `phone` columns hold them; of several
 * rows sharing an email or phone, the newest. Its `version` is the row's
 * `_version` (GHL's `dateUpdated`, epoch ms), which the stale check compares.
 */
export function ghlSinkContactMirror(sink: Pick<SinkV1, 'scan'>, options: { table?: string } = {}): GhlContactMirror {
  const table = options.table ?? 'ghl_contacts';
  const scan = sink.scan?.bind(sink);
  if (!scan) {
    throw new ConfigurationError({
      packageName: GHL_PACKAGE_NAME,
      message: 'write-back needs a sink that can read its rows (SinkV1.scan): @act/sink-supabase has it',
    });
  }
  const find = async (where: Record<string, string>): Promise<GhlMirrorContact | null> => {
    let best: GhlMirrorContact | null = null;
    for await (const page of scan({ table, where, keyColumns: MIRROR_COLUMNS })) {
      for (const row of page) {
        const found = ghlMirrorContactFromRow({
          ...row.key,
          _version: row.version ?? null,
          _deleted_at: row.deleted ? true : null,
        });
        if (!best || (found.version ?? -1) > (best.version ?? -1)) best = found;
      }
    }
    return best;
  };
  return {
    async findContact(tenant, key) {
      if (key.id !== undefined) {
        const byId = await find({ location_id: tenant, id: key.id });
        if (byId) return byId;
      }
      if (key.email !== undefined) {
        const byEmail = await find({ location_id: tenant, email: key.email });
        if (byEmail) return byEmail;
      }
      if (key.phone !== undefined) return find({ location_id: tenant, phone: key.phone });
      return null;
    },
  };
}
