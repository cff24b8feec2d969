import { type ConnectorV1, createMemorySink, type SourceEventV1 } from '@act/core';
import { prepareEvents } from '@act/core/internal';
import { describe, expect, it } from 'vitest';
import {
  boolean,
  date,
  email,
  json,
  mirrorTable,
  mirrorTableDrift,
  mirrorTransformer,
  number,
  phone,
  sqlColumns,
  tags,
  text,
  textArray,
  timestamp,
} from '../src/mirror/index';

const event = (payload: unknown, extra: Partial<SourceEventV1> = {}): SourceEventV1 => ({
  source: 'acme',
  tenant: 'T1',
  type: 'person.updated',
  entity: 'person',
  entityId: 'P1',
  version: 5,
  payload,
  ...extra,
});

const people = mirrorTable({
  table: 'acme_people',
  keys: ['account_id', 'id'],
  columns: {
    name: text('name'),
    email: email('email'),
    phone: phone('phone'),
    phone_raw: text('phone'),
    company: text('company.name'),
    age: number('age'),
    vip: boolean('vip', { strings: true }),
    labels: tags('labels'),
    owners: textArray('owners'),
    extra: json('extra'),
    born_on: date('birthday'),
    updated_at: timestamp(['updatedAt', 'modifiedAt']),
  },
  derived: {
    has_email: (record, { blocked }) => (blocked.has('email') ? undefined : typeof record.email === 'string'),
  },
  raw: { omit: () => ['envelope'] },
  tombstone: (e) => e.type === 'person.deleted',
});

describe('mirrorTable', () => {
  it('writes only the columns whose source is present, converted, with raw and the version', () => {
    const [operation] = people.operations(
      event({
        envelope: 'x',
        name: 'Ada',
        email: ' Ada@Example.COM ',
        phone: '+61 412 345 678',
        company: { name: 'Acme' },
        age: '42',
        vip: 'true',
        labels: ' VIP,vip,lead',
        owners: ['u1', 2],
        birthday: '2000-01-05T00:00:00.000Z',
        modifiedAt: '2023-09-25T12:30:00+02:00',
      }),
    );
    expect(operation).toEqual({
      kind: 'upsert',
      table: 'acme_people',
      key: { account_id: 'T1', id: 'P1' },
      version: 5,
      values: {
        name: 'Ada',
        email: 'ada@example.com',
        phone: '+61412345678',
        phone_raw: '+61 412 345 678',
        company: 'Acme',
        age: 42,
        vip: true,
        labels: ['lead', 'vip'],
        owners: ['u1'],
        born_on: '2000-01-05',
        updated_at: '2023-09-25T10:30:00.000Z',
        has_email: true,
        raw: expect.not.objectContaining({ envelope: 'x' }),
      },
    });
  });

  it('unreadable values become null, never an error', () => {
    const [operation] = people.operations(event({ age: 'x', vip: 1, updatedAt: 'soon', phone: '(415) 555-2671' }));
    expect(operation).toMatchObject({ values: { age: null, vip: null, updated_at: null, phone: null } });
  });

  it('phone numbers without a country code use the settings', () => {
    const [operation] = people.operations(event({ phone: '(415) 555-2671' }), {
      settings: { defaultPhoneCountry: 'US' },
    });
    expect(operation).toMatchObject({ values: { phone: '+14155552671' } });
  });

  it('a blocked column keeps its source out of every column read from it and of raw, nested paths too', () => {
    const record = { phone: '+61412345678', company: { name: 'Acme', id: 'c1' }, email: 'a@b.c' };
    const [operation] = people.operations(event(record), {
      fieldPolicies: { acme_people: { blocked: ['phone', 'company.name', 'email'] } },
    });
    expect(operation).toMatchObject({ values: { raw: { company: { id: 'c1' } } } });
    const values = (operation as { values: Record<string, unknown> }).values;
    expect(Object.keys(values).sort()).toEqual(['raw']);
    expect(record.company).toEqual({ name: 'Acme', id: 'c1' });
  });

  it('a tombstone event deletes, with its version', () => {
    expect(people.operations(event({}, { type: 'person.deleted' }))).toEqual([
      { kind: 'delete', table: 'acme_people', key: { account_id: 'T1', id: 'P1' }, version: 5 },
    ]);
  });

  it('gives the reconciler its table, keys, scope and keyOf, ids normalised like the rows', () => {
    const lower = mirrorTable({ table: 't', keys: ['tenant_id', 'id'], id: (v) => v.toLowerCase(), columns: {} });
    const reconciler = lower.reconciler(async function* () {});
    expect(reconciler).toMatchObject({ table: 't', keyColumns: ['tenant_id', 'id'] });
    expect('stream' in reconciler).toBe(false);
    // The poller stream whose expired cursor this listing repairs.
    expect(lower.reconciler(async function* () {}, { stream: 'records' }).stream).toBe('records');
    expect(reconciler.scope('ABC')).toEqual({ tenant_id: 'abc' });
    expect(reconciler.keyOf(event({}))).toEqual(lower.keyOf(event({})));
    expect(lower.operations(event({}))[0]?.key).toEqual({ tenant_id: 't1', id: 'p1' });
  });

  it('lists the columns a migration must create', () => {
    expect(people.columnNames).toEqual([
      'account_id',
      'id',
      'name',
      'email',
      'phone',
      'phone_raw',
      'company',
      'age',
      'vip',
      'labels',
      'owners',
      'extra',
      'born_on',
      'updated_at',
      'has_email',
      'raw',
    ]);
  });
});

