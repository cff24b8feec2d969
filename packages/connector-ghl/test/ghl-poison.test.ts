// Poison deliveries (issue 11, finding 5): validly signed GoHighLevel deliveries that can never be
// stored or applied. Through the real handler and worker, on the memory store, PGlite and (with
// DATABASE_URL) Postgres: each is answered 2xx (GHL retries only a 429 and drops anything else,
// so an authentic delivery is kept), then dead-lettered at once with a reason naming the problem.
// Never a 429/5xx loop at receipt, never a retry in the worker. Node-only (PGlite, pg).
import {
  createMemorySink,
  createMemoryStateStore,
  createWebhookHandler,
  createWorker,
  type SinkV1,
  type StateStoreV1,
} from '@act/core';
import { createPostgresState, type PgPoolLike } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGhlConnector } from '../src/index';
import { generateGhlTestKeys, signedGhlRequest, TEST_LOCATION, webhookFixtures } from './helpers/ghl-fixtures';

const DATABASE_URL = process.env.DATABASE_URL;
const keys = await generateGhlTestKeys();
const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const connector = createGhlConnector({ webhook: { ed25519PublicKeys: [keys.ed25519Pem] } });
/** 3,000 characters that do not compress (Postgres compresses index entries: a run of one letter would fit). */
const LONG = (() => {
  let seed = 42;
  let text = '';
  while (text.length < 3_000) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    text += (seed % 36).toString(36);
  }
  return text;
})();

/** GHL's documented contact update, in its envelope, with `set` applied on top. */
function contactUpdate(webhookId: string, set: Record<string, unknown> = {}): string {
  return JSON.stringify({
    ...JSON.parse(webhookFixtures['contact-update.1.json']),
    timestamp: new Date(T0).toISOString(),
    webhookId,
    ...set,
  });
}

