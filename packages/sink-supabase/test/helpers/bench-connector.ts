import type { ConnectorV1, SourceEventV1 } from '@act/core';
import type { Migration } from '../../src';

/** A made-up connector for load tests: one JSON thing per delivery, upserted by version. */
export interface BenchBody {
  tenant: string;
  id: string;
  name: string;
  version: number;
  deleted?: boolean;
}

export const BENCH_MIGRATION: Migration = {
  name: 'bench/0001_bench_things',
  sql: `create table bench_things (
  tenant_id text not null,
  id text not null,
  name text,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz,
  primary key (tenant_id, id)
);
`,
};

export function createBenchConnector(): ConnectorV1 {
  return {
    specificationVersion: 'v1',
    source: 'bench',
    packageName: '@act/bench-connector',
    webhooks: {
      default: {
        specificationVersion: 'v1',
        source: 'bench',
        packageName: '@act/bench-connector',
        persistedHeaders: [],
        async verify() {
          return { valid: true };
        },
        parse(request) {
          const body = JSON.parse(new TextDecoder().decode(request.body)) as BenchBody;
          const event: SourceEventV1<BenchBody> = {
            source: 'bench',
            tenant: body.tenant,
            type: body.deleted ? 'ThingDelete' : 'ThingUpdate',
            entity: 'thing',
            entityId: body.id,
            version: body.version,
            payload: body,
          };
          return { tenant: body.tenant, events: [event] };
        },
      },
    },
    transformer: {
      specificationVersion: 'v1',
      transform(event) {
        const body = event.payload as BenchBody;
        const key = { tenant_id: event.tenant, id: event.entityId };
        if (body.deleted) return [{ kind: 'delete', table: 'bench_things', key, version: body.version }];
        return [{ kind: 'upsert', table: 'bench_things', key, values: { name: body.name }, version: body.version }];
      },
    },
  };
}

/** The kit's seeded PRNG (mulberry32), so a failing shuffle can be replayed from its seed. */
export { seededRandom, shuffle } from '@act/connector-kit/testing';
