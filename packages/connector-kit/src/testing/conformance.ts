// Conformance suites for a connector built on the kit: what the transformer
// writes exists in the migrations, reconcilers key rows as the transformer
// does, migrations can be applied twice, and a reconciler repairs a mirror
// then finds nothing more to do. Each registers vitest tests; call it at the
// top level of a test file.
import {
  type ConnectorV1,
  createMemorySink,
  createMemoryStateStore,
  type ReconcilerV1,
  type ReconciliationReport,
  runReconciliation,
  type SinkOperationV1,
  type SourceEventV1,
} from '@act/core';
import { describe, expect, it } from 'vitest';
import { MIRROR_BOOKKEEPING_COLUMNS, mirrorTableDrift } from '../mirror/mirror-sql';
import type { MirrorTable } from '../mirror/mirror-table';

/** The part of PGlite (or any Postgres client) the suites use. */
export interface ConformanceDatabase {
  exec(sql: string): Promise<unknown>;
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  close?(): Promise<void>;
}

export interface TestConnectorOptions<TEvent extends SourceEventV1> {
  /** The mirror tables (default: `connector.transformer.mirrorTables`, set by `mirrorTransformer`). */
  tables?: readonly MirrorTable<TEvent>[];
  /** Sample events (fixtures): each one's operations must name only columns the migrations create. */
  events?: readonly TEvent[];
  /** A database to apply the migrations to; default a new in-memory PGlite (`@electric-sql/pglite`). */
  database?: () => Promise<ConformanceDatabase>;
  /**
   * Migrations applied once before the connector's, in the same schema: the
   * sink's (`ACT_MIGRATIONS` of @act/sink-supabase) when the connector's call
   * its functions (`act_identity_register`, `act_fact_views`).
   */
  prerequisites?: readonly { readonly sql: string }[];
}

async function openDatabase(options: { database?: () => Promise<ConformanceDatabase> }): Promise<ConformanceDatabase> {
  if (options.database) return options.database();
  const { PGlite } = await import('@electric-sql/pglite');
  return PGlite.create();
}

/** `ConnectorV1` with the pieces the suites read. */
type Checked<TEvent extends SourceEventV1> = Pick<
  ConnectorV1<TEvent>,
  'source' | 'transformer' | 'migrations' | 'reconcilers' | 'tenantColumn'
>;

/**
 * `testConnector(connector, { events })`: the mirror tables and their
 * bookkeeping columns exist (in the SQL and once applied) for everything the
 * transformer writes; every reconciler's table, key columns and scope are its
 * mirror table's and `keyOf` gives the transform's key; migrations apply twice.
 */
export function testConnector<TEvent extends SourceEventV1>(
  connector: Checked<TEvent>,
  options: TestConnectorOptions<TEvent> = {},
): void {
  const tables =
    options.tables ?? (connector.transformer as { mirrorTables?: readonly MirrorTable<TEvent>[] }).mirrorTables ?? [];
  const migrations = connector.migrations ?? [];
  const sql = migrations.map((migration) => migration.sql);

  describe(`${connector.source}: connector conformance`, () => {
    it('declares its mirror tables and migrations', () => {
      expect(
        tables.length,
        'no mirror tables: pass `tables`, or build the transformer with mirrorTransformer',
      ).toBeGreaterThan(0);
      expect(migrations.length).toBeGreaterThan(0);
    });

    it('the migrations create every column the transformer writes, and the bookkeeping ones', () => {
      for (const table of tables) expect(mirrorTableDrift(table, sql)).toEqual({ table: table.table, missing: [] });
    });

    it('the tenant column is every mirror table’s tenant key', () => {
      if (connector.tenantColumn === undefined) return;
      for (const table of tables) expect(table.tenantColumn).toBe(connector.tenantColumn);
    });

    it('reconcilers use their mirror table’s key columns and scope', () => {
      for (const reconciler of connector.reconcilers ?? []) {
        const table = tables.find((candidate) => candidate.table === reconciler.table);
        expect(table, `reconciler for ${reconciler.table}, which no mirror table declares`).toBeDefined();
        expect([...reconciler.keyColumns]).toEqual([...(table as MirrorTable<TEvent>).keyColumns]);
        expect(reconciler.scope('Tenant-1')).toEqual((table as MirrorTable<TEvent>).scope('Tenant-1'));
      }
    });

    it('applies the migrations twice (idempotent), and the applied tables have every column', async () => {
      const db = await openDatabase(options);
      try {
        const schema = `conformance_${Math.random().toString(36).slice(2, 10)}`;
        await db.exec(`create schema ${schema}; set search_path to ${schema}, public;`);
        for (const migration of options.prerequisites ?? []) await db.exec(migration.sql);
        for (let round = 0; round < 2; round++) {
          for (const migration of migrations) await db.exec(migration.sql);
        }
        for (const table of tables) {
          const { rows } = await db.query<{ column_name: string }>(
            'select column_name from information_schema.columns where table_schema = $1 and table_name = $2',
            [schema, table.table],
          );
          const applied = new Set(rows.map((row) => row.column_name));
          const missing = [...table.columnNames, ...MIRROR_BOOKKEEPING_COLUMNS].filter((name) => !applied.has(name));
          expect({ table: table.table, missing }).toEqual({ table: table.table, missing: [] });
        }
        await db.exec(`drop schema ${schema} cascade; set search_path to public;`);
      } finally {
        await db.close?.();
      }
      // PGlite starts in seconds, more on a busy machine.
    }, 60_000);

    if (options.events?.length) {
      it('sample events write only declared columns, keyed as their reconciler keys them', async () => {
        for (const event of options.events ?? []) {
          for (const operation of await connector.transformer.transform(structuredClone(event), {})) {
            const table = tables.find((candidate) => candidate.table === operation.table);
            expect(table, `${event.type} writes ${operation.table}, which no mirror table declares`).toBeDefined();
            const declared = new Set((table as MirrorTable<TEvent>).columnNames);
            const written = [
              ...Object.keys(operation.key),
              ...(operation.kind === 'upsert' ? Object.keys(operation.values) : []),
            ];
            expect(
              written.filter((name) => !declared.has(name)),
              `${event.type} → ${operation.table}`,
            ).toEqual([]);
            for (const reconciler of connector.reconcilers ?? []) {
              if (reconciler.table === operation.table) expect(reconciler.keyOf(event)).toEqual(operation.key);
            }
          }
        }
      });
    }
  });
}

