// gmail_communications and calendar_communications: emails and meetings as
// one row per participant, matched to contacts of other sources through the
// sink's identity map (act_identity_register). Applied by the sink's
// migrate() with a stand-in CRM connector whose contacts register their
// emails, as GHL's and Xero's do; on PGlite always, on Postgres when
// DATABASE_URL is set (a random schema, dropped afterwards).
import type { ConnectorV1 } from '@act/core';
import { createPostgresState } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createCalendarConnector, createGmailConnector } from '../src';

const DATABASE_URL = process.env.DATABASE_URL;

// A CRM whose contacts carry emails (GHL's contacts register the same way).
const crm: ConnectorV1 = {
  specificationVersion: 'v1',
  source: 'crm',
  packageName: '@act/connector-crm',
  transformer: { specificationVersion: 'v1', transform: () => [] } as unknown as ConnectorV1['transformer'],
  tenantColumn: 'account_id',
  migrations: [
    {
      name: '0001_crm_contacts',
      sql: `create table if not exists crm_contacts (
        account_id text not null, id text not null, email text,
        _version bigint, _payload_hash text, _deleted_at timestamptz, _synced_at timestamptz not null default now(),
        primary key (account_id, id));
      select act_identity_register('crm_contacts', 'crm', 'contact', 'account_id', 'id', p_email_columns => array['email']::name[]);`,
    },
  ],
};

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

function suite(name: string, open: () => Promise<{ query: Query; close: () => Promise<void> }>) {
  describe(name, () => {
    it('lists each email and meeting per participant, matched to the one contact holding the address', async () => {
      const { query, close } = await open();
      try {
        await query(`insert into crm_contacts (account_id, id, email) values
          ('acct', 'c-ana', 'ana@client.example'),
          ('acct', 'c-bo1', 'bo@client.example'),
          ('acct', 'c-bo2', 'bo@client.example'),
          ('acct', 'c-gone', 'cy@client.example')`);
        await query(`update crm_contacts set _deleted_at = now() where id = 'c-gone'`);
        await query(`insert into gmail_messages
          (mailbox, id, thread_id, subject, internal_date, from_addresses, to_addresses, cc_addresses, _version) values
          ('me@team.example', 'm1', 't1', 'Quote', '2026-12-01T10:00:00Z',
             array['ana@client.example'], array['me@team.example'], array['bo@client.example'], 10),
          ('me@team.example', 'm2', 't1', 'Re: Quote', '2026-12-01T11:00:00Z',
             array['me@team.example'], array['ana@client.example', 'cy@client.example'], null, 11),
          ('me@team.example', 'm3', 't2', 'Deleted', '2026-12-01T12:00:00Z',
             array['ana@client.example'], array['me@team.example'], null, 12)`);
        await query(`update gmail_messages set _deleted_at = now() where id = 'm3'`);
        // A note to self: no other participant, still one row (the timeline shows it).
        await query(`insert into gmail_messages (mailbox, id, subject, from_addresses, to_addresses, _version)
          values ('me@team.example', 'm4', 'Note', array['me@team.example'], array['me@team.example'], 13)`);
        await query(`insert into calendar_events
          (calendar_id, id, summary, start_at, organizer_email, attendee_emails, _version) values
          ('me@team.example', 'e1', 'Kick-off', '2026-12-02T09:00:00Z', 'me@team.example',
             array['me@team.example', 'ana@client.example', 'dee@else.example'], 20),
          ('me@team.example', 'e2', 'All hands', null, 'ana@client.example', array['me@team.example'], 21)`);
        await query(`update calendar_events set start_date = '2026-12-03' where id = 'e2'`);

        const emails = await query(
          `select record_id, direction, participant_role, participant_address, contact_source, contact_record_id
           from gmail_communications where record_id <> 'm4' order by record_id, participant_address`,
        );
        expect(emails).toEqual([
          // Inbound from Ana (a unique contact); Bo's address is held by two contacts: a conflict, matched to none.
          {
            record_id: 'm1',
            direction: 'inbound',
            participant_role: 'from',
            participant_address: 'ana@client.example',
            contact_source: 'crm',
            contact_record_id: 'c-ana',
          },
          {
            record_id: 'm1',
            direction: 'inbound',
            participant_role: 'cc',
            participant_address: 'bo@client.example',
            contact_source: null,
            contact_record_id: null,
          },
          // Sent by the mailbox; the mailbox itself is never a participant; a deleted contact matches nothing.
          {
            record_id: 'm2',
            direction: 'outbound',
            participant_role: 'to',
            participant_address: 'ana@client.example',
            contact_source: 'crm',
            contact_record_id: 'c-ana',
          },
          {
            record_id: 'm2',
            direction: 'outbound',
            participant_role: 'to',
            participant_address: 'cy@client.example',
            contact_source: null,
            contact_record_id: null,
          },
        ]);

        expect(
          await query(
            `select mailbox, direction, participant_address, contact_record_id from gmail_communications where record_id = 'm4'`,
          ),
        ).toEqual([
          { mailbox: 'me@team.example', direction: 'outbound', participant_address: null, contact_record_id: null },
        ]);

        const meetings = await query(
          `select record_id, direction, participant_role, participant_address, contact_record_id,
             occurred_at = '2026-12-03T00:00:00Z'::timestamptz as all_day_at_midnight
           from calendar_communications order by record_id, participant_address`,
        );
        expect(meetings).toEqual([
          {
            record_id: 'e1',
            direction: 'outbound',
            participant_role: 'attendee',
            participant_address: 'ana@client.example',
            contact_record_id: 'c-ana',
            all_day_at_midnight: false,
          },
          {
            record_id: 'e1',
            direction: 'outbound',
            participant_role: 'attendee',
            participant_address: 'dee@else.example',
            contact_record_id: null,
            all_day_at_midnight: false,
          },
          {
            record_id: 'e2',
            direction: 'inbound',
            participant_role: 'organizer',
            participant_address: 'ana@client.example',
            contact_record_id: 'c-ana',
            all_day_at_midnight: true,
          },
        ]);

        // Another team's contacts (another tenant group) never match this mailbox's emails.
        await query(`select act_identity_set_tenant_group('crm', 'acct', 'team-b')`);
        const afterGrouping = await query(
          `select count(*)::int as matched from gmail_communications where contact_record_id is not null`,
        );
        expect(afterGrouping).toEqual([{ matched: 0 }]);
        await query(`select act_identity_set_tenant_group('gmail', 'me@team.example', 'team-b')`);
        const sameGroup = await query(
          `select count(*)::int as matched from gmail_communications where contact_record_id is not null`,
        );
        expect(sameGroup).toEqual([{ matched: 2 }]);
      } finally {
        await close();
      }
    });
  });
}

