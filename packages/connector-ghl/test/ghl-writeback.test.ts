import { readFileSync } from 'node:fs';
import { createMemorySink, type MemorySink } from '@act/core';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGhlClient } from '../src/ghl-client';
import { createGhlConnector } from '../src/ghl-connector';
import { ghlContactToEvent } from '../src/ghl-poller';
import { createGhlTransformer } from '../src/ghl-transform';
import {
  createGhlWriter,
  type GhlContactChange,
  type GhlContactMirror,
  ghlMirrorContactFromRow,
} from '../src/ghl-writeback';
import { BASE_URL, LOCATION, PIT } from './helpers/ghl-fake-api';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

// Every request that leaves the process, to any host or path, is recorded
// here; the blocked-field assertions run over all of them.
interface Recorded {
  method: string;
  url: string;
  body: string;
}
let recorded: Recorded[] = [];

beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  recorded = [];
  // Catch-alls for every method on GHL's host: upsert answers like the docs' example, anything else 404.
  nock(BASE_URL)
    .persist()
    .post('/contacts/upsert')
    .reply(async (request: Request) => {
      const body = await request.text();
      recorded.push({ method: request.method, url: request.url, body });
      const sent = JSON.parse(body) as Record<string, unknown>;
      const example = fixture('api-contact-upsert.1.json') as { contact: Record<string, unknown> };
      const isNew = sent.email === 'new.person@example.com';
      return [200, { new: isNew, contact: { ...example.contact, id: isNew ? 'ghl-new-1' : 'ghl-c1' } }];
    });
  for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
    nock(BASE_URL)
      .persist()
      [method](/.*/)
      .reply(async (request: Request) => {
        recorded.push({ method: request.method, url: request.url, body: await request.text() });
        return [404, { statusCode: 404, message: 'not simulated' }];
      });
  }
});
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** The user's protocol: these fields never go to GHL. */
const fieldPolicies = {
  ghl_contacts: { blocked: ['date_of_birth', 'tribal_affiliation', 'clan_name'] },
};
const SACRED_VALUE = 'Story of the river people';

/** The mirror: the connector's transformer writing GHL contacts into a memory sink, read back by id, email or phone. */
function mirrorOf(sink: MemorySink): GhlContactMirror {
  return {
    async findContact(tenant, key) {
      const rows = sink.rows('ghl_contacts').filter((row) => row.key.location_id === tenant);
      const row =
        rows.find((candidate) => key.id !== undefined && candidate.key.id === key.id) ??
        rows.find((candidate) => key.email !== undefined && candidate.values.email === key.email) ??
        rows.find((candidate) => key.phone !== undefined && candidate.values.phone === key.phone);
      return row ? ghlMirrorContactFromRow({ ...row.values, ...row.key, _version: row.version ?? null }) : null;
    },
  };
}

async function seedMirror(sink: MemorySink, record: Record<string, unknown>) {
  const event = ghlContactToEvent(LOCATION, { id: 'ghl-c1', ...record } as never);
  const operations = await createGhlTransformer({ defaultPhoneCountry: 'US' }).transform(event, {});
  await sink.apply(operations);
}

const existing = {
  firstName: 'Aroha',
  lastName: 'Ngata',
  email: 'aroha@example.com',
  phone: '+14155550123',
  tags: ['storyteller', 'elder'],
  dateUpdated: '2026-03-01T10:00:00.000Z',
};
const mirroredAt = Date.parse(existing.dateUpdated);

function setup() {
  const sink = createMemorySink();
  const client = createGhlClient({ auth: { type: 'private-integration', token: PIT }, retry: { baseDelayMs: 1 } });
  const writer = createGhlWriter({ client, fieldPolicies, mirror: mirrorOf(sink), defaultCountry: 'US' });
  return { sink, writer };
}