export interface TestReconcilerOptions<TEvent extends SourceEventV1> {
  /** The connector whose transformer (and `hydrate`) applies listed records. */
  connector: ConnectorV1<TEvent>;
  reconciler: ReconcilerV1<TEvent>;
  tenant: string;
  /** Called before each listing (three in all): serve the provider's answers (nock, a fake API). */
  serve?: () => void | Promise<void>;
  /** Events applied to the mirror before the first run (rows that are stale, or gone at the provider). */
  mirror?: readonly TEvent[];
  /** What the first run must report (only the counts given are checked). */
  expected?: Partial<Pick<ReconciliationReport, 'listed' | 'missing' | 'stale' | 'drifted' | 'unchanged' | 'deleted'>>;
}

/**
 * `testReconciler({ connector, reconciler, tenant, serve, mirror, expected })`:
 * the listing's `keyOf` is the transform's key and inside `scope(tenant)`;
 * on a memory sink, a first run repairs the mirror (`expected`), and a second
 * one finds nothing missing, stale or gone.
 */
export function testReconciler<TEvent extends SourceEventV1>(options: TestReconcilerOptions<TEvent>): void {
  const { connector, reconciler, tenant } = options;
  const connectorV1 = connector as unknown as ConnectorV1;
  const reconcilerV1 = reconciler as unknown as ReconcilerV1;

  describe(`${connector.source}: ${reconciler.table} reconciler conformance`, () => {
    it('keys each listed record as the transformer does, inside the tenant’s scope', async () => {
      await options.serve?.();
      const scope = reconciler.scope(tenant);
      let listed = 0;
      for await (const page of reconciler.list({ tenant })) {
        for (const event of page) {
          listed++;
          const full = event.thin && connector.hydrate ? await connector.hydrate(event, {}) : event;
          if (!full) continue;
          const operations: SinkOperationV1[] = await connector.transformer.transform(full, {});
          const own = operations.filter((operation) => operation.table === reconciler.table);
          expect(own.length, `${event.entityId} writes nothing to ${reconciler.table}`).toBeGreaterThan(0);
          for (const operation of own) {
            expect(reconciler.keyOf(event)).toEqual(operation.key);
            expect(operation.key).toMatchObject(scope);
          }
        }
      }
      expect(listed).toBeGreaterThan(0);
    });

    it('repairs the mirror, then finds nothing more to do', async () => {
      const sink = createMemorySink();
      const store = createMemoryStateStore();
      const seed: SinkOperationV1[] = [];
      for (const event of options.mirror ?? []) seed.push(...(await connector.transformer.transform(event, {})));
      if (seed.length) await sink.apply(seed);
      const run = async () => {
        await options.serve?.();
        const [report] = await runReconciliation({
          connector: connectorV1,
          reconciler: reconcilerV1,
          tenant,
          store,
          sink,
        });
        return report as ReconciliationReport;
      };
      const first = await run();
      if (options.expected) expect(first).toMatchObject(options.expected);
      const second = await run();
      expect(second).toMatchObject({ listed: first.listed, missing: 0, stale: 0, drifted: 0, deleted: 0 });
    });
  });
}
