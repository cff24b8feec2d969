// Cross-source identity end to end: a Xero contact and a GHL contact applied
// through each connector's own transformer (documented fixture payloads) and
// @act/sink-supabase are linked by email, whatever its case and spaces
// upstream; a second GHL contact with that email is a conflict, never a
// link; a GHL delete (tombstone) takes its contact's identities away. On
// PGlite always, on Postgres when DATABASE_URL is set.
import { createGhlConnector, type GhlSourceEvent } from '@act/connector-ghl';
import { FIXTURES as GHL_FIXTURES, withGhlEnvelope } from '@act/connector-ghl/testing';
import { createXeroConnector } from '@act/connector-xero';
import { FIXTURES as XERO_FIXTURES, xeroRecordToEvent } from '@act/connector-xero/testing';
import type { Logger, SinkOperationV1, SourceEventV1, TransformerV1 } from '@act/core';
import { createPostgresState, type PostgresState } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

const DATABASE_URL = process.env.DATABASE_URL;
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const ghl = createGhlConnector({ logger: silent });
const xero = createXeroConnector({ webhook: { keys: ['test_key'] }, logger: silent });

const XERO_TENANT = 'e629a03c-7ffe-4913-bd94-ff2fdb36a702';
const GHL_LOCATION = 've9EPM428h8vShlRW1KT';
const GHL_CONTACT = 'nmFmQEsNgz6AVpgLVUJ0';
const encoder = new TextEncoder();
const receivedAt = new Date('2026-03-02T10:00:00.000Z');

/** getContact's documented example, its email as a person might type it (a documented field, changed). */
function xeroContactEvent(emailAddress: string): SourceEventV1 {
  const [record] = (
    JSON.parse(XERO_FIXTURES['api-contact.1.json'] as string) as { Contacts: Record<string, unknown>[] }
  ).Contacts;
  return xeroRecordToEvent(XERO_TENANT, 'contact', { ...record, EmailAddress: emailAddress });
}

/** A documented GHL contact webhook (optionally as another contact), parsed by the connector's webhook processor. */
async function ghlEvent(fixture: 'contact-create.1.json' | 'contact-delete.1.json', id = GHL_CONTACT, at = receivedAt) {
  const body = { ...(JSON.parse(GHL_FIXTURES[fixture] as string) as Record<string, unknown>), id };
  const text = withGhlEnvelope(JSON.stringify(body, null, 2), {
    timestamp: at.toISOString(),
    webhookId: `wh-${id}-${fixture}`,
  });
  const parsed = await ghl.webhook.parse({
    method: 'POST',
    url: 'https://example.com/webhooks/ghl',
    body: encoder.encode(text),
    headers: { 'x-ghl-signature': 'verified upstream' },
    receivedAt: at,
  });
  const [event] = parsed.events;
  if (!event) throw new Error(`${fixture} gave no event`);
  return event as GhlSourceEvent;
}

async function apply<TEvent extends SourceEventV1>(
  state: PostgresState,
  transformer: TransformerV1<TEvent>,
  event: TEvent,
): Promise<void> {
  const operations: SinkOperationV1[] = await transformer.transform(event, {});
  await state.sink.apply(operations);
}

type Open = () => Promise<{ state: PostgresState; drop(): Promise<void> }>;

