import { CursorExpiredError } from '../../src/errors';
import type { ConnectorV1, PollerV1, ReconcilerV1, SourceEventV1, WebhookProcessorV1 } from '../../src/spec/v1';

/**
 * A made-up mailbox whose pushes only say "this mailbox changed" (the shape
 * of a Gmail watch notification, not its payload): the runtime's stream sync
 * reads the changes from the `history` poller. Not a provider: for the
 * sync engine's tests only.
 */
export interface Message {
  id: string;
  subject: string;
  version: number;
}

export interface PushBody {
  tenant: string;
  /** Unique per push: the delivery id. */
  messageId: string;
  historyId?: string;
  /** Defaults to `history`. */
  stream?: string;
  /** A lifecycle event instead of a push. */
  install?: { name: string };
  uninstall?: boolean;
}

export interface Mailbox {
  /** Current messages, by id. */
  messages: Map<string, Message>;
  /** Every change in order: the history cursor is an index into it. */
  history: { kind: 'upsert' | 'delete'; message: Message }[];
  /** Cursors below this have expired (the provider dropped older history). */
  expiredBefore: number;
  /** Calls of `poll`: one per stream sync. */
  polls: { cursor: string | null }[];
  /** Awaited before each page is yielded (1-based page of the current poll). */
  beforePage?: (page: number) => Promise<void> | void;
  upsert(id: string, subject: string): void;
  /** Remove a message; `silently` leaves no history entry (lost with expired history). */
  remove(id: string, options?: { silently?: boolean }): void;
}

const PACKAGE_NAME = '@act/test-mailbox';
const PAGE_SIZE = 3;

export function createMailbox(): Mailbox {
  let version = 0;
  const mailbox: Mailbox = {
    messages: new Map(),
    history: [],
    expiredBefore: 0,
    polls: [],
    upsert(id, subject) {
      version += 1;
      const message = { id, subject, version };
      mailbox.messages.set(id, message);
      mailbox.history.push({ kind: 'upsert', message });
    },
    remove(id, options = {}) {
      const message = mailbox.messages.get(id);
      if (!message) return;
      mailbox.messages.delete(id);
      version += 1;
      if (!options.silently) mailbox.history.push({ kind: 'delete', message: { ...message, version } });
    },
  };
  return mailbox;
}

const eventOf = (tenant: string, kind: 'upsert' | 'delete', message: Message): SourceEventV1<Message> => ({
  source: 'mail',
  tenant,
  type: kind === 'upsert' ? 'MessageUpsert' : 'MessageDelete',
  entity: 'message',
  entityId: message.id,
  version: message.version,
  payload: message,
});

export function createMailboxConnector(mailbox: Mailbox, options: { lifecycle?: boolean } = {}) {
  const history: PollerV1 = {
    specificationVersion: 'v1',
    stream: 'history',
    async *poll({ tenant, cursor }) {
      mailbox.polls.push({ cursor });
      let page = 0;
      if (cursor === null) {
        // A full listing, resumed afterwards from the history position at its start.
        const start = String(mailbox.history.length);
        const all = [...mailbox.messages.values()].sort((a, b) => a.id.localeCompare(b.id));
        for (let offset = 0; offset < all.length; offset += PAGE_SIZE) {
          page += 1;
          await mailbox.beforePage?.(page);
          yield {
            events: all.slice(offset, offset + PAGE_SIZE).map((message) => eventOf(tenant, 'upsert', message)),
            cursor: start,
          };
        }
        if (all.length === 0) yield { events: [], cursor: start };
        return;
      }
      let position = Number(cursor);
      if (position < mailbox.expiredBefore) {
        throw new CursorExpiredError({ packageName: PACKAGE_NAME, stream: 'history', reason: 'history id too old' });
      }
      while (position < mailbox.history.length) {
        page += 1;
        await mailbox.beforePage?.(page);
        const slice = mailbox.history.slice(position, position + PAGE_SIZE);
        position += slice.length;
        yield { events: slice.map((entry) => eventOf(tenant, entry.kind, entry.message)), cursor: String(position) };
      }
    },
  };

  const reconciler: ReconcilerV1 = {
    specificationVersion: 'v1',
    table: 'messages',
    stream: 'history',
    keyColumns: ['tenant_id', 'id'],
    scope: (tenant) => ({ tenant_id: tenant }),
    keyOf: (event) => ({ tenant_id: event.tenant, id: event.entityId }),
    async *list({ tenant }) {
      const all = [...mailbox.messages.values()].sort((a, b) => a.id.localeCompare(b.id));
      for (let offset = 0; offset < all.length; offset += 2) {
        yield all.slice(offset, offset + 2).map((message) => eventOf(tenant, 'upsert', message));
      }
    },
  };

  const webhook: WebhookProcessorV1 = {
    specificationVersion: 'v1',
    source: 'mail',
    packageName: PACKAGE_NAME,
    persistedHeaders: [],
    // Authenticity is not what these tests are about.
    async verify() {
      return { valid: true };
    },
    parse(request) {
      const body = JSON.parse(new TextDecoder().decode(request.body)) as PushBody;
      if (body.install || body.uninstall) {
        return {
          deliveryId: body.messageId,
          tenant: body.tenant,
          events: [
            {
              source: 'mail',
              tenant: body.tenant,
              type: body.install ? 'AppInstall' : 'AppUninstall',
              entity: 'installation',
              entityId: body.tenant,
              payload: body.install ?? {},
            },
          ],
        };
      }
      return {
        deliveryId: body.messageId,
        tenant: body.tenant,
        events: [],
        sync: { stream: body.stream ?? 'history', ...(body.historyId ? { hint: body.historyId } : {}) },
      };
    },
  };

  const connector: ConnectorV1 = {
    specificationVersion: 'v1',
    source: 'mail',
    packageName: PACKAGE_NAME,
    webhooks: { default: webhook },
    pollers: [history],
    reconcilers: [reconciler],
    transformer: {
      specificationVersion: 'v1',
      transform(event) {
        if (event.entity !== 'message') return [];
        const message = event.payload as Message;
        const key = { tenant_id: event.tenant, id: event.entityId };
        if (event.type === 'MessageDelete') return [{ kind: 'delete', table: 'messages', key, version: event.version }];
        return [
          { kind: 'upsert', table: 'messages', key, values: { subject: message.subject }, version: event.version },
        ];
      },
    },
    ...(options.lifecycle
      ? {
          lifecycle(event: SourceEventV1) {
            if (event.type === 'AppInstall') {
              return [
                {
                  action: 'connect' as const,
                  tenant: event.tenant,
                  displayName: (event.payload as { name: string }).name,
                },
              ];
            }
            if (event.type === 'AppUninstall') {
              return [{ action: 'disconnect' as const, tenant: event.tenant, reason: 'uninstalled' }];
            }
            return undefined;
          },
        }
      : {}),
  };
  return { connector, webhook, poller: history, reconciler };
}

export function push(body: PushBody): Request {
  return new Request('http://localhost/webhooks/mail', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
