import { jsonCursor } from '@act/connector-kit';
import { ActError, CursorExpiredError, type PollerV1, type ReconcileListRequestV1 } from '@act/core';
import { z } from 'zod';
import type { GmailClient, GmailHistoryRecord } from './gmail-client';
import {
  type GmailEventType,
  type GmailMessage,
  type GmailMessageRef,
  type GmailSourceEvent,
  gmailVersion,
} from './gmail-events';
import { GMAIL_PACKAGE_NAME, GMAIL_SOURCE } from './google-settings';

/** The stream the push endpoint's deliveries ask to sync (`sync: { stream: 'history' }`). */
export const GMAIL_HISTORY_STREAM = 'history';

const historyId = z.string().regex(/^\d+$/);

/**
 * Where the `history` stream stands:
 * - `{ phase: 'full', start, pageToken }`: a full sync in progress. `start` is
 *   the mailbox's historyId read (getProfile) before the listing began, `null`
 *   until then; `pageToken` the next `messages.list` page.
 * - `{ historyId, pageToken? }`: incremental. `historyId` is the
 *   `startHistoryId` to list from; `pageToken` the next page of that listing.
 */
const cursorSchema = z.union([
  z.object({ phase: z.literal('full'), start: historyId.nullable(), pageToken: z.string().min(1).nullable() }),
  z.object({ historyId, pageToken: z.string().min(1).optional() }),
]);
type GmailCursor = z.infer<typeof cursorSchema>;

const cursors = jsonCursor(cursorSchema, {
  start: { phase: 'full', start: null, pageToken: null },
  packageName: GMAIL_PACKAGE_NAME,
  stream: GMAIL_HISTORY_STREAM,
  kind: 'Gmail history',
});

export interface GmailHistoryPoller extends PollerV1<GmailSourceEvent> {
  /** Every message id of the mailbox as thin events (for the reconciler; `hydrate` fetches the ones the mirror lacks). */
  listAll(request: ReconcileListRequestV1): AsyncIterable<GmailSourceEvent[]>;
}

export interface GmailHistoryPollerOptions {
  client: GmailClient;
  /** [G3] The safety-net interval. */
  intervalMs: number;
  /** `messages.get` calls in flight at once. */
  concurrency: number;
}

/**
 * The `history` stream [G3] [G4]. A push only says "this mailbox changed"
 * and carries the mailbox's new historyId; the sync always lists history from
 * the STORED cursor, never from the pushed id (which would skip the change
 * that was pushed). The same poll runs every `intervalMs` as Google's
 * recommended safety net, since pushes may be delayed or dropped [G3].
 */
