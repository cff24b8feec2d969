import type { SinkUpsertV1 } from '@act/core';
import { testTransformer } from '@act/core/testing';
import { describe, expect, it } from 'vitest';
import type { GhlSourceEvent } from '../src/ghl-events';
import { createGhlTransformer, normalisePhone, normaliseTags } from '../src/ghl-transform';
import { parseGhlMarketplaceDelivery, parseGhlWorkflowDelivery } from '../src/ghl-webhook';
import {
  TEST_LOCATION,
  type WebhookFixtureName,
  webhookFixtures,
  withEnvelope,
  workflowBody,
} from './helpers/ghl-fixtures';

const encoder = new TextEncoder();
const NOW = new Date('2026-03-02T10:00:00.000Z');

/** The event of a documented example, delivered at NOW. */
const eventOf = (name: WebhookFixtureName, timestamp: Date = NOW): GhlSourceEvent => {
  const body = withEnvelope(webhookFixtures[name], { timestamp, webhookId: `wh_${name}` });
  const [event] = parseGhlMarketplaceDelivery({ body: encoder.encode(body), receivedAt: NOW }).events;
  if (!event) throw new Error(`${name} gave no event`);
  return event;
};
const workflowEvent = (overrides: Record<string, unknown> = {}): GhlSourceEvent => {
  const [event] = parseGhlWorkflowDelivery({ body: encoder.encode(workflowBody(overrides)), receivedAt: NOW }).events;
  if (!event) throw new Error('workflow body gave no event');
  return event;
};

const transformer = createGhlTransformer();
const upsertOf = async (event: GhlSourceEvent, t = transformer, context = {}) => {
  const [operation] = await t.transform(event, context);
  if (operation?.kind !== 'upsert') throw new Error(`expected an upsert, got ${JSON.stringify(operation)}`);
  return operation as SinkUpsertV1;
};