describe('mirrorTableDrift', () => {
  const sql = `-- a comment (with, commas)
create table if not exists acme_people (
  account_id text not null,
  id text not null,
  name text, email text, phone text, phone_raw text, company text, age numeric(10, 2), vip boolean,
  labels text[], owners text[], extra jsonb, born_on date, updated_at timestamptz, raw jsonb,
  _version bigint, _payload_hash text, _deleted_at timestamptz, _synced_at timestamptz not null default now(),
  primary key (account_id, id)
);
alter table acme_people add column if not exists _version_order bigint[];`;

  it('reads columns from create and alter statements', () => {
    expect(sqlColumns(sql).get('acme_people')?.has('_version_order')).toBe(true);
    expect(sqlColumns(sql).get('acme_people')?.has('primary')).toBe(false);
  });

  it('names the columns the migrations lack', () => {
    expect(mirrorTableDrift(people, sql)).toEqual({ table: 'acme_people', missing: ['has_email'] });
    expect(mirrorTableDrift(people, [sql, 'alter table acme_people add column has_email boolean;']).missing).toEqual(
      [],
    );
  });
});

describe('mirrorTransformer', () => {
  const transformer = mirrorTransformer({
    packageName: '@act/connector-acme',
    tables: [people, mirrorTable({ table: 'acme_secrets', keys: ['account_id', 'id'], columns: {}, blocked: ['pin'] })],
    route: (e) => (e.entity === 'person' ? people : e.entity === 'app' ? null : undefined),
  });

  it("merges the tables' own blocked fields into its policies", () => {
    expect(transformer.fieldPolicies).toEqual({ acme_secrets: { blocked: ['pin'], preserved: [] } });
    expect(transformer.mirrorTables.map((t) => t.table)).toEqual(['acme_people', 'acme_secrets']);
  });

  it('routes events; null is nothing to write, an unknown entity is a TransformError', () => {
    expect(transformer.transform(event({ name: 'x' }), {})).toHaveLength(1);
    expect(transformer.transform(event({}, { entity: 'app' }), {})).toEqual([]);
    expect(() => transformer.transform(event({}, { entity: 'pet' }), {})).toThrow(
      '[@act/connector-acme] event person.updated P1 has an unknown entity "pet"',
    );
  });
});

