import type { SourceEventV1 } from './source-event-v1';

/**
 * A webhook request reduced to what verification and parsing need. The body is
 * the exact bytes the provider sent: signatures are computed over them, so they
 * are never re-serialised. The same shape is rebuilt from the inbox when a
 * stored delivery is processed or replayed.
 */
export interface WebhookRequestV1 {
  /** HTTP method, upper case. */
  method: string;
  /** Full request URL, including the query string (URL tokens live there). */
  url: string;
  /** Header names lower-cased; repeated headers joined with `, ` as `Headers` does. */
  headers: Readonly<Record<string, string>>;
  /** The raw body bytes, untouched. */
  body: Uint8Array;
  /** When this process received the request (or the inbox row was created). */
  receivedAt: Date;
}

/** What `verify` concluded. A processor never throws for a bad signature: it returns `valid: false`. */
export type WebhookVerificationV1 =
  | { valid: true /** Which configured key matched, for rotation metrics (never the key itself). */; keyId?: string }
  | {
      valid: false;
      /** Short, safe to log and to return to the caller: `signature mismatch`, `missing x-ghl-signature header`. */
      reason: string;
      /**
       * `true` when the processor cannot verify at all because a key is not
       * configured. The handler still answers 401 (fail closed) but logs it as a
       * configuration error so operators notice.
       */
      misconfigured?: boolean;
    };

/** What `parse` found in one delivery. */
export interface ParsedDeliveryV1<TEvent extends SourceEventV1 = SourceEventV1> {
  /**
   * The provider's id for this delivery (`webhookId`, Pub/Sub `messageId`). Used
   * as the dedupe key so a redelivery is stored once. Leave it out when the
   * provider has none: the handler then dedupes on a SHA-256 of the body.
   */
  deliveryId?: string | undefined;
  /** The tenant the delivery belongs to; `unknown` is used when absent. */
  tenant?: string;
  /** Zero or more events. An empty list is valid (a handshake, an unknown event type). */
  events: TEvent[];
  /**
   * For providers that push only "something changed" (Gmail's history id,
   * a Google Calendar channel ping): ask for an incremental sync of the
   * tenant's `stream` (a poller's stream) from its stored cursor instead of
   * carrying records. The inbox coalesces such deliveries per source, tenant
   * and stream (`coalesceKey`), so a burst of pushes causes one sync that
   * starts after the last of them; the worker runs the stream's poller under
   * the delivery's lease and commits rows and cursor together. `events` is
   * ignored when it is set.
   */
  sync?: SyncRequestV1 | undefined;
}

/** A delivery's request for a stream sync (see `ParsedDeliveryV1.sync`). */
export interface SyncRequestV1 {
  /** The poller stream to sync (`history`, `events`). */
  stream: string;
  /** What the push said (a history id), for logs; the sync always starts from the stored cursor. */
  hint?: string | undefined;
}

/**
 * One inbox row of a delivery that `split` fans out: a self-contained body
 * that the processor's own `parse` turns into this part's events.
 */
export interface DeliveryPartV1<TEvent extends SourceEventV1 = SourceEventV1> {
  /**
   * Stable within the delivery (`<tenant>:<entity>:<id>`): the part's dedupe
   * key is the delivery's with `#<key>` appended, so a redelivery of the same
   * delivery stores no part twice.
   */
  key: string;
  /** The part's tenant; defaults to the delivery's. */
  tenant?: string;
  /** The bytes stored for the part, accepted by `parse`. */
  body: Uint8Array;
  /** What `parse` finds in `body` (for the inbox's event types). */
  events: TEvent[];
}

/**
 * Receives a provider's webhooks: verifies, answers handshakes, parses.
 * Implementations are pure over the request: no I/O beyond what verification
 * needs (a JWKS fetch for OIDC tokens, say), no state. `@act/core`'s
 * `createWebhookHandler` does the HTTP, the inbox and the acknowledgement.
 */