function suite(open: Open) {
  it('links a Xero contact and a GHL contact by email; a second GHL contact is a conflict; a delete unlinks', async () => {
    const { state, drop } = await open();
    try {
      await state.migrate({ connectors: [ghl, xero] });
      const xeroEvent = xeroContactEvent('  JohnDeo@GMAIL.comm ');
      const xeroId = xeroEvent.entityId.toLowerCase();
      const linksOfXero = async () =>
        (await state.identities.matches({ source: 'xero', tenant: XERO_TENANT, recordId: xeroId })).map(
          (match) => `${match.source}/${match.tenant}/${match.recordId} by ${match.rules.join('+')}`,
        );

      // The GHL example's email is "JohnDeo@gmail.comm".
      await apply(state, xero.transformer, xeroEvent);
      await apply(state, ghl.transformer, await ghlEvent('contact-create.1.json'));
      expect(await linksOfXero()).toEqual([`ghl/${GHL_LOCATION}/${GHL_CONTACT} by email`]);
      const fromGhl = await state.identities.matches({ source: 'ghl', tenant: GHL_LOCATION, recordId: GHL_CONTACT });
      expect(fromGhl).toEqual([
        {
          source: 'xero',
          tenant: XERO_TENANT,
          entity: 'contact',
          recordId: xeroId,
          rules: ['email'],
          values: [{ kind: 'email', value: 'johndeo@gmail.comm' }],
          ambiguous: false,
        },
      ]);

      // A second GHL contact with the same email: which one is the Xero contact is not guessed.
      await apply(state, ghl.transformer, await ghlEvent('contact-create.1.json', 'second-contact'));
      expect(await linksOfXero()).toEqual([]);
      const conflicts = await state.identities.conflicts({ source: 'ghl' });
      // Its phone too (the same example, +919509597501): both values are reported, neither links.
      expect(conflicts.map((conflict) => `${conflict.kind} ${conflict.value}`)).toEqual([
        'email johndeo@gmail.comm',
        'phone +919509597501',
      ]);
      expect(conflicts[0]).toEqual({
        tenantGroup: 'default',
        source: 'ghl',
        entity: 'contact',
        kind: 'email',
        value: 'johndeo@gmail.comm',
        records: [
          { tenant: GHL_LOCATION, recordId: GHL_CONTACT },
          { tenant: GHL_LOCATION, recordId: 'second-contact' },
        ],
      });

      // GHL deletes the first one (a tombstone in the mirror): no conflict, the second one is the match.
      await apply(
        state,
        ghl.transformer,
        await ghlEvent('contact-delete.1.json', GHL_CONTACT, new Date('2026-03-02T10:05:00Z')),
      );
      expect(await state.identities.conflicts()).toEqual([]);
      expect(await linksOfXero()).toEqual([`ghl/${GHL_LOCATION}/second-contact by email`]);
      await apply(
        state,
        ghl.transformer,
        await ghlEvent('contact-delete.1.json', 'second-contact', new Date('2026-03-02T10:06:00Z')),
      );
      expect(await linksOfXero()).toEqual([]);

      // Archived at Xero: no identities either (the GHL contact comes back, nothing links to the archived one).
      await apply(state, ghl.transformer, await ghlEvent('contact-create.1.json', 'third-contact'));
      expect(await linksOfXero()).toHaveLength(1);
      const archived = xeroContactEvent('johndeo@gmail.comm');
      await apply(state, xero.transformer, {
        ...archived,
        version: (archived.version ?? 0) + 1,
        payload: { ...(archived.payload as object), ContactStatus: 'ARCHIVED' },
      });
      expect(await linksOfXero()).toEqual([]);
    } finally {
      await state.close();
      await drop();
    }
  }, 120_000);
}

const schemaName = () => `xero_id_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

describe('identity on PGlite', () => {
  let db: Promise<PGlite> | undefined;
  afterAll(async () => {
    if (db) await (await db).close();
  });
  suite(async () => {
    db ??= PGlite.create();
    const pglite = await db;
    const schema = schemaName();
    return {
      state: createPostgresState({ pglite }, { schema }),
      drop: async () => void (await pglite.query(`drop schema if exists "${schema}" cascade`)),
    };
  });
});

describe.skipIf(!DATABASE_URL)('identity on Postgres (DATABASE_URL)', () => {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  afterAll(() => pool.end());
  suite(async () => {
    const schema = schemaName();
    return {
      state: createPostgresState({ pool }, { schema }),
      drop: async () => void (await pool.query(`drop schema if exists "${schema}" cascade`)),
    };
  });
});