function deep(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

interface Case {
  name: string;
  body: string;
  /** What the dead letter's reason must say. */
  reason: RegExp;
  /** Only where a real database refuses it (the memory sink stores anything). */
  sqlOnly?: boolean;
}

const cases: Case[] = [
  {
    name: 'a 100,000-deep JSON value inside a contact',
    body: contactUpdate('wh_deep', { customData: 1 }).replace('"customData":1', `"customData":${deep(100_000)}`),
    reason: /nested deeper than 128 levels/,
  },
  {
    name: 'a 100,000-deep JSON body',
    body: deep(100_000),
    reason: /nested deeper than 128 levels/,
  },
  {
    name: 'a 3,000-character record id',
    body: contactUpdate('wh_long_id', { id: LONG }),
    reason: /contact id "[0-9a-z]+…" \(3000 characters\) is longer than 512 UTF-8 bytes/,
  },
  {
    name: 'a NUL character in the tenant',
    body: contactUpdate('wh_nul_tenant', { locationId: `${TEST_LOCATION}\u0000` }),
    reason: /tenant ".*\\u0000" contains a NUL character/,
  },
  {
    name: 'a NUL character in the delivery id',
    body: contactUpdate('wh_nul\u0000id'),
    reason: /delivery id "wh_nul\\u0000id" contains a NUL character/,
  },
  {
    name: 'a 3,000-character tenant',
    body: contactUpdate('wh_long_tenant', { locationId: LONG }),
    reason: /tenant "[0-9a-z]+…" \(3000 characters\) is longer than 256 UTF-8 bytes/,
  },
  {
    name: 'a 3,000-character delivery id',
    body: contactUpdate(LONG),
    reason: /delivery id "[0-9a-z]+…" \(3000 characters\) is longer than 512 UTF-8 bytes/,
  },
  {
    name: 'a lone surrogate in the record id',
    body: contactUpdate('wh_surrogate').replace('"nmFmQEsNgz6AVpgLVUJ0"', '"nmFm\\ud800"'),
    reason: /contact id "nmFm\\ud800" contains a lone surrogate/,
  },
  {
    // Passes every id check; only Postgres' btree limit refuses it (SQLSTATE 54000 on ghl_opportunities_contact_idx).
    name: "a 3,000-character opportunity's contact id (an indexed column)",
    body: JSON.stringify({
      ...JSON.parse(webhookFixtures['opportunity-update.1.json']),
      timestamp: new Date(T0).toISOString(),
      webhookId: 'wh_long_contact',
      contactId: LONG,
    }),
    reason: /SQLSTATE 54000.*index row size/,
    sqlOnly: true,
  },
];

interface Backend {
  store: StateStoreV1;
  sink: SinkV1;
  destroy(): Promise<void>;
}

function suite(name: string, create: () => Promise<Backend>, options: { sql: boolean }) {
  describe(name, () => {
    for (const poison of cases) {
      if (poison.sqlOnly && !options.sql) continue;
      it(`${poison.name}: answered 2xx, then dead-lettered at once with the reason`, async () => {
        const backend = await create();
        try {
          const { store, sink } = backend;
          const handler = createWebhookHandler({
            processor: connector.webhook,
            store,
            now: () => new Date(T0 + 1_000),
          });
          // Every try GHL makes gets the same answer: never the 429 that makes it retry forever.
          for (let attempt = 0; attempt < 2; attempt++) {
            const response = await handler(await signedGhlRequest(poison.body, { keys }));
            expect(response.status).toBeGreaterThanOrEqual(200);
            expect(response.status).toBeLessThan(300);
          }
          const worker = createWorker({ connectors: [connector], store, sink, circuitBreaker: false });
          expect(await worker.drain()).toMatchObject({ claimed: 1, outcomes: { dead: 1, retrying: 0, done: 0 } });
          const [delivery, ...others] = await store.listDeliveries({});
          expect(others).toEqual([]);
          expect(delivery).toMatchObject({ status: 'dead', lastErrorClass: 'validation', attempts: 1 });
          expect(delivery?.lastError).toMatch(poison.reason);
          expect(delivery?.lastError).toMatch(/^\[@act\//);
          // The raw bytes are kept as received, so a fixed connector can replay them.
          expect(new TextDecoder().decode(delivery?.body)).toBe(poison.body);
        } finally {
          await backend.destroy();
        }
      });
    }
  });
}

const randomSchema = () => `act_poison_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

suite(
  'GHL poison deliveries (memory)',
  async () => ({ store: createMemoryStateStore(), sink: createMemorySink(), destroy: async () => {} }),
  { sql: false },
);

describe('on PGlite', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await PGlite.create();
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });
  suite(
    'GHL poison deliveries (PGlite through @act/sink-supabase)',
    async () => {
      const schema = randomSchema();
      const state = createPostgresState({ pglite: db }, { schema });
      await state.migrate({ connectors: [connector] });
      return {
        store: state.store,
        sink: state.sink,
        async destroy() {
          await state.close();
          await db.query(`drop schema if exists "${schema}" cascade`);
        },
      };
    },
    { sql: true },
  );
});

describe.skipIf(!DATABASE_URL)('on Postgres (DATABASE_URL)', () => {
  let pool: PgPoolLike & { on(event: 'error', listener: () => void): void; end(): Promise<void> };
  beforeAll(async () => {
    // pg has no types in this package (as in ghl-backfill.test.ts): import it untyped.
    const specifier: string = 'pg';
    const pg = (await import(specifier)) as { default: { Pool: new (config: object) => typeof pool } };
    pool = new pg.default.Pool({ connectionString: DATABASE_URL, max: 4 });
    pool.on('error', () => {});
  });
  afterAll(async () => {
    await pool?.end();
  });
  suite(
    'GHL poison deliveries (Postgres through @act/sink-supabase)',
    async () => {
      const schema = randomSchema();
      const state = createPostgresState({ pool }, { schema });
      await state.migrate({ connectors: [connector] });
      return {
        store: state.store,
        sink: state.sink,
        async destroy() {
          await state.close();
          await pool.query(`drop schema if exists "${schema}" cascade`);
        },
      };
    },
    { sql: true },
  );
});