testTransformer({
  transformer,
  cases: [
    {
      name: 'ContactCreate upserts the contact: email lower-cased, phone E.164, tags normalised, raw without envelope',
      event: eventOf('contact-create.1.json'),
      check: (operations) =>
        expect(operations).toMatchInlineSnapshot(`
        [
          {
            "key": {
              "id": "nmFmQEsNgz6AVpgLVUJ0",
              "location_id": "ve9EPM428h8vShlRW1KT",
            },
            "kind": "upsert",
            "table": "ghl_contacts",
            "values": {
              "address1": "3535 1st St N",
              "assigned_to": "nmFmQEsNgz6AVpgLVUJ0",
              "city": "ruDolomitebika",
              "company_name": "Loram ipsum",
              "country": "DE",
              "custom_fields": [
                {
                  "id": "BcdmQEsNgz6AVpgLVUJ0",
                  "value": "XYZ Corp",
                },
              ],
              "date_added": "2021-11-26T12:41:02.193Z",
              "date_of_birth": "2000-01-05",
              "dnd": true,
              "email": "johndeo@gmail.comm",
              "first_name": "John",
              "last_name": "Deo",
              "name": "John Deo",
              "phone": "+919509597501",
              "phone_raw": "+919509597501",
              "postal_code": "452001",
              "raw": {
                "address1": "3535 1st St N",
                "assignedTo": "nmFmQEsNgz6AVpgLVUJ0",
                "attachments": [],
                "city": "ruDolomitebika",
                "companyName": "Loram ipsum",
                "country": "DE",
                "customFields": [
                  {
                    "id": "BcdmQEsNgz6AVpgLVUJ0",
                    "value": "XYZ Corp",
                  },
                ],
                "dateAdded": "2021-11-26T12:41:02.193Z",
                "dateOfBirth": "2000-01-05T00:00:00.000Z",
                "dnd": true,
                "email": "JohnDeo@gmail.comm",
                "firstName": "John",
                "id": "nmFmQEsNgz6AVpgLVUJ0",
                "lastName": "Deo",
                "locationId": "ve9EPM428h8vShlRW1KT",
                "name": "John Deo",
                "phone": "+919509597501",
                "postalCode": "452001",
                "source": "xyz form",
                "state": "AL",
                "tags": [
                  "id magna sed Lorem",
                  "Duis dolor commodo aliqua",
                ],
                "website": "https://www.google.com/",
              },
              "source": "xyz form",
              "state": "AL",
              "tags": [
                "duis dolor commodo aliqua",
                "id magna sed lorem",
              ],
              "website": "https://www.google.com/",
            },
            "version": 1772445600000,
          },
        ]
      `),
    },
    {
      name: 'ContactUpdate upserts the same columns',
      event: eventOf('contact-update.1.json'),
      check: (operations) => expect(operations.map((operation) => operation.kind)).toEqual(['upsert']),
    },
    {
      name: 'ContactDelete leaves a tombstone (its last snapshot is not needed)',
      event: eventOf('contact-delete.1.json'),
      check: (operations) =>
        expect(operations).toMatchInlineSnapshot(`
        [
          {
            "key": {
              "id": "nmFmQEsNgz6AVpgLVUJ0",
              "location_id": "ve9EPM428h8vShlRW1KT",
            },
            "kind": "delete",
            "table": "ghl_contacts",
            "version": 1772445600000,
          },
        ]
      `),
    },
    {
      name: 'ContactTagUpdate upserts the full contact',
      event: eventOf('contact-tag-update.1.json'),
      check: (operations) =>
        expect((operations[0] as SinkUpsertV1).values.tags).toEqual([
          'duis dolor commodo aliqua',
          'id magna sed lorem',
        ]),
    },
    {
      name: 'ContactDndUpdate writes dnd and the per-channel settings',
      event: eventOf('contact-dnd-update.1.json'),
      check: (operations) =>
        expect((operations[0] as SinkUpsertV1).values).toMatchInlineSnapshot(`
        {
          "address1": "3535 1st St N",
          "assigned_to": "nmFmQEsNgz6AVpgLVUJ0",
          "city": "ruDolomitebika",
          "company_name": "Loram ipsum",
          "country": "DE",
          "custom_fields": [
            {
              "id": "BcdmQEsNgz6AVpgLVUJ0",
              "value": "XYZ Corp",
            },
          ],
          "date_added": "2021-11-26T12:41:02.193Z",
          "date_of_birth": "2000-01-05",
          "dnd": true,
          "dnd_settings": {
            "Call": {
              "code": "101",
              "message": "Some message",
              "status": "inactive",
            },
            "Email": {
              "code": "101",
              "message": "Some message",
              "status": "active",
            },
            "FB": {
              "code": "101",
              "message": "Some message",
              "status": "active",
            },
            "GMB": {
              "code": "101",
              "message": "Some message",
              "status": "active",
            },
            "SMS": {
              "code": "101",
              "message": "Some message",
              "status": "inactive",
            },
            "WhatsApp": {
              "code": "101",
              "message": "Some message",
              "status": "active",
            },
          },
          "email": "johndeo@gmail.comm",
          "first_name": "John",
          "last_name": "Deo",
          "name": "John Deo",
          "phone": "+919509597501",
          "phone_raw": "+919509597501",
          "postal_code": "452001",
          "raw": {
            "address1": "3535 1st St N",
            "assignedTo": "nmFmQEsNgz6AVpgLVUJ0",
            "attachments": [],
            "city": "ruDolomitebika",
            "companyName": "Loram ipsum",
            "country": "DE",
            "customFields": [
              {
                "id": "BcdmQEsNgz6AVpgLVUJ0",
                "value": "XYZ Corp",
              },
            ],
            "dateAdded": "2021-11-26T12:41:02.193Z",
            "dateOfBirth": "2000-01-05T00:00:00.000Z",
            "dnd": true,
            "dndSettings": {
              "Call": {
                "code": "101",
                "message": "Some message",
                "status": "inactive",
              },
              "Email": {
                "code": "101",
                "message": "Some message",
                "status": "active",
              },
              "FB": {
                "code": "101",
                "message": "Some message",
                "status": "active",
              },
              "GMB": {
                "code": "101",
                "message": "Some message",
                "status": "active",
              },
              "SMS": {
                "code": "101",
                "message": "Some message",
                "status": "inactive",
              },
              "WhatsApp": {
                "code": "101",
                "message": "Some message",
                "status": "active",
              },
            },
            "email": "JohnDeo@gmail.comm",
            "firstName": "John",
            "id": "nmFmQEsNgz6AVpgLVUJ0",
            "lastName": "Deo",
            "locationId": "ve9EPM428h8vShlRW1KT",
            "name": "John Deo",
            "phone": "+919509597501",
            "postalCode": "452001",
            "source": "xyz form",
            "state": "AL",
            "tags": [
              "id magna sed Lorem",
              "Duis dolor commodo aliqua",
            ],
            "website": "https://www.google.com/",
          },
          "source": "xyz form",
          "state": "AL",
          "tags": [
            "duis dolor commodo aliqua",
            "id magna sed lorem",
          ],
          "website": "https://www.google.com/",
        }
      `),
    },
    {
      name: 'OpportunityCreate upserts the opportunity',
      event: eventOf('opportunity-create.1.json'),
      check: (operations) =>
        expect(operations).toMatchInlineSnapshot(`
        [
          {
            "key": {
              "id": "wWhVuzqpRuOA1ZVWi4FC",
              "location_id": "ve9EPM428h8vShlRW1KT",
            },
            "kind": "upsert",
            "table": "ghl_opportunities",
            "values": {
              "assigned_to": "bNl8QNGXhIQJLv8eeASQ",
              "contact_id": "cJAWDskpkJHbRbhAT7bs",
              "date_added": "2021-11-26T12:41:02.193Z",
              "monetary_value": 40,
              "name": "Loram ipsu",
              "pipeline_id": "VDm7RPYC2GLUvdpKmBfC",
              "pipeline_stage_id": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",
              "raw": {
                "assignedTo": "bNl8QNGXhIQJLv8eeASQ",
                "contactId": "cJAWDskpkJHbRbhAT7bs",
                "dateAdded": "2021-11-26T12:41:02.193Z",
                "id": "wWhVuzqpRuOA1ZVWi4FC",
                "locationId": "ve9EPM428h8vShlRW1KT",
                "monetaryValue": 40,
                "name": "Loram ipsu",
                "pipelineId": "VDm7RPYC2GLUvdpKmBfC",
                "pipelineStageId": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",
                "source": "Loram ipsu",
                "status": "open",
              },
              "source": "Loram ipsu",
              "status": "open",
            },
            "version": 1772445600000,
          },
        ]
      `),
    },
    ...(
      [
        'opportunity-update.1.json',
        'opportunity-status-update.1.json',
        'opportunity-stage-update.1.json',
        'opportunity-monetary-value-update.1.json',
        'opportunity-assigned-to-update.1.json',
      ] as const
    ).map((name) => ({
      name: `${name}: the same row, every column`,
      event: eventOf(name),
      check: (operations: unknown[]) =>
        expect(operations).toMatchObject([
          {
            kind: 'upsert',
            table: 'ghl_opportunities',
            key: { location_id: TEST_LOCATION, id: 'wWhVuzqpRuOA1ZVWi4FC' },
            values: { pipeline_stage_id: 'e93ba61a-53b3-45e7-985a-c7732dbcdb69', monetary_value: 40, status: 'open' },
            version: NOW.getTime(),
          },
        ]),
    })),
    {
      name: 'OpportunityDelete deletes',
      event: eventOf('opportunity-delete.1.json'),
      check: (operations) =>
        expect(operations).toMatchInlineSnapshot(`
        [
          {
            "key": {
              "id": "wWhVuzqpRuOA1ZVWi4FC",
              "location_id": "ve9EPM428h8vShlRW1KT",
            },
            "kind": "delete",
            "table": "ghl_opportunities",
            "version": 1772445600000,
          },
        ]
      `),
    },
    {
      name: 'AppointmentCreate upserts the nested appointment, versioned by its dateUpdated',
      event: eventOf('appointment-create.1.json'),
      check: (operations) =>
        expect(operations).toMatchInlineSnapshot(`
        [
          {
            "key": {
              "id": "0007BWpSzSwfiuSl0tR2",
              "location_id": "0007BWpSzSwfiuSl0tR2",
            },
            "kind": "upsert",
            "table": "ghl_appointments",
            "values": {
              "address": "https://example.com/meeting",
              "assigned_user_id": "YlWd2wuCAZQzh2cH1fVZ",
              "calendar_id": "BqTwX8QFwXzpegMve9EQ",
              "contact_id": "9NkT25Vor1v4aQatFsv2",
              "date_added": "2023-09-25T10:30:00.000Z",
              "date_updated": "2023-09-25T10:30:00.000Z",
              "end_time": "2023-09-25T10:30:00.000Z",
              "group_id": "9NkT25Vor1v4aQatFsv2",
              "notes": "Some dummy note",
              "raw": {
                "address": "https://example.com/meeting",
                "appointmentStatus": "confirmed",
                "assignedUserId": "YlWd2wuCAZQzh2cH1fVZ",
                "calendarId": "BqTwX8QFwXzpegMve9EQ",
                "contactId": "9NkT25Vor1v4aQatFsv2",
                "dateAdded": "2023-09-25T16:00:00+05:30",
                "dateUpdated": "2023-09-25T16:00:00+05:30",
                "endTime": "2023-09-25T16:00:00+05:30",
                "groupId": "9NkT25Vor1v4aQatFsv2",
                "id": "0007BWpSzSwfiuSl0tR2",
                "notes": "Some dummy note",
                "source": "booking_widget",
                "startTime": "2023-09-25T16:00:00+05:30",
                "title": "Appointment with GHL Dev team",
                "users": [
                  "YlWd2wuCAZQzh2cH1fVZ",
                  "9NkT25Vor1v4aQatFsv2",
                ],
              },
              "source": "booking_widget",
              "start_time": "2023-09-25T10:30:00.000Z",
              "status": "confirmed",
              "title": "Appointment with GHL Dev team",
              "users": [
                "YlWd2wuCAZQzh2cH1fVZ",
                "9NkT25Vor1v4aQatFsv2",
              ],
            },
            "version": 1695637800000,
          },
        ]
      `),
    },
    {
      name: 'the AppointmentUpdate doc example (its type says AppointmentCreate) upserts',
      event: eventOf('appointment-update.1.json'),
      check: (operations) => expect(operations.map((operation) => operation.kind)).toEqual(['upsert']),
    },
    {
      name: 'the AppointmentDelete doc example (its type says AppointmentCreate) upserts too, as it claims',
      event: eventOf('appointment-delete.1.json'),
      check: (operations) => expect(operations.map((operation) => operation.kind)).toEqual(['upsert']),
    },
    {
      name: 'a real AppointmentDelete deletes',
      event: { ...eventOf('appointment-delete.1.json'), type: 'AppointmentDelete' } as GhlSourceEvent,
      check: (operations) =>
        expect(operations).toEqual([
          {
            kind: 'delete',
            table: 'ghl_appointments',
            key: { location_id: '0007BWpSzSwfiuSl0tR2', id: '0007BWpSzSwfiuSl0tR2' },
            version: Date.parse('2023-09-25T16:00:00+05:30'),
          },
        ]),
    },
    {
      name: 'TaskCreate upserts the task',
      event: eventOf('task-create.1.json'),
      check: (operations) =>
        expect(operations).toMatchInlineSnapshot(`
        [
          {
            "key": {
              "id": "UlRWGLSXh0ji5qbiGu4i",
              "location_id": "ve9EPM428h8vShlRW1KT",
            },
            "kind": "upsert",
            "table": "ghl_tasks",
            "values": {
              "assigned_to": "63e4qiWDsFJjOYAC8phG",
              "body": "Loram ipsum",
              "contact_id": "CWBf1PR9LvvBkcYqiXlc",
              "date_added": "2021-11-26T12:41:02.193Z",
              "due_date": "2021-11-26T12:41:02.193Z",
              "raw": {
                "assignedTo": "63e4qiWDsFJjOYAC8phG",
                "body": "Loram ipsum",
                "contactId": "CWBf1PR9LvvBkcYqiXlc",
                "dateAdded": "2021-11-26T12:41:02.193Z",
                "dueDate": "2021-11-26T12:41:02.193Z",
                "id": "UlRWGLSXh0ji5qbiGu4i",
                "locationId": "ve9EPM428h8vShlRW1KT",
                "title": "Loram ipsum",
              },
              "title": "Loram ipsum",
            },
            "version": 1772445600000,
          },
        ]
      `),
    },
    {
      name: 'TaskComplete marks it completed',
      event: eventOf('task-complete.1.json'),
      check: (operations) =>
        expect((operations[0] as SinkUpsertV1).values).toMatchInlineSnapshot(`
        {
          "assigned_to": "bNl8QNGXhIQJLv8eeASQ",
          "body": "testing",
          "completed": true,
          "contact_id": "WFwVrSSjZ2CNHbZThQX2",
          "date_added": "2021-11-29T13:37:28.304Z",
          "due_date": "2021-12-22T06:55:00.000Z",
          "raw": {
            "assignedTo": "bNl8QNGXhIQJLv8eeASQ",
            "body": "testing",
            "contactId": "WFwVrSSjZ2CNHbZThQX2",
            "dateAdded": "2021-11-29T13:37:28.304Z",
            "dueDate": "2021-12-22T06:55:00.000Z",
            "id": "5HrB1IbmnKMBXloldFuP",
            "locationId": "ve9EPM428h8vShlRW1KT",
            "title": "test",
          },
          "title": "test",
        }
      `),
    },
    {
      name: 'TaskDelete deletes',
      event: eventOf('task-delete.1.json'),
      check: (operations) => expect(operations).toMatchObject([{ kind: 'delete', table: 'ghl_tasks' }]),
    },
    {
      name: 'NoteCreate upserts the note',
      event: eventOf('note-create.1.json'),
      check: (operations) =>
        expect(operations).toMatchInlineSnapshot(`
        [
          {
            "key": {
              "id": "otg8dTQqGLh3Q6iQI55w",
              "location_id": "ve9EPM428h8vShlRW1KT",
            },
            "kind": "upsert",
            "table": "ghl_notes",
            "values": {
              "body": "Loram ipsum",
              "contact_id": "CWBf1PR9LvvBkcYqiXlc",
              "date_added": "2021-11-26T12:41:02.193Z",
              "raw": {
                "body": "Loram ipsum",
                "contactId": "CWBf1PR9LvvBkcYqiXlc",
                "dateAdded": "2021-11-26T12:41:02.193Z",
                "id": "otg8dTQqGLh3Q6iQI55w",
                "locationId": "ve9EPM428h8vShlRW1KT",
              },
            },
            "version": 1772445600000,
          },
        ]
      `),
    },
    {
      name: 'NoteUpdate upserts',
      event: eventOf('note-update.1.json'),
      check: (operations) => expect(operations).toMatchObject([{ kind: 'upsert', table: 'ghl_notes' }]),
    },
    {
      name: 'NoteDelete deletes',
      event: eventOf('note-delete.1.json'),
      check: (operations) => expect(operations).toMatchObject([{ kind: 'delete', table: 'ghl_notes' }]),
    },
    ...(
      [
        'app-install.1.json',
        'app-install.2.json',
        'app-install.3.json',
        'app-uninstall.1.json',
        'app-uninstall.2.json',
      ] as const
    ).map((name) => ({
      name: `${name} changes no mirror table (handlers see it)`,
      event: eventOf(name),
      check: (operations: unknown[]) => expect(operations).toEqual([]),
    })),
    {
      name: 'a workflow webhook upserts the contact from its snake_case fields, without raw',
      event: workflowEvent(),
      check: (operations) =>
        expect(operations).toMatchInlineSnapshot(`
        [
          {
            "key": {
              "id": "nmFmQEsNgz6AVpgLVUJ0",
              "location_id": "ve9EPM428h8vShlRW1KT",
            },
            "kind": "upsert",
            "table": "ghl_contacts",
            "values": {
              "address1": "<street>",
              "city": "<city>",
              "country": "US",
              "date_added": "2025-01-06T16:51:42.192Z",
              "email": "johndeo@gmail.com",
              "first_name": "John",
              "last_name": "Deo",
              "name": "John Deo",
              "phone": "+61412345678",
              "phone_raw": "+61 412 345 678",
              "postal_code": "<zip>",
              "source": "payment_link",
              "state": "<state>",
              "tags": [
                "tag1",
                "tag2",
                "won",
              ],
            },
            "version": 1772445600000,
          },
        ]
      `),
    },
  ],
});

