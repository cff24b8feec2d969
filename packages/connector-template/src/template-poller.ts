import { jsonCursor } from '@act/connector-kit';
import { ConfigurationError, type PollerV1 } from '@act/core';
import { z } from 'zod';
import type { TemplateClient } from './template-client';
import { type TemplateRecord, type TemplateSourceEvent, templateVersion } from './template-events';
import { TEMPLATE_PACKAGE_NAME, TEMPLATE_SOURCE } from './template-settings';

/**
 * Where the `records` poll stands, saved as JSON after each written page.
 *
 * - `updatedSince`: the listing being walked asks for records updated at or
 *   after this time (`null`: everything, a backfill).
 * - `page`: Template's `next_cursor` inside that listing (`null`: its first page).
 * - `newest`: the newest `updated_at` seen so far in this listing; when the
 *   listing ends it becomes the next `updatedSince`.
 *
 * So a backfill stopped after page 40 resumes at page 41, and a finished one
 * turns into incremental polls.
 */
const cursorSchema = z.object({
  updatedSince: z.string().nullable(),
  page: z.string().nullable(),
  newest: z.string().nullable(),
});
const positions = jsonCursor(cursorSchema, {
  start: { updatedSince: null, page: null, newest: null },
  packageName: TEMPLATE_PACKAGE_NAME,
  stream: 'records',
  kind: 'Template',
});

export interface TemplatePollerOptions {
  client: TemplateClient;
  /** Records per page, 1–100. */
  pageSize: number;
}

/**
 * Polls Template's record listing. Pages stream one at a time (an async
 * generator: the next page is fetched only when the runtime asks for it,
 * after it wrote this one), so a backfill never accumulates in memory.
 *
 * `updated_since` is inclusive, so each incremental poll reads the newest
 * record(s) of the last one again; the sink's version guard skips them as
 * unchanged. Deletions never appear in a listing: they arrive by webhook,
 * and reconciliation finds the ones that were missed.
 */
export function createTemplatePoller(options: TemplatePollerOptions): PollerV1<TemplateSourceEvent> {
  const { client, pageSize } = options;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
    throw new ConfigurationError({
      packageName: TEMPLATE_PACKAGE_NAME,
      message: `pageSize must be an integer from 1 to 100, got ${String(pageSize)}`,
    });
  }
  return {
    specificationVersion: 'v1',
    stream: 'records',
    async *poll({ tenant, cursor, signal }) {
      let position = positions.read(cursor);
      for (;;) {
        signal?.throwIfAborted();
        const page = await client.listRecords(tenant, {
          updatedSince: position.updatedSince,
          cursor: position.page,
          limit: pageSize,
          ...(signal ? { signal } : {}),
        });
        let newest = position.newest;
        for (const record of page.records) {
          if ((templateVersion(record.updated_at) ?? -Infinity) > (templateVersion(newest) ?? -Infinity))
            newest = record.updated_at ?? null;
        }
        position = page.next_cursor
          ? { updatedSince: position.updatedSince, page: page.next_cursor, newest }
          : { updatedSince: newest ?? position.updatedSince, page: null, newest: null };
        yield {
          events: page.records.map((record) => templateRecordToEvent(tenant, record)),
          cursor: positions.write(position),
        };
        if (!page.next_cursor) return;
      }
    },
  };
}

/** A listed record is applied like an update: the listing cannot tell a creation from a change. */
export function templateRecordToEvent(tenant: string, record: TemplateRecord): TemplateSourceEvent {
  const version = templateVersion(record.updated_at);
  return {
    source: TEMPLATE_SOURCE,
    tenant,
    type: 'record.updated',
    entity: 'record',
    entityId: record.id,
    ...(record.updated_at ? { occurredAt: record.updated_at } : {}),
    ...(version !== undefined ? { version } : {}),
    payload: record,
  };
}
