import type { SourceEventV1 } from '@act/core';
import { describe, expect, it } from 'vitest';
import { factTable, mirrorTableDrift, number, text, timestamp } from '../src/mirror/index';

const sent = (payload: Record<string, unknown>, extra: Partial<SourceEventV1> = {}): SourceEventV1 => ({
  source: 'mail',
  tenant: 'acct-1',
  type: 'message.sent',
  entity: 'message',
  entityId: 'm1',
  version: 7,
  payload,
  ...extra,
});

const facts = factTable({
  table: 'mail_sent_facts',
  keys: ['account', 'message_id'],
  occurredAt: timestamp('sentAt'),
  dimensions: { direction: text('direction') },
  measures: { recipients: number('recipients') },
  columns: { subject: text('subject') },
});

describe('factTable', () => {
  it('is an upsert keyed by the tenant and the counted event’s id: the same event gives the same operation', () => {
    const payload = { sentAt: '2026-01-31T23:30:00-05:00', direction: 'outbound', recipients: 2, subject: 'Hi' };
    const operations = facts.operations(sent(payload));
    expect(operations).toEqual([
      {
        kind: 'upsert',
        table: 'mail_sent_facts',
        key: { account: 'acct-1', message_id: 'm1' },
        values: {
          occurred_at: '2026-02-01T04:30:00.000Z',
          direction: 'outbound',
          recipients: 2,
          subject: 'Hi',
        },
        version: 7,
      },
    ]);
    expect(facts.operations(sent(payload))).toEqual(operations);
  });

  it('takes the event’s occurredAt when the record has no time', () => {
    const [operation] = facts.operations(sent({ direction: 'inbound' }, { occurredAt: '2026-03-01T10:00:00Z' }));
    expect(operation).toMatchObject({ values: { occurred_at: '2026-03-01T10:00:00.000Z', direction: 'inbound' } });
  });

  it('names its columns for drift checks and the views statement for its migration', () => {
    expect(facts.columnNames).toEqual(['account', 'message_id', 'occurred_at', 'direction', 'recipients', 'subject']);
    expect(facts.viewsSql).toBe(
      "select act_fact_views('mail_sent_facts', 'occurred_at', array['direction']::name[], 'account', " +
        "array['recipients']::name[], 'UTC');",
    );
    expect(
      mirrorTableDrift(facts, [
        'create table mail_sent_facts (account text, message_id text, occurred_at timestamptz, direction text, recipients numeric, subject text, _version bigint, _payload_hash text, _deleted_at timestamptz, _synced_at timestamptz, _version_order bigint[]);',
      ]),
    ).toEqual({ table: 'mail_sent_facts', missing: [] });
  });

  it('refuses a column declared twice', () => {
    expect(() =>
      factTable({
        table: 't',
        keys: ['tenant', 'id'],
        occurredAt: timestamp('at'),
        dimensions: { kind: text('kind') },
        measures: { kind: number('n') },
      }),
    ).toThrow(/kind is declared twice/);
  });
});