const connectors = () => [crm, createGmailConnector({}), createCalendarConnector({})] as ConnectorV1[];
const randomSchema = () => `gmail_comms_${Math.random().toString(36).slice(2, 10)}`;

let pglite: PGlite | undefined;
afterAll(async () => {
  await pglite?.close();
});

suite('PGlite through @act/sink-supabase', async () => {
  pglite ??= await PGlite.create();
  const db = pglite;
  const schema = randomSchema();
  const state = createPostgresState({ pglite: db }, { schema });
  await state.migrate({ connectors: connectors() });
  await db.query(`set search_path to "${schema}", public`);
  return {
    query: async (sql) => (await db.query<Record<string, unknown>>(sql)).rows,
    close: async () => {
      await state.close();
      await db.query(`drop schema if exists "${schema}" cascade`);
    },
  };
});

describe.skipIf(!DATABASE_URL)('Postgres (DATABASE_URL)', () => {
  suite('Postgres through @act/sink-supabase', async () => {
    const schema = randomSchema();
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2, options: `-c search_path="${schema}",public` });
    const state = createPostgresState({ pool }, { schema });
    await state.migrate({ connectors: connectors() });
    return {
      query: async (sql) => (await pool.query(sql)).rows,
      close: async () => {
        await state.close();
        await pool.query(`drop schema if exists "${schema}" cascade`);
        await pool.end();
      },
    };
  });
});
