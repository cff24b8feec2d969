import type { CredentialStoreV1 } from './credential-store-v1';
import type { OutboxDestinationV1 } from './outbox-v1';
import type { PollerV1 } from './poller-v1';
import type { ReconcilerV1 } from './reconciler-v1';
import type { SourceEventV1 } from './source-event-v1';
import type { IntegrationEventV1, StateStoreV1 } from './state-store-v1';
import type { SyncStoreV1 } from './sync-store-v1';
import type { TransformerV1 } from './transformer-v1';
import type { WebhookProcessorV1 } from './webhook-processor-v1';

export interface HydrateContextV1 {
  signal?: AbortSignal | undefined;
}

/**
 * Something about a source that the inbox's figures cannot show: a
 * connection that needs a person to reconnect it, deliveries the provider's
 * sequence numbers say were lost.
 */
export interface HealthSignalV1 {
  source: string;
  /** The tenant it concerns, or `app` for the whole source. */
  tenant: string;
  /** `red`: data stops flowing until someone acts. `amber`: data may be missing; reconciliation repairs it. */
  status: 'amber' | 'red';
  /** Stable, for alert rules: `reconnect_required`, `sequence_gap`, `api_credentials_missing`. */
  code: string;
  /** One line for a person, saying what to do. */
  message: string;
  since?: Date;
}

/** What the scheduler hands a connector's recurring hooks. */
export interface TenantJobContextV1 {
  tenant: string;
  signal?: AbortSignal | undefined;
}

/**
 * A push subscription the provider lets lapse unless renewed: a Gmail
 * `users.watch`, a Google Calendar channel. The scheduler renews it for every
 * connected tenant `renewBeforeMs` ahead of the expiry the last renewal
 * returned, and stops it when the tenant is disconnected.
 */
export interface SubscriptionV1 {
  /** Unique within the connector (`gmail-watch`); part of the job key. */
  readonly name: string;
  /** How long before expiry to renew, in ms. Defaults to 1 hour. */
  readonly renewBeforeMs?: number;
  /** Create or renew the subscription; resolves when it expires. */
  renew(context: TenantJobContextV1): Promise<{ expiresAt: Date }>;
  /** Stop it (the tenant was disconnected). */
  stop?(context: TenantJobContextV1): Promise<void>;
}

/** A tenant a connector found (Xero's `/connections`, a GHL install). */
export interface DiscoveredTenantV1 {
  tenant: string;
  displayName?: string | undefined;
}

/** What one discovery run found. */
export interface DiscoveryResultV1 {
  tenants: readonly DiscoveredTenantV1[];
  /**
   * `true` when `tenants` is every tenant the app can reach: registered
   * tenants missing from it are disconnected (their data kept). `false` for a
   * partial answer (only adds).
   */
  complete: boolean;
}

/** A change to the set of connected tenants carried by a webhook event (an app installed or uninstalled). */
export interface TenantLifecycleV1 {
  action: 'connect' | 'disconnect';
  tenant: string;
  displayName?: string | undefined;
  /** Why, for the registry (`uninstalled`). */
  reason?: string | undefined;
}

/**
 * A provider's parts wired together: what `createXxxConnector(settings)`
 * returns and what the worker and pollers run.
 */
