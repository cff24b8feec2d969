// Counters as facts (0013_act_identity's act_fact_views over connector-kit's
// factTable): an event delivered twice counts once; per-day and month-to-date
// figures are views over the facts, correct across a month boundary.
import { factTable, number, text, timestamp } from '@act/connector-kit';
import type { SourceEventV1 } from '@act/core';
import { describe, expect, it } from 'vitest';
import type { Migration } from '../src/migrate';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, type TestState } from './helpers/harness';

const emailsSent = factTable({
  table: 'mail_sent_facts',
  keys: ['account', 'message_id'],
  occurredAt: timestamp('sentAt'),
  dimensions: { direction: text('direction') },
  measures: { recipients: number('recipients') },
});

const FACTS: Migration = {
  name: 'test/0001_mail_sent_facts',
  sql: `
create table mail_sent_facts (
  account text not null,
  message_id text not null,
  occurred_at timestamptz,
  direction text,
  recipients numeric,
  _version bigint, _version_order bigint[], _payload_hash text, _deleted_at timestamptz, _synced_at timestamptz,
  primary key (account, message_id)
);
${emailsSent.viewsSql}
`,
};

const sent = (id: string, sentAt: string | undefined, extra: Record<string, unknown> = {}): SourceEventV1 => ({
  source: 'mail',
  tenant: 'acct-1',
  type: 'message.sent',
  entity: 'message',
  entityId: id,
  occurredAt: '2026-01-01T00:00:00.000Z',
  payload: { ...(sentAt !== undefined ? { sentAt } : {}), direction: 'outbound', recipients: 1, ...extra },
});

function suite(harness: () => Harness) {
  const h = harness();
  const withState = (fn: (test: TestState) => Promise<void>) => async () => {
    const test = await h.create({ migrations: [FACTS] });
    try {
      await fn(test);
    } finally {
      await test.destroy();
    }
  };
  const apply = (test: TestState, events: SourceEventV1[]) =>
    test.state.sink.apply(events.flatMap((event) => emailsSent.operations(event)));

  it(
    'the same event delivered twice (in one batch or two) counts once',
    withState(async (test) => {
      const event = sent('m1', '2026-01-15T10:00:00Z');
      await apply(test, [event]);
      const again = await apply(test, [event, sent('m2', '2026-01-15T11:00:00Z')]);
      expect(again.outcomes[0]).toEqual({ outcome: 'skipped', reason: 'unchanged' });
      const daily = await test.query(
        `select account, direction, day::text, events::int, recipients::int from "${test.schema}".mail_sent_facts_daily`,
      );
      expect(daily).toEqual([
        { account: 'acct-1', direction: 'outbound', day: '2026-01-15', events: 2, recipients: 2 },
      ]);
    }),
  );

  it(
    'per-day and month-to-date figures in UTC, restarting at the month boundary',
    withState(async (test) => {
      await apply(test, [
        sent('m1', '2026-01-30T09:00:00Z', { recipients: 2 }),
        sent('m2', '2026-01-31T23:30:00-05:00', { recipients: 3 }), // 1 February 04:30 UTC
        sent('m3', '2026-01-31T22:00:00Z'),
        sent('m4', '2026-02-01T00:00:00Z', { direction: 'inbound' }),
        sent('m5', '2026-02-02T12:00:00Z'),
        sent('m6', undefined), // no time of its own: the event's occurredAt (1 January)
      ]);
      const daily = await test.query(
        `select direction, day::text, events::int, events_mtd::int, recipients::int, recipients_mtd::int
         from "${test.schema}".mail_sent_facts_daily order by direction, day`,
      );
      expect(daily).toEqual([
        { direction: 'inbound', day: '2026-02-01', events: 1, events_mtd: 1, recipients: 1, recipients_mtd: 1 },
        { direction: 'outbound', day: '2026-01-01', events: 1, events_mtd: 1, recipients: 1, recipients_mtd: 1 },
        { direction: 'outbound', day: '2026-01-30', events: 1, events_mtd: 2, recipients: 2, recipients_mtd: 3 },
        { direction: 'outbound', day: '2026-01-31', events: 1, events_mtd: 3, recipients: 1, recipients_mtd: 4 },
        { direction: 'outbound', day: '2026-02-01', events: 1, events_mtd: 1, recipients: 3, recipients_mtd: 3 },
        { direction: 'outbound', day: '2026-02-02', events: 1, events_mtd: 2, recipients: 1, recipients_mtd: 4 },
      ]);
    }),
  );

  it(
    '<table>_mtd counts this UTC month up to now, and nothing of the month before',
    withState(async (test) => {
      const [bounds] = await test.query<{ start: Date; before: Date }>(
        `select date_trunc('month', now() at time zone 'UTC') at time zone 'UTC' as start,
                (date_trunc('month', now() at time zone 'UTC') at time zone 'UTC') - interval '1 second' as before`,
      );
      const start = new Date(bounds?.start as Date).toISOString();
      const before = new Date(bounds?.before as Date).toISOString();
      await apply(test, [sent('m1', start), sent('m2', start), sent('m3', before), sent('m4', '2999-01-01T00:00:00Z')]);
      const mtd = await test.query<{ month: string; events: number }>(
        `select month::text, events::int from "${test.schema}".mail_sent_facts_mtd`,
      );
      expect(mtd).toEqual([{ month: start.slice(0, 10), events: 2 }]);
    }),
  );
}

describe('fact views on PGlite', () => suite(pgliteHarness));
describe.skipIf(!DATABASE_URL)('fact views on Postgres', () => suite(() => postgresHarness()));
