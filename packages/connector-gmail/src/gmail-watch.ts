import type { CredentialStoreV1, HealthSignalV1, SubscriptionV1, SyncStoreV1 } from '@act/core';
import type { GmailClient } from './gmail-client';
import { normalizeMailbox } from './gmail-events';
import { GMAIL_SOURCE } from './google-settings';

/** The subscription's name (part of the scheduler's job key). */
export const GMAIL_WATCH = 'gmail-watch';
const DAY_MS = 86_400_000;

/** `gmail-watch:<mailbox>`: where a mailbox's last watch is recorded. */
export function gmailWatchKey(mailbox: string): string {
  return `${GMAIL_WATCH}:${normalizeMailbox(mailbox)}`;
}

/** What is kept per mailbox after a renewal. */
interface WatchRecord {
  /** When the watch lapses unless renewed (ISO). */
  expiresAt: string;
  /** The mailbox's historyId when it was renewed. */
  historyId: string;
  renewedAt: string;
}

/**
 * [G2] A mailbox's `users.watch`: Gmail publishes its changes to the Pub/Sub
 * topic until `expiration`. Google: "You must re-call watch at least every 7
 * days … We recommend calling watch once per day": renewing whenever less than
 * 6 days remain renews a week-long watch every day, and a failed renewal has
 * six more days of retries before the watch lapses. Each renewal's expiry is
 * kept in `state` (when given) for the health signals.
 */
export function createGmailWatch(options: {
  client: GmailClient;
  state?: CredentialStoreV1 | undefined;
  now?: (() => Date) | undefined;
}): SubscriptionV1 {
  const { client, state } = options;
  const now = options.now ?? (() => new Date());
  return {
    name: GMAIL_WATCH,
    renewBeforeMs: 6 * DAY_MS,
    async renew({ tenant, signal }) {
      const answer = await client.watch(tenant, { signal });
      // [G2] `expiration`: epoch ms, as a string.
      const expiresAt = new Date(Number(answer.expiration));
      const record: WatchRecord = {
        expiresAt: expiresAt.toISOString(),
        historyId: answer.historyId,
        renewedAt: now().toISOString(),
      };
      await state?.put(gmailWatchKey(tenant), { ...record });
      return { expiresAt };
    },
    async stop({ tenant, signal }) {
      // [G2] Notifications stop "within a few minutes".
      await client.stop(tenant, { signal });
      await state?.put(gmailWatchKey(tenant), { stoppedAt: now().toISOString() });
    },
  };
}

/**
 * [G2] Amber when a connected mailbox's watch lapses within a day (renewals
 * are failing), red when it has lapsed, or was never made while the connector
 * keeps watches (no pushes arrive; only the safety-net poll brings changes).
 */
export async function gmailWatchSignals(options: {
  sync: Pick<SyncStoreV1, 'listConnections'>;
  state: CredentialStoreV1;
  expectWatch: boolean;
  now: Date;
}): Promise<HealthSignalV1[]> {
  const signals: HealthSignalV1[] = [];
  const connections = await options.sync.listConnections({ source: GMAIL_SOURCE, status: 'active' });
  for (const { tenant } of connections) {
    const stored = await options.state.get(gmailWatchKey(tenant));
    const expiresAt = typeof stored?.value.expiresAt === 'string' ? new Date(stored.value.expiresAt) : undefined;
    if (!expiresAt || Number.isNaN(expiresAt.getTime())) {
      if (options.expectWatch) {
        signals.push({
          source: GMAIL_SOURCE,
          tenant,
          status: 'red',
          code: 'watch_missing',
          message: `no Gmail watch was made for ${tenant}: no pushes arrive, changes come only from the safety-net poll; check the scheduler's gmail-watch job and the Pub/Sub topic`,
        });
      }
      continue;
    }
    const left = expiresAt.getTime() - options.now.getTime();
    if (left <= 0) {
      signals.push({
        source: GMAIL_SOURCE,
        tenant,
        status: 'red',
        code: 'watch_lapsed',
        message: `the Gmail watch of ${tenant} lapsed at ${expiresAt.toISOString()}: no pushes arrive until users.watch is called again (check the gmail-watch job's errors)`,
        since: expiresAt,
      });
    } else if (left < DAY_MS) {
      signals.push({
        source: GMAIL_SOURCE,
        tenant,
        status: 'amber',
        code: 'watch_expiring',
        message: `the Gmail watch of ${tenant} lapses at ${expiresAt.toISOString()}, and its daily renewals have not extended it: check the gmail-watch job's errors`,
      });
    }
  }
  return signals;
}
