// Fetch-on-notify: Xero's webhooks carry only ids (a `resourceId` and a
// `resourceUrl` to GET with the tenant's token and `xero-tenant-id`,
// https://developer.xero.com/documentation/guides/webhooks/overview/), so the
// worker calls the connector's `hydrate` for every thin event and applies what
// it returns. What is applied is always the record as Xero holds it at fetch
// time, never the event as a diff: Xero documents no ordering and retries for
// up to 24 hours
// (https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/).
import type { HydrateContextV1 } from '@act/core';
import { xeroErrors } from './xero-error';
import { type XeroMirroredEntity, type XeroRecord, type XeroSourceEvent, xeroTimeMs } from './xero-events';

/** What `hydrate` asks the API for. */
export interface XeroFetchRecordRequest {
  /** The Xero tenant (organisation) id: sent as `xero-tenant-id`. */
  tenant: string;
  entity: XeroMirroredEntity;
  /** The record's id (lower case). */
  id: string;
  signal?: AbortSignal;
}

/**
 * Fetch one record: `GET https://api.xero.com/api.xro/2.0/{Contacts|Invoices|CreditNotes|Payments|BankTransactions}/{id}`
 * with the tenant's token and `xero-tenant-id` (required on Accounting API calls,
 * https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero_accounting.yaml), unwrapped from
 * the response's list (`{ "Invoices": [ … ] }`). Resolves `null` when Xero
 * answers 404; throws `ProviderApiError` for anything else that is not 2xx
 * (the worker refreshes on 401, waits on 429, retries 5xx).
 *
 * The URL is built from the entity and id, never taken from the event's
 * `resourceUrl`: the tenant's token is only ever sent to the configured API host.
 */
export type XeroFetchRecord = (request: XeroFetchRecordRequest) => Promise<XeroRecord | null>;

/** The Accounting API collection of each entity (https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero_accounting.yaml), as used in `/{Collection}/{id}` and in the response body. */
export const XERO_COLLECTIONS: Readonly<Record<XeroMirroredEntity, string>> = Object.freeze({
  contact: 'Contacts',
  invoice: 'Invoices',
  credit_note: 'CreditNotes',
  payment: 'Payments',
  bank_transaction: 'BankTransactions',
});

/**
 * The connector's `hydrate`: for a thin event, fetch the record and return
 * the event with the record as `payload`, `thin` dropped and `version` = its
 * `UpdatedDateUTC` in epoch ms (MS-JSON `/Date(ms+0000)/`, https://developer.xero.com/documentation/api/requests-and-responses)
 * and `observedAt` = when the record came back. Xero documents no ordering of
 * its webhooks and retries them for up to 24 hours
 * (https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/),
 * so a delivery can be fetched long after a later one: the fetch time, not
 * the receipt, says which copy is newer when two share an `UpdatedDateUTC`;
 * `null` when the record is gone (404), so nothing is applied. Events that
 * are not thin (polled, reconciled, App Store subscriptions) pass unchanged.
 *
 * Without `fetchRecord` (no API credentials) a thin event fails with a
 * `ConfigurationError`: the delivery is dead-lettered with that reason and can
 * be replayed once credentials are configured, instead of being dropped.
 */
export function createXeroHydrate(
  fetchRecord: XeroFetchRecord | undefined,
  now: () => Date = () => new Date(),
): (event: XeroSourceEvent, context?: HydrateContextV1) => Promise<XeroSourceEvent | null> {
  return async (event, context = {}) => {
    if (!event.thin) return event;
    if (!fetchRecord) {
      throw xeroErrors.configuration(
        `cannot fetch ${event.entity} ${event.entityId}: Xero webhooks carry only ids, and fetching the record needs API credentials (XERO_CLIENT_ID and XERO_CLIENT_SECRET)`,
      );
    }
    if (!Object.hasOwn(XERO_COLLECTIONS, event.entity)) {
      throw xeroErrors.configuration(`cannot fetch ${event.entity} ${event.entityId}: not an Accounting API record`);
    }
    const record = await fetchRecord({
      tenant: event.tenant,
      entity: event.entity as XeroMirroredEntity,
      id: event.entityId,
      ...(context.signal ? { signal: context.signal } : {}),
    });
    if (record === null) return null;
    const observedAt = now().getTime();
    const { thin: _thin, version: _notified, ...rest } = event;
    const version = xeroTimeMs(record.UpdatedDateUTC);
    return { ...rest, payload: record, observedAt, ...(version !== undefined ? { version } : {}) };
  };
}
