// The Gmail push endpoint: Cloud Pub/Sub posts, in its wrapped format [P1],
// `{ message: { data, messageId, publishTime, attributes? }, subscription }`
// whose `data` is base64url JSON `{ emailAddress, historyId }` [G2]. A push
// carries no records, only "this mailbox changed": it becomes a request to
// sync the mailbox's `history` stream from the stored cursor (never from the
// pushed id [G2]), which the inbox coalesces per mailbox.
import { deliveryParser, webhookProcessor } from '@act/connector-kit';
import { PayloadError, type WebhookProcessorV1 } from '@act/core';
import { parseJson } from '@act/core/internal';
import { z } from 'zod';
import { type GmailSourceEvent, gmailPushDataSchema, normalizeMailbox } from './gmail-events';
import { GMAIL_HISTORY_STREAM } from './gmail-poller';
import { GMAIL_PUSH_TOKEN_PARAMETER, type GmailPushOptions, verifyGmailPush } from './gmail-signature';
import { GMAIL_PACKAGE_NAME, GMAIL_SOURCE } from './google-settings';

/**
 * [P1] A wrapped push body. Pub/Sub writes `messageId` and `publishTime`
 * both in camelCase and in snake_case; either is accepted. An unwrapped push
 * (the payload alone, metadata in headers) has no `message` and is refused:
 * the subscription must use the wrapped format.
 */
export const pubsubPushSchema = z.looseObject({
  message: z
    .looseObject({
      data: z.string().min(1),
      messageId: z.string().min(1).optional(),
      message_id: z.string().min(1).optional(),
      publishTime: z.string().min(1).optional(),
      publish_time: z.string().min(1).optional(),
      attributes: z.record(z.string(), z.string()).nullish(),
    })
    .refine((message) => message.messageId !== undefined || message.message_id !== undefined, {
      message: 'messageId is required',
      path: ['messageId'],
    })
    .refine((message) => message.publishTime !== undefined || message.publish_time !== undefined, {
      message: 'publishTime is required',
      path: ['publishTime'],
    }),
  subscription: z.string().min(1),
});
export type PubsubPush = z.infer<typeof pubsubPushSchema>;

/**
 * A verified push → a sync request for the mailbox, deduped on the Pub/Sub
 * `messageId` (a redelivery keeps it [P1][P3]; the same id with other bytes
 * is kept by the inbox as a conflict, never dropped).
 * @throws PayloadError naming the field.
 */
export const parseGmailPush = deliveryParser<GmailSourceEvent, PubsubPush>({
  packageName: GMAIL_PACKAGE_NAME,
  schema: pubsubPushSchema,
  toDelivery({ message }, { check }) {
    const deliveryId = (message.messageId ?? message.message_id) as string;
    const json = parseJson(decodeBase64(message.data), { packageName: GMAIL_PACKAGE_NAME, what: 'message.data' });
    const { emailAddress, historyId } = check(gmailPushDataSchema, json, 'message.data');
    return {
      deliveryId,
      tenant: normalizeMailbox(emailAddress),
      events: [],
      // The pushed history id is only a hint for the logs: the sync starts from the stored cursor [G2].
      sync: { stream: GMAIL_HISTORY_STREAM, hint: historyId },
    };
  },
});

/**
 * Gmail's Pub/Sub push processor. Without options (or with a blank audience
 * or service account) every push is refused as misconfigured (fail closed),
 * with 503, as when Google's keys cannot be fetched: Pub/Sub retries it
 * [P1] until the operator's fix, instead of the notification being lost.
 */
export function createGmailWebhook(options: GmailPushOptions | undefined): WebhookProcessorV1<GmailSourceEvent> {
  return webhookProcessor({
    source: GMAIL_SOURCE,
    packageName: GMAIL_PACKAGE_NAME,
    verify: verifyGmailPush(options),
    keyId: () => 'google-oidc',
    // Nothing but core's content-type/user-agent: the worker never verifies a
    // stored delivery again, it only re-parses its body (Pub/Sub's JWT lives at
    // most an hour [P2], so a re-verification on replay would fail anyway), and
    // the bearer JWT is a credential that must not sit in the inbox.
    persistedHeaders: [],
    // The shared `?token=` is a secret too: the stored URL carries `token=redacted`.
    secretQueryParameters: [GMAIL_PUSH_TOKEN_PARAMETER],
    // [P1] Pub/Sub acknowledges 102/200/201/202/204 and redelivers on anything else.
    misconfiguredStatus: 503,
    persistFailureStatus: 503,
    // An authentic push we cannot read (an unwrapped subscription, another
    // publisher on the topic) is kept and dead-lettered with the reason rather
    // than answered 400: Pub/Sub would redeliver it forever, and its push
    // backoff is per subscription [P1], slowing every other mailbox's pushes.
    storeUnparseable: true,
    parse: parseGmailPush,
    acknowledge: () => new Response(null, { status: 204 }),
  });
}

/** `message.data`: base64url [G2] or standard base64 [P1], padded or not. @throws PayloadError */
function decodeBase64(data: string): Uint8Array {
  const normalized = data.replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalized) || normalized.replace(/=+$/, '').length % 4 === 1) {
    throw new PayloadError({ packageName: GMAIL_PACKAGE_NAME, message: 'invalid message.data: not base64' });
  }
  const unpadded = normalized.replace(/=+$/, '');
  const binary = atob(unpadded + '='.repeat((4 - (unpadded.length % 4)) % 4));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