export interface ConnectorV1<TEvent extends SourceEventV1 = SourceEventV1> {
  readonly specificationVersion: 'v1';
  /** Connector id (`ghl`). */
  readonly source: string;
  /** npm package name, the prefix of every error message. */
  readonly packageName: string;
  /**
   * The connector's webhook processors, by name: most providers have one
   * (`{ default: … }`); GoHighLevel has two (`default` for Marketplace app
   * webhooks, signed by GHL, and `workflow` for workflow webhooks carrying a
   * shared secret). `createAct`'s handler serves `default` (or the only one)
   * at `/<source>` and every processor at `/<source>/<name>`; the inbox row
   * records the name (header `x-act-processor`), so the worker re-parses a
   * stored delivery with the processor that accepted it.
   */
  readonly webhooks?: Readonly<Record<string, WebhookProcessorV1<TEvent>>>;
  readonly pollers?: readonly PollerV1<TEvent>[];
  /** Full listings per entity for `runReconciliation`, the safety net that finds drift and deletes. */
  readonly reconcilers?: readonly ReconcilerV1<TEvent>[];
  /**
   * Set when the connector was created without credentials for the
   * provider's API: what to set, naming the environment variables and
   * settings (`GHL_ACCESS_TOKEN (accessToken), or GHL_CLIENT_ID and
   * GHL_CLIENT_SECRET (oauth)`). Such a connector has no pollers or
   * reconcilers of its own, so `runPoller` and `runReconciliation` throw a
   * `ConfigurationError` quoting this instead of finishing with no work done.
   * The connector also warns once when created and reports the amber health
   * signal `api_credentials_missing`.
   */
  readonly missingApiCredentials?: string | undefined;
  readonly transformer: TransformerV1<TEvent>;
  /**
   * How stale this source's mirror may get before it counts as late, in ms
   * (GoHighLevel 30 s, Xero 5 min): what dashboards and `act health` compare
   * the backlog against (see `assessFreshness`).
   */
  readonly freshnessTargetMs?: number;
  /**
   * After how long without a webhook a tenant of this source counts as
   * quiet, in ms: it turns amber and its `fallback` pollers run until
   * webhooks resume. Left out, the scheduler learns it from the last 7 days
   * (ten times the median gap between deliveries, within 10 minutes and 24
   * hours), and the app's `quietAfterMs` overrides both.
   */
  readonly expectedActivityMs?: number;
  /** Push subscriptions to keep alive per tenant (see `SubscriptionV1`). */
  readonly subscriptions?: readonly SubscriptionV1[];
  /**
   * Outbox destinations this connector provides: a write-back to its
   * provider (`ghl:contacts`), or the provider as a destination sink
   * (Notion). Messages reach them through the durable outbox.
   */
  readonly destinations?: readonly OutboxDestinationV1[];
  /** List the tenants the app can reach, for the connections registry (run by the scheduler). */
  discoverTenants?(context: { signal?: AbortSignal | undefined }): Promise<DiscoveryResultV1>;
  /**
   * Tenants a webhook event connects or disconnects (GoHighLevel's `INSTALL`
   * and `UNINSTALL`). The worker applies them to the connections registry
   * after the event's write commits.
   */
  lifecycle?(event: TEvent): readonly TenantLifecycleV1[] | undefined;
  /**
   * Refresh the tenant's access token if it expires within `aheadMs`, so no
   * request meets an expired token; run by the scheduler. Resolves when the
   * current token expires (`null`: unknown or static).
   */
  renewCredentials?(context: TenantJobContextV1 & { aheadMs: number }): Promise<{ expiresAt: Date | null }>;
  /**
   * Fetch the current record for a thin event (Xero, Gmail, Notion send ids
   * only). Return the event with its `payload` replaced by the record and
   * `version` set from it, or `null` when the record no longer exists.
   * Provider errors must be thrown as `ProviderApiError` so the worker can
   * classify them (401, 429, 5xx).
   */
  hydrate?(event: TEvent, context: HydrateContextV1): Promise<TEvent | null>;
  /**
   * Called after a delivery's (or a poll page's, or a reconciliation batch's)
   * writes are committed, with each event and what the sink did with it: for
   * side effects that must only happen once the mirror has the change (typed
   * event handlers, notifications). At least once: a crash between commit and
   * this call repeats it on reprocessing. Errors are logged, never retried.
   */
  onApplied?(applied: readonly { event: TEvent; result: IntegrationEventV1 }[]): Promise<void> | void;
  /**
   * Called by the worker when the provider answered 401: refresh the tenant's
   * access token, then the delivery is retried at once.
   */
  refreshCredentials?(tenant: string): Promise<void>;
  /**
   * Health signals beyond freshness (see `HealthSignalV1`), read from the
   * stores; dashboards and `act health` show them next to the freshness table.
   */
  healthSignals?(context: {
    store: StateStoreV1;
    credentials?: CredentialStoreV1;
    /** The connections registry, when the app has one: signals per connected tenant (Gmail's watch expiry). */
    sync?: SyncStoreV1;
    now?: Date;
  }): Promise<HealthSignalV1[]>;
  /**
   * SQL migrations for this connector's mirror tables, in order. The Postgres
   * sink applies them after its own and records each as `<source>/<name>`, so
   * names only need to be unique within the connector (`0001_contacts.sql`).
   * Mirror tables carry the bookkeeping columns `_version bigint`,
   * `_payload_hash text`, `_deleted_at timestamptz`, `_synced_at timestamptz`,
   * and every non-key column must be nullable or have a default (a delete
   * that arrives first leaves a key-only tombstone row).
   */
  readonly migrations?: readonly { name: string; sql: string }[] | undefined;
  /**
   * The column of this connector's mirror tables that holds the tenant
   * (`location_id`). Every table and view its migrations create must be named
   * `<source>_…`: the Postgres sink closes them to Supabase's `anon` and
   * `authenticated` roles, and opens them per tenant on this column only
   * when asked (`act_grant_tenant_access`).
   */
  readonly tenantColumn?: string | undefined;
}
