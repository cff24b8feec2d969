import { testConnector, testReconciler } from '@act/connector-kit/testing';
import { ACT_MIGRATIONS } from '@act/sink-supabase';
import nock from 'nock';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createGmailConnector } from '../src/gmail-connector';
import type { GmailMessage } from '../src/gmail-events';
import { deletedEvent, messageEvent } from '../src/gmail-poller';
import { fixtures, MAILBOX, message, serveMessage, serveMessageListing, TOKEN } from './helpers/gmail-api';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const connector = createGmailConnector({ accessToken: TOKEN, retry: { maxAttempts: 1 } });
const metadata = message(fixtures.messageMetadata) as GmailMessage;
const full = message(fixtures.messageFull) as GmailMessage;

// Migrations create every column the transform writes (and apply twice), keyed like the reconciler.
// The communications view reads the sink's identity map (act_identity_values): its migrations come first.
testConnector(connector, {
  prerequisites: ACT_MIGRATIONS,
  events: [
    messageEvent(MAILBOX, 'message.added', metadata),
    messageEvent(MAILBOX, 'message.labels_changed', full),
    deletedEvent(MAILBOX, { id: 'm9', threadId: 't9' }, '1005'),
  ],
});

/** The listing (ids only), and the messages hydrate fetches. */
function serve() {
  serveMessageListing();
  // The conformance check fetches every listed id (to key it as the transform does); the repair only the missing.
  serveMessage('18c1a2b3c4d5e6f7', metadata);
  serveMessage('18c1a2b3c4d5e6f8', full);
  serveMessage('18c1a2b3c4d5e6f9', message(fixtures.messageMetadata, { id: '18c1a2b3c4d5e6f9', historyId: '990' }));
}

testReconciler({
  connector,
  reconciler: connector.reconcilers[0] as NonNullable<(typeof connector.reconcilers)[0]>,
  tenant: MAILBOX,
  serve,
  // One listed message already mirrored, and one Gmail no longer has.
  mirror: [
    messageEvent(MAILBOX, 'message.listed', metadata),
    messageEvent(MAILBOX, 'message.listed', { ...metadata, id: 'gone-since' }),
  ],
  expected: { listed: 3, missing: 2, stale: 0, deleted: 1 },
});