describe('GHL transform specifics', () => {
  it('normalises tags: trimmed, lower-cased, deduplicated, sorted; arrays or comma-joined strings', () => {
    expect(normaliseTags([' VIP', 'vip', 'Lead ', '', 'b2b'])).toEqual(['b2b', 'lead', 'vip']);
    expect(normaliseTags('tag1,tag2,won')).toEqual(['tag1', 'tag2', 'won']);
    expect(normaliseTags([])).toEqual([]);
    expect(normaliseTags(null)).toBeNull();
    expect(normaliseTags([1, 'x'])).toEqual(['x']);
  });

  it('normalises phones to E.164, using the default country for national numbers; invalid → null', () => {
    expect(normalisePhone('+919509597501')).toBe('+919509597501');
    expect(normalisePhone('+61 412 345 678')).toBe('+61412345678');
    expect(normalisePhone('(415) 555-2671')).toBeNull();
    expect(normalisePhone('(415) 555-2671', 'US')).toBe('+14155552671');
    expect(normalisePhone('12345', 'US')).toBeNull();
    expect(normalisePhone('<E.164>')).toBeNull();
    expect(normalisePhone('')).toBeNull();
  });

  it('keeps an unparseable phone in phone_raw, and reads national numbers with defaultPhoneCountry', async () => {
    const event = eventOf('contact-update.1.json');
    const withPhone = (phone: string) => ({ ...event, payload: { ...event.payload, phone } }) as GhlSourceEvent;
    expect((await upsertOf(withPhone('0412 345 678'))).values).toMatchObject({
      phone: null,
      phone_raw: '0412 345 678',
    });
    const au = createGhlTransformer({ defaultPhoneCountry: 'au' });
    expect((await upsertOf(withPhone('0412 345 678'), au)).values).toMatchObject({
      phone: '+61412345678',
      phone_raw: '0412 345 678',
    });
    expect(() => createGhlTransformer({ defaultPhoneCountry: 'XX' })).toThrow(
      '[@act/connector-ghl] defaultPhoneCountry "XX" is not an ISO 3166-1 alpha-2 country',
    );
  });

  it('writes only the fields an event carries: a thin TaskCreate never blanks contact_id', async () => {
    // Real TaskCreate deliveries omit contactId and body (GoHighLevel/highlevel-api-docs#332).
    const event = eventOf('task-create.1.json');
    const { contactId: _contactId, body: _body, ...thin } = event.payload as Record<string, unknown>;
    const operation = await upsertOf({ ...event, payload: thin } as GhlSourceEvent);
    expect(operation.values).not.toHaveProperty('contact_id');
    expect(operation.values).not.toHaveProperty('body');
    expect(operation.values).toMatchObject({ title: 'Loram ipsum' });
    // A field sent as null is written as null.
    const cleared = await upsertOf({ ...event, payload: { ...event.payload, contactId: null } } as GhlSourceEvent);
    expect(cleared.values.contact_id).toBeNull();
  });

  it('turns unreadable dates into null instead of failing the batch', async () => {
    const event = eventOf('contact-update.1.json');
    const operation = await upsertOf({
      ...event,
      payload: { ...event.payload, dateAdded: 'not a date', dateOfBirth: '' },
    } as GhlSourceEvent);
    expect(operation.values).toMatchObject({ date_added: null, date_of_birth: null });
  });

  it('strips blocked columns’ GHL fields from raw and from columns read from them', async () => {
    const blocking = createGhlTransformer({
      fieldPolicies: { ghl_contacts: { blocked: ['phone', 'date_of_birth', 'customFields'] } },
    });
    const operation = await upsertOf(eventOf('contact-create.1.json'), blocking);
    // `phone` itself is dropped by the runtime (applyFieldPolicies); the transformer drops what is derived.
    expect(operation.values).not.toHaveProperty('phone_raw');
    expect(operation.values).not.toHaveProperty('date_of_birth');
    expect(operation.values.raw).not.toHaveProperty('phone');
    expect(operation.values.raw).not.toHaveProperty('dateOfBirth');
    expect(operation.values.raw).not.toHaveProperty('customFields');
    // Naming the GHL field (customFields) keeps it out of every column read from it too.
    expect(operation.values).not.toHaveProperty('custom_fields');
    expect(operation.values).toHaveProperty('email', 'johndeo@gmail.comm');
    expect(blocking.fieldPolicies).toEqual({
      ghl_contacts: { blocked: ['phone', 'date_of_birth', 'customFields'], preserved: [] },
    });
    // The effective policies the runtime passes win over the transformer's own.
    const [fromContext] = await transformer.transform(eventOf('contact-create.1.json'), {
      fieldPolicies: { ghl_contacts: { blocked: ['email'] } },
    });
    expect(fromContext?.kind === 'upsert' && fromContext.values.raw).not.toHaveProperty('email');
  });

  it('applies the poller’s webhook-shaped records the same way, raw without the event name', async () => {
    const polled: GhlSourceEvent = {
      source: 'ghl',
      tenant: TEST_LOCATION,
      type: 'OpportunityUpdate',
      entity: 'opportunity',
      entityId: 'opp_1',
      version: 1_700_000_000_000,
      payload: {
        id: 'opp_1',
        type: 'OpportunityUpdate',
        locationId: TEST_LOCATION,
        name: 'Deal',
        monetaryValue: '120.5',
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-02T00:00:00+01:00',
        lastStageChangeAt: '2026-01-02T00:00:00.000Z',
      },
    };
    expect(await upsertOf(polled)).toEqual({
      kind: 'upsert',
      table: 'ghl_opportunities',
      key: { location_id: TEST_LOCATION, id: 'opp_1' },
      values: {
        name: 'Deal',
        monetary_value: 120.5,
        date_added: '2026-01-01T00:00:00.000Z',
        date_updated: '2026-01-01T23:00:00.000Z',
        last_stage_change_at: '2026-01-02T00:00:00.000Z',
        raw: {
          id: 'opp_1',
          locationId: TEST_LOCATION,
          name: 'Deal',
          monetaryValue: '120.5',
          createdAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-02T00:00:00+01:00',
          lastStageChangeAt: '2026-01-02T00:00:00.000Z',
        },
      },
      version: 1_700_000_000_000,
    });
    const pipeline = await upsertOf({
      source: 'ghl',
      tenant: TEST_LOCATION,
      type: 'PipelineUpdate',
      entity: 'pipeline',
      entityId: 'pl_1',
      payload: { id: 'pl_1', name: 'Sales', stages: [{ id: 'st_1', name: 'New' }] },
    });
    expect(pipeline).toMatchObject({ table: 'ghl_pipelines', values: { name: 'Sales', stages: [{ id: 'st_1' }] } });
  });

  it('refuses an entity it has no table for', () => {
    const event = { ...eventOf('note-create.1.json'), entity: 'invoice' } as unknown as GhlSourceEvent;
    expect(() => transformer.transform(event, {})).toThrow(
      '[@act/connector-ghl] event NoteCreate otg8dTQqGLh3Q6iQI55w has an unknown entity "invoice"',
    );
  });
});