/** No recorded request may carry a blocked field, under any spelling, or its value. */
function expectNothingBlockedSent() {
  for (const request of recorded) {
    expect(request.body).not.toContain(SACRED_VALUE);
    expect(request.body).not.toContain('1961-04-12');
    const body = request.body ? (JSON.parse(request.body) as Record<string, unknown>) : {};
    for (const name of [
      'date_of_birth',
      'dateOfBirth',
      'tribal_affiliation',
      'tribalAffiliation',
      'clan_name',
      'clanName',
    ])
      expect(body).not.toHaveProperty(name);
    for (const entry of (body.customFields as { id?: string; key?: string }[] | undefined) ?? []) {
      expect(['tribal_affiliation', 'contact.tribal_affiliation', 'clan_name']).not.toContain(entry.key);
      expect(['tribal_affiliation', 'clan_name']).not.toContain(entry.id);
    }
  }
}

describe('GHL write-back', () => {
  it('never sends a blocked field: every request body is checked', async () => {
    const { sink, writer } = setup();
    await seedMirror(sink, existing);
    const changes: GhlContactChange[] = [
      // A new contact, with blocked fields in both spellings and as custom fields.
      {
        changedAt: mirroredAt + 1,
        fields: {
          firstName: 'New',
          email: 'new.person@example.com',
          dateOfBirth: '1961-04-12',
          tribal_affiliation: SACRED_VALUE,
          customFields: [
            { key: 'contact.tribal_affiliation', field_value: SACRED_VALUE },
            { id: 'clan_name', field_value: SACRED_VALUE },
            { key: 'favourite_colour', field_value: 'teal' },
          ],
        },
      },
      // An update of a mirrored contact, blocked fields only in snake_case and camelCase.
      {
        changedAt: mirroredAt + 60_000,
        contactId: 'ghl-c1',
        fields: {
          email: 'Aroha@Example.com',
          firstName: 'Aroha Mere',
          date_of_birth: '1961-04-12',
          clanName: SACRED_VALUE,
        },
      },
      // Nothing but blocked fields and the natural key: unchanged after stripping.
      { changedAt: mirroredAt + 120_000, fields: { email: 'aroha@example.com', dateOfBirth: '1961-04-12' } },
    ];
    const results = [];
    for (const change of changes) results.push(await writer.upsertContact(LOCATION, change));

    expect(results).toEqual([
      {
        outcome: 'created',
        contactId: 'ghl-new-1',
        removedFields: [
          'dateOfBirth',
          'tribal_affiliation',
          'customFields.contact.tribal_affiliation',
          'customFields.clan_name',
        ],
        sentFields: ['firstName', 'email', 'customFields'],
      },
      {
        outcome: 'updated',
        contactId: 'ghl-c1',
        removedFields: ['date_of_birth', 'clanName'],
        sentFields: ['firstName', 'email'],
      },
      { outcome: 'skipped', reason: 'unchanged', contactId: 'ghl-c1', removedFields: ['dateOfBirth'] },
    ]);
    expect(recorded).toHaveLength(2);
    expect(recorded.every((request) => request.url === `${BASE_URL}/contacts/upsert`)).toBe(true);
    expect(JSON.parse(recorded[0]?.body ?? '{}')).toEqual({
      firstName: 'New',
      email: 'new.person@example.com',
      customFields: [{ key: 'favourite_colour', field_value: 'teal' }],
      locationId: LOCATION,
    });
    expect(JSON.parse(recorded[1]?.body ?? '{}')).toEqual({
      firstName: 'Aroha Mere',
      email: 'Aroha@Example.com',
      locationId: LOCATION,
    });
    expectNothingBlockedSent();
  });

  it('skips a change when the natural key itself is blocked, without any request', async () => {
    const sink = createMemorySink();
    const client = createGhlClient({ auth: { type: 'private-integration', token: PIT } });
    const writer = createGhlWriter({
      client,
      fieldPolicies: { ghl_contacts: { blocked: ['email', 'phone'] } },
      mirror: mirrorOf(sink),
    });
    const result = await writer.upsertContact(LOCATION, {
      changedAt: Date.now(),
      fields: { email: 'a@example.com', phone: '+14155550100', firstName: 'A' },
    });
    expect(result).toEqual({
      outcome: 'skipped',
      reason: 'no-natural-key',
      contactId: undefined,
      removedFields: ['email', 'phone'],
    });
    expect(recorded).toEqual([]);
  });

  it('latest write wins: a local change older than the mirror’s version is skipped; a newer one is sent', async () => {
    const { sink, writer } = setup();
    await seedMirror(sink, existing);
    const stale = await writer.upsertContact(LOCATION, {
      changedAt: mirroredAt - 1,
      fields: { email: 'aroha@example.com', firstName: 'Old local edit' },
    });
    expect(stale).toMatchObject({ outcome: 'skipped', reason: 'stale', contactId: 'ghl-c1' });
    // Equal times: GHL (the source of truth for the mirror) wins the tie.
    const tie = await writer.upsertContact(LOCATION, {
      changedAt: mirroredAt,
      fields: { email: 'aroha@example.com', firstName: 'Same instant' },
    });
    expect(tie).toMatchObject({ outcome: 'skipped', reason: 'stale' });
    expect(recorded).toEqual([]);

    const newer = await writer.upsertContact(LOCATION, {
      changedAt: mirroredAt + 1,
      fields: { phone: '(415) 555-0123', lastName: 'Ngata-Smith', tags: ['elder', 'storyteller'] },
    });
    expect(newer).toMatchObject({ outcome: 'updated', sentFields: ['lastName', 'phone'] });
    // Found by phone (E.164), and only the changed field plus the natural key is sent.
    expect(JSON.parse(recorded[0]?.body ?? '{}')).toEqual({
      lastName: 'Ngata-Smith',
      phone: '(415) 555-0123',
      locationId: LOCATION,
    });
    expectNothingBlockedSent();
  });

  it('never echoes a change that came from GHL', async () => {
    const { sink, writer } = setup();
    await seedMirror(sink, existing);
    // Marked as written by the sync: never sent, whatever it contains.
    const marked = await writer.upsertContact(LOCATION, {
      origin: 'ghl',
      changedAt: mirroredAt + 10_000,
      fields: { email: 'aroha@example.com', firstName: 'Anything' },
    });
    expect(marked).toMatchObject({ outcome: 'skipped', reason: 'echo' });
    // Not marked, but identical to GHL's own data (case, phone format and tag order aside): nothing to send.
    const same = await writer.upsertContact(LOCATION, {
      changedAt: mirroredAt + 10_000,
      fields: {
        email: 'AROHA@example.com ',
        phone: '415-555-0123',
        firstName: 'Aroha',
        tags: ['Elder', 'storyteller'],
      },
    });
    expect(same).toMatchObject({ outcome: 'skipped', reason: 'unchanged', contactId: 'ghl-c1' });
    expect(recorded).toEqual([]);
  });

  it('the connector’s writer applies the connector’s field policies', async () => {
    const ghl = createGhlConnector({ accessToken: PIT, fieldPolicies, api: { retry: { baseDelayMs: 1 } } });
    const writer = ghl.createWriter({ mirror: mirrorOf(createMemorySink()) });
    const result = await writer.upsertContact(LOCATION, {
      changedAt: Date.now(),
      fields: {
        email: 'new.person@example.com',
        firstName: 'N',
        date_of_birth: '1961-04-12',
        tribalAffiliation: SACRED_VALUE,
      },
    });
    expect(result).toMatchObject({ outcome: 'created', removedFields: ['date_of_birth', 'tribalAffiliation'] });
    expect(recorded).toHaveLength(1);
    expectNothingBlockedSent();
  });

  it('reads mirror rows with ghlMirrorContactFromRow: _version, tombstones, raw then typed columns', () => {
    expect(
      ghlMirrorContactFromRow({
        location_id: LOCATION,
        id: 'c1',
        first_name: 'Aroha',
        email: 'aroha@example.com',
        raw: { firstName: 'aroha', customFields: [{ id: 'x', value: 1 }] },
        _version: '1772359200000',
        _deleted_at: null,
        _synced_at: '2026-03-01T10:00:01Z',
      }),
    ).toEqual({
      id: 'c1',
      version: 1_772_359_200_000,
      deleted: false,
      fields: { firstName: 'Aroha', email: 'aroha@example.com', customFields: [{ id: 'x', value: 1 }], id: 'c1' },
    });
  });
});
