// That each string equals its .sql file is checked for every package by tools/embed-sql.test.ts.
import { ACT_MIGRATIONS } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { GMAIL_MIGRATIONS } from '../src/generated/migrations';
import { createGmailConnector } from '../src/gmail-connector';

const connector = createGmailConnector({ accessToken: 't' });

describe('Gmail migrations', () => {
  it('are the gmail ones only (`_gmail_`), keyed (mailbox, id)', () => {
    expect(connector.migrations.map((migration) => migration.name)).toEqual(
      GMAIL_MIGRATIONS.filter((migration) => migration.name.includes('_gmail_')).map((migration) => migration.name),
    );
    expect(connector.migrations.every((migration) => !migration.name.includes('_calendar_'))).toBe(true);
    const sql = connector.migrations.map((migration) => migration.sql).join('\n');
    expect(sql).toContain('create table if not exists gmail_messages');
    expect(sql).toContain('primary key (mailbox, id)');
  });

  describe('gmail_threads', () => {
    const db = new PGlite();
    afterAll(() => db.close());

    it('groups live messages by thread: counts, first subject, participants and labels', async () => {
      // The sink's first (the communications view reads its identity map), then the connector's.
      for (const migration of [...ACT_MIGRATIONS, ...connector.migrations]) await db.exec(migration.sql);
      await db.exec(`
        insert into gmail_messages (mailbox, id, thread_id, subject, snippet, internal_date, label_ids, from_addresses, to_addresses, cc_addresses, _deleted_at) values
          ('u@example.com', 'm1', 't1', 'Q4 figures', 'first', '2025-12-08T08:00:00Z', '{INBOX}', '{jane@example.com}', '{u@example.com}', '{}', null),
          ('u@example.com', 'm2', 't1', 'Re: Q4 figures', 'second', '2025-12-08T09:00:00Z', '{SENT}', '{u@example.com}', '{jane@example.com}', '{bob@example.com}', null),
          ('u@example.com', 'm3', 't1', 'Re: Q4 figures', 'deleted', '2025-12-08T10:00:00Z', '{TRASH}', '{eve@example.com}', '{}', '{}', now()),
          ('u@example.com', 'm4', 't2', 'Other', 'other', '2025-12-09T08:00:00Z', null, null, null, null, null)`);
      const { rows } = await db.query<Record<string, unknown>>(
        'select thread_id, message_count, subject, last_snippet, participants, label_ids from gmail_threads order by thread_id',
      );
      expect(rows).toEqual([
        {
          thread_id: 't1',
          message_count: 2,
          subject: 'Q4 figures',
          last_snippet: 'second',
          participants: ['bob@example.com', 'jane@example.com', 'u@example.com'],
          label_ids: ['INBOX', 'SENT'],
        },
        { thread_id: 't2', message_count: 1, subject: 'Other', last_snippet: 'other', participants: [], label_ids: [] },
      ]);
    });
  });
});
