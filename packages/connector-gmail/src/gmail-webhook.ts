import { deliveryParser } from '@act/connector-kit';
import type { WebhookProcessorV1 } from '@act/core';
import type { JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { type GmailSourceEvent, gmailPushDataSchema, normalizeMailbox } from './gmail-events';
import { GMAIL_PACKAGE_NAME, GMAIL_SOURCE } from './google-settings';

// STAND-IN (gmail-mailbox branch): the push endpoint is another helper's
// (gmail-push branch). This copy only fixes the signature the connector
// imports; it refuses every request, and its parse reads the documented
// Pub/Sub body [P1] [G2] so stored deliveries can be replayed. Take the
// gmail-push branch's file on merge.

/** How the push endpoint authenticates Pub/Sub's OIDC tokens [P2]. */
export interface GmailPushOptions {
  audience: string | readonly string[];
  serviceAccountEmail: string;
  tokens?: readonly string[];
  jwksUrl?: string;
  keySet?: JWTVerifyGetKey;
  fetch?: typeof fetch;
  clockToleranceSeconds?: number;
}

const pushBodySchema = z.looseObject({
  message: z.looseObject({ data: z.string().min(1), messageId: z.string().min(1) }),
  subscription: z.string().nullish(),
});

export function createGmailWebhook(_options: GmailPushOptions | undefined): WebhookProcessorV1<GmailSourceEvent> {
  return {
    specificationVersion: 'v1',
    source: GMAIL_SOURCE,
    packageName: GMAIL_PACKAGE_NAME,
    persistedHeaders: [],
    async verify() {
      return { valid: false, reason: 'push verification is not built in this branch', misconfigured: true };
    },
    parse: deliveryParser({
      packageName: GMAIL_PACKAGE_NAME,
      schema: pushBodySchema,
      toDelivery: (body, { check }) => {
        const decoded = new TextDecoder().decode(
          Uint8Array.from(atob(body.message.data.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)),
        );
        const data = check(gmailPushDataSchema, JSON.parse(decoded), 'message.data');
        return {
          deliveryId: body.message.messageId,
          tenant: normalizeMailbox(data.emailAddress),
          events: [],
          sync: { stream: 'history', hint: data.historyId },
        };
      },
    }),
  };
}