describe('mirrorTable write rules and restorable deletes', () => {
  const leads = mirrorTable({
    table: 'bison_leads',
    keys: ['workspace_id', 'id'],
    columns: { email: email('email'), pipeline_stage: text('stage') },
    raw: false,
    rules: {
      pipeline_stage: {
        write: 'preserveIfSet',
        overrides: ['lead.unsubscribed'],
        forwardOnly: ['lead', 'contacted', 'replied', 'unsubscribed'],
      },
    },
    tombstone: (e) => e.type === 'lead.deleted',
    restorable: true,
    restore: (e) => e.type === 'lead.restored',
  });
  const lead = (type: string) => event({ email: 'A@Example.com', stage: 'replied' }, { type, entity: 'lead' });

  it('declares its rules as the table’s own field policy, merged with the user’s', () => {
    expect(leads.policy).toEqual({
      preservedIfSet: ['pipeline_stage'],
      overrides: { pipeline_stage: ['lead.unsubscribed'] },
      forwardOnly: { pipeline_stage: ['lead', 'contacted', 'replied', 'unsubscribed'] },
    });
    const transformer = mirrorTransformer({
      packageName: '@act/connector-bison',
      tables: [leads],
      fieldPolicies: { bison_leads: { blocked: ['email'], overrides: { pipeline_stage: ['email.bounced'] } } },
      route: () => leads,
    });
    expect(transformer.fieldPolicies?.bison_leads).toEqual({
      blocked: ['email'],
      preserved: [],
      preservedIfSet: ['pipeline_stage'],
      overrides: { pipeline_stage: ['lead.unsubscribed', 'email.bounced'] },
      forwardOnly: { pipeline_stage: ['lead', 'contacted', 'replied', 'unsubscribed'] },
    });
  });

  it('marks deletes restorable and only the restoring events as restores', () => {
    expect(leads.operations(lead('lead.deleted'))).toEqual([
      { kind: 'delete', table: 'bison_leads', key: { workspace_id: 'T1', id: 'P1' }, version: 5, restorable: true },
    ]);
    expect(leads.operations(lead('lead.restored'))[0]).toMatchObject({ kind: 'upsert', restore: true });
    expect(leads.operations(lead('lead.updated'))[0]).not.toHaveProperty('restore');
    // Restorable without a restore test: every upsert says the record exists.
    const events = mirrorTable({ table: 'cal_events', keys: ['calendar_id', 'id'], columns: {}, restorable: true });
    expect(events.operations(event({}))[0]).toMatchObject({ restore: true });
    // Its reconciler says so, so reconciliation restores and deletes restorably too.
    expect(events.reconciler(async function* () {}).restorable).toBe(true);
    expect(people.reconciler(async function* () {})).not.toHaveProperty('restorable');
    expect(people.operations(event({ name: 'x' }))[0]).not.toHaveProperty('restore');
  });

  it('refuses rules for unknown columns and restore without restorable', () => {
    expect(() =>
      mirrorTable({ table: 't', keys: ['a', 'id'], columns: { x: text('x') }, rules: { y: { write: 'preserve' } } }),
    ).toThrow('mirrorTable t: rules name unknown column y');
    expect(() => mirrorTable({ table: 't', keys: ['a', 'id'], columns: {}, restore: () => true })).toThrow(
      'mirrorTable t: restore needs restorable: true',
    );
  });
});

