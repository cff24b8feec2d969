/**
 * Reconciliation listings: the safety net behind webhooks and polling. Core's
 * `runReconciliation` compares each listing with the mirror (keys and
 * versions), applies what is missing or older through the transformer, and
 * soft-deletes mirror rows Xero no longer lists, only after a completed
 * listing (and never more than `maxDeleteFraction` of a tenant's rows).
 *
 * ```ts
 * createXeroReconciler(options: XeroReconcilerOptions): ReconcilerV1<XeroPolledEvent>
 *   { client: XeroClient; entity: XeroMirroredEntity; pageSize?: number = 100 (1–1000);
 *     invoiceListings?: readonly XeroInvoiceListing[] = XERO_DEFAULT_INVOICE_LISTINGS }
 * createXeroReconcilers(options: { client; entities?: XeroMirroredEntity[] = all five; pageSize?;
 *   invoiceListings? }): ReconcilerV1<XeroPolledEvent>[]
 * ```
 *
 * Every reconciler takes its `table` (`xero_contacts`, `xero_invoices`,
 * `xero_credit_notes`, `xero_payments`, `xero_bank_transactions`),
 * `keyColumns: ['tenant_id', 'id']`, `scope(tenant) = { tenant_id }` and
 * `keyOf(event) = { tenant_id, id }` (ids lower-cased, `xeroId`) from the
 * mirror table definitions in xero-transform.ts, so its keys are the
 * transform's; events are shaped like the pollers' (xero-poller.ts).
 *
 * Listings (https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero_accounting.yaml):
 * - contacts with `includeArchived=true`: contacts are never deleted, only
 *   archived, so every contact stays listed and is mirrored with its
 *   `ContactStatus`;
 * - invoices in two listings: Xero's default one with `includeArchived=true`,
 *   then `Statuses=DELETED,VOIDED` (webhooks do not
 *   report every deletion, so poll for them explicitly), so deleted and
 *   voided invoices are mirrored as such (their status, never a missing row). The
 *   mirror row of an invoice is deleted only when neither listing has it.
 *   Which statuses the default listing leaves out is not documented; the
 *   union does not depend on it. `invoiceListings` replaces the pair (e.g.
 *   one listing of `XERO_INVOICE_STATUSES`, all six);
 * - credit notes, payments, bank transactions: Xero's default listing (the
 *   spec documents no status or archive parameter for them); a record
 *   the default listing leaves out (if it leaves out DELETED ones — not
 *   documented) is soft-deleted in the mirror, which is what it is at Xero.
 *
 * Stable order: each listing is the keyset walk of xero-poller.ts
 * (`order=UpdatedDateUTC ASC`, restarting at page 1 from the last page's
 * update time). Paging by update time with page NUMBERS would be unsafe (a
 * record changed mid-listing shifts the others past the cursor); with the
 * keyset a changed record just moves behind the cursor and is listed again,
 * and nothing that stays listed can be skipped, so no live record is ever
 * wrongly deleted. Versions are `UpdatedDateUTC` in epoch ms; changes Xero
 * makes without bumping it (DueDate, SentToContact, contact balances,
 * https://developer.xero.com/documentation/api/requests-and-responses)
 * are not "stale" here: the pollers' periodic full resync repairs those.
 */
import { ConfigurationError, type ReconcilerV1 } from '@act/core';
import type { XeroClient, XeroListParams } from './xero-client';
import { XERO_PACKAGE_NAME, type XeroMirroredEntity } from './xero-events';
import { checkPageSize, walkXero, XERO_STREAMS, type XeroPolledEvent, xeroRecordToEvent } from './xero-poller';
import { XERO_MIRROR_TABLES } from './xero-transform';

/** Parameters of one invoice listing. */
export type XeroInvoiceListing = Pick<XeroListParams, 'statuses' | 'includeArchived'>;

/** The default invoice listings: the default one with archived invoices, then the deleted and voided ones. */
export const XERO_DEFAULT_INVOICE_LISTINGS: readonly XeroInvoiceListing[] = Object.freeze([
  Object.freeze({ includeArchived: true }),
  Object.freeze({ statuses: Object.freeze(['DELETED', 'VOIDED']) }),
]);

const ALL_ENTITIES: readonly XeroMirroredEntity[] = [
  'contact',
  'invoice',
  'credit_note',
  'payment',
  'bank_transaction',
];

export interface XeroReconcilerOptions {
  client: XeroClient;
  entity: XeroMirroredEntity;
  /** `pageSize`, 1–1,000 (1,000 unverified). Default 100. */
  pageSize?: number;
  /** Invoices only: the listings whose union is "every invoice". */
  invoiceListings?: readonly XeroInvoiceListing[];
}

/** Every record of one entity, for `runReconciliation`. */
export function createXeroReconciler(options: XeroReconcilerOptions): ReconcilerV1<XeroPolledEvent> {
  const { client, entity } = options;
  if (!Object.hasOwn(XERO_MIRROR_TABLES, entity)) {
    throw new ConfigurationError({
      packageName: XERO_PACKAGE_NAME,
      message: `no reconciler for ${JSON.stringify(entity)}`,
    });
  }
  const pageSize = checkPageSize(options.pageSize ?? 100);
  let listings: readonly XeroListParams[];
  if (entity === 'invoice') listings = options.invoiceListings ?? XERO_DEFAULT_INVOICE_LISTINGS;
  else if (entity === 'contact') listings = [{ includeArchived: true }];
  else listings = [{}];
  if (listings.length === 0) {
    throw new ConfigurationError({
      packageName: XERO_PACKAGE_NAME,
      message: 'invoiceListings must list at least one listing',
    });
  }

  // Table, key columns, scope and keyOf come from the mirror table definition: the transform's keys.
  // `stream`: the poller whose cursor this listing would repair (core's CursorExpiredError contract).
  return XERO_MIRROR_TABLES[entity].reconciler(
    async function* ({ tenant, signal }) {
      for (const params of listings) {
        const walk = { client, entity, pageSize, params };
        for await (const step of walkXero(walk, tenant, { since: null, page: 1 }, signal)) {
          if (step.records.length) yield step.records.map((record) => xeroRecordToEvent(tenant, entity, record));
        }
      }
    },
    { stream: XERO_STREAMS[entity] },
  );
}

/** One reconciler per entity, in the order contacts, invoices, credit notes, payments, bank transactions. */
export function createXeroReconcilers(options: {
  client: XeroClient;
  entities?: readonly XeroMirroredEntity[];
  pageSize?: number;
  invoiceListings?: readonly XeroInvoiceListing[];
}): ReconcilerV1<XeroPolledEvent>[] {
  const { entities = ALL_ENTITIES, ...shared } = options;
  return entities.map((entity) => createXeroReconciler({ ...shared, entity }));
}
