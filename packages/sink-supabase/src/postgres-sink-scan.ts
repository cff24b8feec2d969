import {
  ConfigurationError,
  type SinkRowKeyV1,
  type SinkRowVersionV1,
  type SinkScanRequestV1,
  type SinkV1,
} from '@act/core';
import { PACKAGE_NAME } from './errors';
import type { BackendProvider } from './postgres-state-store';
import type { Row } from './sql/driver';

/** Rows per `act_sink_scan` call (one page of `SinkV1.scan`). */
export const DEFAULT_SCAN_PAGE_SIZE = 1_000;

/** `SinkV1.scan`'s request, plus the page size this sink reads at a time. */
export interface PostgresScanRequest extends SinkScanRequestV1 {
  /** Rows per page (one function call each); default 1,000. */
  pageSize?: number;
}

/** The Postgres sink: `SinkV1` whose `scan` is always there (reconciliation works with it). */
export interface PostgresSink extends SinkV1 {
  scan(request: PostgresScanRequest): AsyncGenerator<SinkRowVersionV1[], void, undefined>;
}

const BOOKKEEPING = new Set(['_version', '_payload_hash', '_deleted_at', '_synced_at']);

function invalid(message: string): ConfigurationError {
  return new ConfigurationError({ packageName: PACKAGE_NAME, message: `sink.scan: ${message}` });
}

function checkRequest(request: PostgresScanRequest): number {
  if (typeof request?.table !== 'string' || request.table === '') throw invalid('no table given');
  if (!Array.isArray(request.keyColumns) || request.keyColumns.length === 0) {
    throw invalid(`no key columns given for ${request.table}`);
  }
  for (const column of request.keyColumns) {
    if (typeof column !== 'string' || column === '' || BOOKKEEPING.has(column)) {
      throw invalid(`${request.table}: ${JSON.stringify(column)} cannot be a key column`);
    }
  }
  if (new Set(request.keyColumns).size !== request.keyColumns.length) {
    throw invalid(`${request.table}: key columns repeat (${request.keyColumns.join(', ')})`);
  }
  for (const [column, value] of Object.entries(request.where ?? {})) {
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
      throw invalid(`${request.table}: the value for ${column} must be a string or a finite number`);
    }
  }
  const pageSize = request.pageSize ?? DEFAULT_SCAN_PAGE_SIZE;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw invalid(`pageSize must be a positive integer, got ${String(pageSize)}`);
  }
  return pageSize;
}

/**
 * `SinkV1.scan` over `act_sink_scan` (0003_act_sink): the keys, versions
 * and deleted flags of the rows matching `where`, in key order, one function
 * call per page. Pages are keyset-paginated (each call starts after the last
 * key of the previous one), so a page costs the same however deep the scan
 * is, and rows written meanwhile cannot shift it. `signal` is checked before
 * each page.
 */
export async function* scanRows(
  backend: BackendProvider,
  request: PostgresScanRequest,
): AsyncGenerator<SinkRowVersionV1[], void, undefined> {
  const pageSize = checkRequest(request);
  let after: SinkRowKeyV1 | null = null;
  for (;;) {
    request.signal?.throwIfAborted();
    const rows: Row[] = await (await backend()).call('act_sink_scan', {
      p_table: request.table,
      p_where: request.where ?? {},
      p_key_columns: [...request.keyColumns],
      p_after: after,
      p_limit: pageSize,
    });
    if (rows.length === 0) return;
    const page: SinkRowVersionV1[] = rows.map(
      (row): SinkRowVersionV1 => ({
        key: row.key as SinkRowKeyV1,
        version: row.version === null || row.version === undefined ? undefined : Number(row.version),
        deleted: row.deleted === true,
      }),
    );
    after = (page.at(-1) as SinkRowVersionV1).key;
    yield page;
    if (rows.length < pageSize) return;
  }
}