export function createGmailHistoryPoller(options: GmailHistoryPollerOptions): GmailHistoryPoller {
  const { client, concurrency } = options;

  /** The messages, fetched `concurrency` at a time, in order; `null` for those Gmail no longer has (404). */
  async function fetchMessages(tenant: string, ids: readonly string[], signal: AbortSignal | undefined) {
    // One `messages.get` per message rather than Gmail's multipart batch endpoint: each inner call of a
    // batch costs the same quota [G6], and a batch would bypass the client's per-call handling (the
    // limiter's budgets, a 401's refresh, a 403/429's backoff) that every call here gets.
    const results: (GmailMessage | null)[] = new Array(ids.length).fill(null);
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const index = next++;
        results[index] = await client.getMessage(tenant, ids[index] as string, { signal });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
    return results;
  }

  async function* fullSync(tenant: string, position: Extract<GmailCursor, { phase: 'full' }>, signal?: AbortSignal) {
    // [G3] The historyId BEFORE the listing: changes made while it runs are replayed from it afterwards
    // (each applied at its own version), so nothing between the listing and the first history call is lost.
    const start = position.start ?? (await client.getProfile(tenant, { signal })).historyId;
    let pageToken = position.pageToken;
    for (;;) {
      // Spam and trash included: history reports their messages too, so the mirror and the listing agree.
      const page = await client.listMessages(
        tenant,
        { pageToken: pageToken ?? undefined, includeSpamTrash: true },
        { signal },
      );
      const refs = page.messages ?? [];
      const messages = await fetchMessages(
        tenant,
        refs.map((ref) => ref.id),
        signal,
      );
      // A message deleted between the listing and its get is skipped: the history replayed from `start` deletes it.
      const events = messages.flatMap((message) => (message ? [messageEvent(tenant, 'message.listed', message)] : []));
      pageToken = page.nextPageToken ?? null;
      if (!pageToken) return { events, start };
      yield { events, cursor: cursors.write({ phase: 'full', start, pageToken }) };
    }
  }

  async function* incremental(tenant: string, from: string, firstPageToken: string | undefined, signal?: AbortSignal) {
    let pageToken = firstPageToken;
    for (;;) {
      let page: Awaited<ReturnType<GmailClient['listHistory']>>;
      try {
        page = await client.listHistory(tenant, { startHistoryId: from, pageToken }, { signal });
      } catch (error) {
        // [G4] "an invalid or out of date startHistoryId typically returns an HTTP 404 … perform a full sync".
        if (isNotFound(error)) {
          throw new CursorExpiredError({
            packageName: GMAIL_PACKAGE_NAME,
            stream: GMAIL_HISTORY_STREAM,
            reason: `Gmail no longer has history from ${from} for ${tenant} (404); a full sync follows`,
            cause: error,
          });
        }
        throw error;
      }
      // [G4] A page without `history` is an empty page, not an error.
      const events = await historyEvents(tenant, page.history ?? [], signal);
      if (page.nextPageToken) {
        pageToken = page.nextPageToken;
        yield { events, cursor: cursors.write({ historyId: from, pageToken }) };
        continue;
      }
      // [G4] The listing is exhausted: the response's historyId is where the next one starts.
      yield { events, cursor: cursors.write({ historyId: page.historyId }) };
      return;
    }
  }

  /** One page of history records → events, the last change to each message winning. */
  async function historyEvents(tenant: string, records: readonly GmailHistoryRecord[], signal?: AbortSignal) {
    const changes = new Map<string, { ref: GmailMessageRef; recordId: string; type: GmailEventType }>();
    const note = (ref: GmailMessageRef, recordId: string, type: GmailEventType) => {
      const previous = changes.get(ref.id);
      // Added then relabelled in one page: still an addition (one fetch shows both).
      const kept = type === 'message.labels_changed' && previous?.type === 'message.added' ? previous.type : type;
      changes.set(ref.id, { ref, recordId, type: kept });
    };
    for (const record of records) {
      for (const { message } of record.messagesAdded ?? []) note(message, record.id, 'message.added');
      for (const { message } of record.labelsAdded ?? []) note(message, record.id, 'message.labels_changed');
      for (const { message } of record.labelsRemoved ?? []) note(message, record.id, 'message.labels_changed');
      for (const { message } of record.messagesDeleted ?? []) note(message, record.id, 'message.deleted');
    }
    const entries = [...changes.values()];
    const toFetch = entries.filter((change) => change.type !== 'message.deleted');
    const fetched = await fetchMessages(
      tenant,
      toFetch.map((change) => change.ref.id),
      signal,
    );
    const byId = new Map(toFetch.map((change, index) => [change.ref.id, fetched[index]]));
    return entries.flatMap((change) => {
      const message = byId.get(change.ref.id);
      if (change.type === 'message.deleted') return [deletedEvent(tenant, change.ref, change.recordId)];
      // Gone before we could fetch it (a 404): nothing is written. A message really deleted has its own
      // `messagesDeleted` record [G4], which tombstones it; a tombstone here, on a table that cannot be
      // restored, would hide a message a spurious 404 left alone, for good.
      if (!message) return [];
      return [messageEvent(tenant, change.type, message)];
    });
  }

  return {
    specificationVersion: 'v1',
    stream: GMAIL_HISTORY_STREAM,
    intervalMs: options.intervalMs,
    fallback: false,
    async *poll({ tenant, cursor, signal }) {
      let position = cursors.read(cursor);
      if ('phase' in position) {
        const full = fullSync(tenant, position, signal);
        let step = await full.next();
        while (!step.done) {
          yield step.value;
          step = await full.next();
        }
        // The listing's last page commits the resume point; the replay since it follows in the same run.
        yield { events: step.value.events, cursor: cursors.write({ historyId: step.value.start }) };
        position = { historyId: step.value.start };
      }
      yield* incremental(tenant, position.historyId, position.pageToken, signal);
    },
    async *listAll({ tenant, signal }) {
      let pageToken: string | undefined;
      do {
        const page = await client.listMessages(tenant, { pageToken, includeSpamTrash: true }, { signal });
        const refs = page.messages ?? [];
        if (refs.length > 0) yield refs.map((ref) => listedEvent(tenant, ref));
        pageToken = page.nextPageToken ?? undefined;
      } while (pageToken);
    },
  };
}

function isNotFound(error: unknown): boolean {
  // Recognised without `instanceof`: two copies of core may be installed.
  return ActError.isInstance(error) && (error as { providerStatus?: unknown }).providerStatus === 404;
}

/** A fetched message as an upsert, versioned by its historyId. */
export function messageEvent(tenant: string, type: GmailEventType, message: GmailMessage): GmailSourceEvent {
  const version = gmailVersion(message.historyId);
  const received = message.internalDate ? new Date(Number(message.internalDate)) : undefined;
  return {
    source: GMAIL_SOURCE,
    tenant,
    type,
    entity: 'message',
    entityId: message.id,
    ...(type === 'message.added' && received && !Number.isNaN(received.getTime())
      ? { occurredAt: received.toISOString() }
      : {}),
    ...(version !== undefined ? { version } : {}),
    payload: message,
  };
}

/** A deleted message as a tombstone, versioned by the history record that removed it. */
export function deletedEvent(tenant: string, ref: GmailMessageRef, recordId: string): GmailSourceEvent {
  const version = gmailVersion(recordId);
  return {
    source: GMAIL_SOURCE,
    tenant,
    type: 'message.deleted',
    entity: 'message',
    entityId: ref.id,
    ...(version !== undefined ? { version } : {}),
    payload: { id: ref.id, ...(ref.threadId ? { threadId: ref.threadId } : {}), deletedInHistoryId: recordId },
  };
}

/** A listed id without its message: `hydrate` fetches it only if the mirror lacks it. */
function listedEvent(tenant: string, ref: GmailMessageRef): GmailSourceEvent {
  return {
    source: GMAIL_SOURCE,
    tenant,
    type: 'message.listed',
    entity: 'message',
    entityId: ref.id,
    thin: true,
    payload: { id: ref.id, ...(ref.threadId ? { threadId: ref.threadId } : {}) },
  };
}