export interface WebhookProcessorV1<TEvent extends SourceEventV1 = SourceEventV1> {
  /** The contract version this processor implements. */
  readonly specificationVersion: 'v1';
  /** Connector id (`ghl`); also the package name shown in errors comes from `packageName`. */
  readonly source: string;
  /** npm package name used as the prefix of every error message (`@act/connector-ghl`). */
  readonly packageName: string;
  /**
   * Header names (lower case) to keep with the raw body in the inbox: the ones
   * `verify` and `parse` read, and anything useful when debugging a dead letter.
   * Everything else is dropped so cookies and auth headers are never stored.
   */
  readonly persistedHeaders: readonly string[];
  /**
   * Query parameters that carry a secret (a token in the endpoint URL, as
   * Google's Pub/Sub push sample checks `?token=`): their values are replaced
   * by `redacted` in the URL stored with the delivery, so the inbox never
   * holds the secret. `verify` still sees the URL as received.
   */
  readonly secretQueryParameters?: readonly string[];
  /**
   * Status to answer when the inbox cannot store the delivery, chosen so the
   * provider retries: 503 for most providers; GoHighLevel retries only on 429.
   * Defaults to 503.
   */
  readonly persistFailureStatus?: number;
  /**
   * Status for a request this process cannot verify because a key is missing
   * or unusable (`verify` answered `misconfigured: true`, or threw). The
   * request is still refused (fail closed); the default 401 tells the provider
   * it is final. Providers that retry only on one status (GoHighLevel: 429)
   * can ask for that one, so deliveries wait out an operator's fix instead of
   * being lost to a configuration mistake.
   */
  readonly misconfiguredStatus?: number;
  /**
   * Store an authentic delivery that `parse` cannot understand instead of
   * answering 400: it is acknowledged with 202 and dead-lettered by the worker
   * with the parse error, so a fixed connector can replay it. For providers
   * that never retry a 4xx (GoHighLevel), where a 400 loses the event.
   */
  readonly storeUnparseable?: boolean;
  /** Largest accepted body in bytes; larger bodies get 413. Defaults to 1 MiB. */
  readonly maxBodyBytes?: number;
  /**
   * Answer provider challenges that are not deliveries (Notion's verification
   * token, a Google channel sync message). Return a `Response` to answer the
   * request directly, or `undefined` to continue with verify and parse.
   * Runs before `verify`, so it must do its own checks.
   */
  handshake?(request: WebhookRequestV1): Promise<Response | undefined> | Response | undefined;
  /**
   * Check the request's signature over the raw body, in constant time, against
   * every configured key (rotation). Fail closed: a missing key, header or
   * timestamp is `valid: false`.
   */
  verify(request: WebhookRequestV1): Promise<WebhookVerificationV1>;
  /**
   * Turn a verified request into events. Throw a `PayloadError` (or any
   * error; it becomes 400) when the body cannot be understood. Unknown event
   * types are not an error: return no events for them, so they are stored and
   * acknowledged but not applied.
   */
  parse(request: WebhookRequestV1): Promise<ParsedDeliveryV1<TEvent>> | ParsedDeliveryV1<TEvent>;
  /**
   * Fan a verified delivery out into several inbox rows, each processed,
   * retried and dead-lettered on its own. For thin-event providers whose one
   * delivery names many resources across tenants (Xero): each resource is a
   * rate-limited fetch, and as one row a large delivery would redo every
   * fetch each time a limit deferred it, and a mixed-tenant delivery would
   * have no tenant to refresh a token for. Return `undefined` (or one part)
   * to store the delivery as received.
   *
   * A part's body is not the signed body, so the provider's signature header
   * is not stored with it; each part records the delivery it came from in
   * `x-act-split-of`. Parts are stored before the delivery is acknowledged; if
   * any fails to store, the provider is asked to retry and the parts already
   * stored are recognised as duplicates.
   */
  split?(
    request: WebhookRequestV1,
    parsed: ParsedDeliveryV1<TEvent>,
  ): readonly DeliveryPartV1<TEvent>[] | undefined | Promise<readonly DeliveryPartV1<TEvent>[] | undefined>;
  /**
   * Build the acknowledgement. Defaults to `200` with a small JSON body. Xero,
   * for one, wants an empty body.
   */
  acknowledge?(outcome: { deliveryId: string; duplicate: boolean }): Response;
  /**
   * Build error responses. Defaults to JSON `{ "error": message }` with the
   * status. Return an empty body where the provider requires one.
   */
  reject?(status: number, message: string): Response;
}