describe('mirror table rules through the runtime into a sink', () => {
  it('keeps a set stage against syncs, lets the owning event move it, and restores a deleted lead', async () => {
    const leads = mirrorTable({
      table: 'bison_leads',
      keys: ['workspace_id', 'id'],
      columns: { pipeline_stage: text('stage') },
      raw: false,
      rules: {
        pipeline_stage: {
          write: 'preserveIfSet',
          overrides: ['lead.unsubscribed'],
          forwardOnly: ['lead', 'contacted', 'unsubscribed'],
        },
      },
      tombstone: (e) => e.type === 'lead.deleted',
      restorable: true,
      restore: (e) => e.type === 'lead.restored',
    });
    const transformer = mirrorTransformer({ packageName: '@act/connector-bison', tables: [leads], route: () => leads });
    const connector = { packageName: '@act/connector-bison', transformer } as unknown as ConnectorV1;
    const sink = createMemorySink();
    const apply = async (type: string, stage: string, version: number) => {
      const { operations } = await prepareEvents({
        connector,
        events: [event({ stage }, { type, entity: 'lead', version })],
        policies: transformer.fieldPolicies ?? {},
        signal: undefined,
        guardSource: (fn) => fn(),
        receivedAt: new Date(1_000 + version),
      });
      return (await sink.apply(operations)).outcomes[0];
    };
    const stored = () => sink.row('bison_leads', { workspace_id: 'T1', id: 'P1' });
    expect(await apply('lead.created', 'contacted', 1)).toMatchObject({ outcome: 'created' });
    // A sync never replaces the stage once set…
    expect(await apply('lead.updated', 'lead', 2)).toMatchObject({ outcome: 'skipped', reason: 'unchanged' });
    expect(stored()?.values.pipeline_stage).toBe('contacted');
    // …the unsubscribe owns it.
    expect(await apply('lead.unsubscribed', 'unsubscribed', 3)).toMatchObject({ outcome: 'updated' });
    expect(stored()?.values.pipeline_stage).toBe('unsubscribed');
    expect(await apply('lead.deleted', '', 4)).toMatchObject({ outcome: 'deleted' });
    expect(await apply('lead.updated', 'lead', 5)).toMatchObject({ outcome: 'skipped', reason: 'deleted' });
    expect(await apply('lead.restored', 'unsubscribed', 6)).toMatchObject({ outcome: 'updated' });
    expect(stored()).toMatchObject({ deletedAt: null, values: { pipeline_stage: 'unsubscribed' } });
    // The delete delivered again: older than the restore.
    expect(await apply('lead.deleted', '', 4)).toMatchObject({ outcome: 'skipped', reason: 'stale' });
  });
});

describe('redact: what a forward may send', () => {
  const nested = mirrorTable({
    table: 'acme_meetings',
    keys: ['account_id', 'id'],
    columns: { title: text('title'), notes: text('private.notes') },
    record: (e) => (e.payload as { meeting: Record<string, unknown> }).meeting,
  });
  const transformer = mirrorTransformer({
    packageName: '@act/connector-acme',
    tables: [people, nested],
    route: (e) => (e.entity === 'person' ? people : e.entity === 'meeting' ? nested : undefined),
    fieldPolicies: { acme_people: { blocked: ['born_on', 'company.id'] }, acme_meetings: { blocked: ['notes'] } },
  });

  it("removes each blocked column's source fields (and blocked paths) from a copy of the payload", () => {
    const payload = { name: 'Ada', birthday: '1990-01-01', company: { name: 'Acme', id: 'c1' }, email: 'a@x.io' };
    const redacted = transformer.redact?.(event(payload), { fieldPolicies: transformer.fieldPolicies ?? {} });
    expect(redacted).toEqual({ name: 'Ada', company: { name: 'Acme' }, email: 'a@x.io' });
    // The event itself is untouched.
    expect(payload.birthday).toBe('1990-01-01');
  });

  it('strips the record where it sits inside an envelope', () => {
    const payload = { type: 'MeetingUpdate', meeting: { title: 'Intro', private: { notes: 'sensitive', room: 'A' } } };
    const redacted = transformer.redact?.(event(payload, { entity: 'meeting' }), {
      fieldPolicies: transformer.fieldPolicies ?? {},
    });
    expect(redacted).toEqual({ type: 'MeetingUpdate', meeting: { title: 'Intro', private: { room: 'A' } } });
  });

  it("an event no table takes loses every table's blocked fields", () => {
    const payload = { birthday: '1990-01-01', name: 'Ada' };
    const redacted = transformer.redact?.(event(payload, { entity: 'unknown' }), {
      fieldPolicies: transformer.fieldPolicies ?? {},
    });
    expect(redacted).toEqual({ name: 'Ada' });
  });
});
