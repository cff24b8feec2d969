/**
 * One change at a provider, as a connector understands it: "contact 123 of
 * location abc was updated at 10:02". A webhook delivery or a poll page turns
 * into zero or more of these; the transformer turns each into sink operations.
 *
 * Events are plain data (no `specificationVersion` literal): they travel
 * between the parts of one process and are rebuilt from the raw request when
 * a delivery is replayed, so the version lives in the type name.
 */
export interface SourceEventV1<TPayload = unknown> {
  /** Connector id, lower case: `ghl`, `xero`, `gmail`. Matches the connector's `source`. */
  source: string;
  /**
   * The provider account the change belongs to (GHL location id, Xero tenant id,
   * Gmail address, Notion workspace id). Every mirror row, cursor, rate budget and
   * health figure is kept per tenant.
   */
  tenant: string;
  /** The provider's own event name, untouched (`ContactUpdate`, `INVOICE.UPDATE`). */
  type: string;
  /** What kind of record changed, singular and lower case (`contact`, `invoice`). */
  entity: string;
  /** The provider's id of the record that changed. */
  entityId: string;
  /**
   * When the provider says the change happened, ISO 8601. Used for the
   * provider-to-row latency figure; not for ordering (use `version`).
   */
  occurredAt?: string;
  /**
   * The record's own version at the provider, as a number that grows with every
   * change: epoch milliseconds of `dateUpdated` / `UpdatedDateUTC` /
   * `last_edited_time`, or a provider sequence such as Gmail's `historyId`.
   * Sinks refuse to let a lower version overwrite a higher one. Leave it out
   * only when the provider gives nothing to order by (the write then always wins).
   */
  version?: number;
  /**
   * When the provider produced this copy of the record, epoch ms: a webhook's
   * own send time (GHL's `timestamp`), or when the record was fetched (a poll
   * page, a thin event's hydration). Breaks ties between two copies at the
   * same `version`: the later copy wins (`SinkUpsertV1.order`). Left out, the
   * runtime uses the receipt time, which is later than the copy was made, so
   * connectors whose deliveries can be retried late should set it.
   */
  observedAt?: number;
  /**
   * `true` when the event carries only ids and the connector must fetch the
   * record before transforming it (Xero, Gmail, Notion). The worker then calls
   * the connector's `hydrate`.
   */
  thin?: boolean;
  /** The provider's payload for this event, validated by the connector's schema. */
  payload: TPayload;
}
