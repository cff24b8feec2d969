import { describe, expect, it } from 'vitest';
import type { GmailMessage } from '../src/gmail-events';
import { deletedEvent, messageEvent } from '../src/gmail-poller';
import { createGmailTransformer, parseAddresses } from '../src/gmail-transform';
import { fixtures, MAILBOX } from './helpers/gmail-api';

const transformer = createGmailTransformer();
const upsertOf = async (message: GmailMessage) => {
  const [operation] = await transformer.transform(messageEvent(MAILBOX, 'message.added', message), {
    fieldPolicies: transformer.fieldPolicies ?? {},
  });
  if (operation?.kind !== 'upsert') throw new Error(`expected an upsert, got ${operation?.kind}`);
  return operation;
};

describe('Gmail transform', () => {
  it('maps a metadata-format message [G5] to a gmail_messages row, versioned by its historyId', async () => {
    const operation = await upsertOf(JSON.parse(fixtures.messageMetadata));
    expect(operation).toMatchObject({
      table: 'gmail_messages',
      key: { mailbox: MAILBOX, id: '18c1a2b3c4d5e6f7' },
      version: 998,
    });
    expect(operation.values).toMatchObject({
      thread_id: '18c1a2b3c4d5e6f7',
      history_id: '998',
      label_ids: ['INBOX', 'UNREAD', 'CATEGORY_PERSONAL'],
      snippet: 'Hi Ana, the quarterly figures are attached.',
      size_estimate: 5123,
      internal_date: '2025-12-08T08:00:00.000Z',
      subject: 'Q4 figures',
      // A display name with a comma in quotes, a group, upper case: bare lower-case addresses.
      from_addresses: ['jane.doe@example.com'],
      to_addresses: ['ana@example.org', 'bob@example.org', 'carol@example.org'],
      cc_addresses: ['dave@example.net'],
    });
    expect((operation.values.raw as GmailMessage).payload?.headers).toHaveLength(6);
  });

  it('keeps bodies out of `raw` for a full-format message, and writes [] for a header the message lacks', async () => {
    const operation = await upsertOf(JSON.parse(fixtures.messageFull));
    const raw = operation.values.raw as GmailMessage;
    expect(JSON.stringify(raw)).not.toContain('VGhhbmtzIEphbmUNCg');
    expect(raw.payload?.parts?.[0]?.body).toEqual({ size: 12 });
    expect(operation.values).toMatchObject({
      cc_addresses: [],
      to_addresses: ['jane.doe@example.com'],
      label_ids: ['SENT'],
    });
  });

  it('leaves the header columns unset for a raw-format message (no parsed headers) and drops `raw` from the row copy', async () => {
    const operation = await upsertOf({ id: 'm1', threadId: 't1', historyId: '5', raw: 'RnJvbTogYUBiLmM' });
    expect(operation.values).not.toHaveProperty('from_addresses');
    expect(operation.values).not.toHaveProperty('subject');
    expect(operation.values.raw).toEqual({ id: 'm1', threadId: 't1', historyId: '5' });
  });

  it('turns a deletion into a tombstone at the history record that removed it', async () => {
    const operations = await transformer.transform(deletedEvent(MAILBOX, { id: 'm9', threadId: 't9' }, '1005'), {
      fieldPolicies: {},
    });
    expect(operations).toEqual([
      expect.objectContaining({
        kind: 'delete',
        table: 'gmail_messages',
        key: { mailbox: MAILBOX, id: 'm9' },
        version: 1005,
      }),
    ]);
  });
});

describe('parseAddresses', () => {
  it.each([
    ['"Doe, Jane" <Jane@Example.COM>', ['jane@example.com']],
    ['a@b.co, "x, y" <c@d.co>', ['a@b.co', 'c@d.co']],
    ['Team: a@b.co, C <c@d.co>;, e@f.co', ['a@b.co', 'c@d.co', 'e@f.co']],
    ['undisclosed-recipients:;', []],
    ['Ana (work) <ana@example.org>', ['ana@example.org']],
    ['=?UTF-8?B?SsO2cmc=?= <jorg@example.de>', ['jorg@example.de']],
    // Not RFC 5322 (an unquoted comma, a stray bracket): the addresses it holds are still found.
    ['Doe, Jane <jane@example.com>>, bob@example.com', ['jane@example.com', 'bob@example.com']],
  ])('%s', (header, expected) => {
    expect(parseAddresses(header)).toEqual(expected);
  });
});
