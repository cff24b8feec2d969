// Webhook fixtures and signing helpers for the receive-path tests. Edge-safe:
// Web Crypto only, fixtures imported as raw text (`?raw`), no `node:` modules.

import { signXeroBody } from '../../src/xero-signature';
import contactUpdate1 from '../fixtures/contact-update.1.json?raw';
import creditNoteCreate1 from '../fixtures/credit-note-create.1.json?raw';
import intentToReceive1 from '../fixtures/intent-to-receive.1.json?raw';
import intentToReceive2 from '../fixtures/intent-to-receive.2.json?raw';
import invoiceUpdate1 from '../fixtures/invoice-update.1.json?raw';

/** The webhook fixtures (published samples, [X3]/[X12][X13]), byte for byte as on disk. */
export const webhookFixtures = {
  'intent-to-receive.1.json': intentToReceive1,
  'intent-to-receive.2.json': intentToReceive2,
  'contact-update.1.json': contactUpdate1,
  'invoice-update.1.json': invoiceUpdate1,
  'credit-note-create.1.json': creditNoteCreate1,
} as const;

export type WebhookFixtureName = keyof typeof webhookFixtures;

/** [X12][X13] vector 1: calcinai/xero-php's unit-test key. */
export const XERO_PHP_TEST_KEY = 'test_key';
export const XERO_PHP_SIGNATURE = 'ixznmr+Pdl6QymsWZM+9UkY4lu97q04sJyejmSOp25U=';

/** [X12][X13] vector 2: the key of the real intent-to-receive request in XeroWebhooksReceiver#1 (public, burnt). */
export const ITR_KEY = 'LR+QgKlbRciIPYpi65tTKLaZ3FzLLofCNEQWrRXqWXJeDFrfexzfVI9SmnVuCWDJ4jnjHB9ECtOyxZSofRxwWw==';
/** Its correct HMAC: 200. */
export const ITR_CORRECT_SIGNATURE = 'BjzNbYUfrzg4g8wxm+dKHaZVrKxr2m75E296fUbD1E4=';
/** The header Xero actually sent: one of intent-to-receive's deliberately wrong signatures, 401. */
export const ITR_SENT_SIGNATURE = '/jzNbYUfrzg4g8wxm+dKHaZVrKxr2m75E296fUbD1E4=';
/** Negative control: HMAC with the base64-decoded key. */
export const ITR_DECODED_KEY_SIGNATURE = 'Mq69bgTi4NjaAH80DD36XGZTvVkmO6OvkkRpU2zYijA=';
/** Negative control: HMAC over `JSON.stringify(JSON.parse(body))`. */
export const ITR_RESERIALISED_SIGNATURE = '05NlK23dTIMq/IbzQ8QaQPyNtD53TnSeLWfxjsjtbYI=';

/** A webhook key for generated vectors, shaped like a portal key (base64 text, used as text). */
export const TEST_KEY = 'c2VjcmV0LXRlc3Qta2V5LWZvci1hY3QtY29ubmVjdG9yLXhlcm8tZG8tbm90LXVzZQ==';
export const ROTATED_KEY = 'bmV3LXJvdGF0ZWQta2V5LWZvci1hY3QtY29ubmVjdG9yLXhlcm8tZG8tbm90LXVzZQ==';

/** Tenants and records of the fixtures. */
export const INVOICE_TENANT = 'e629a03c-7ffe-4913-bd94-ff2fdb36a702';
export const INVOICE_ID = '44aa0707-f718-4f1c-8d53-f2da9ca59533';
export const CONTACT_TENANT = 'c2cc9b6e-9458-4c7d-93cc-f02b81b0594f';
export const CONTACT_ID = '717f2bfc-c6d4-41fd-b238-3f2f0c0cf777';

/** A signed POST of `body`, as Xero sends it. */
export async function signedXeroRequest(
  body: string,
  options: { key?: string; signature?: string | null; url?: string } = {},
): Promise<Request> {
  const signature =
    options.signature === undefined ? await signXeroBody(body, options.key ?? TEST_KEY) : options.signature;
  return new Request(options.url ?? 'http://localhost/webhooks/xero', {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      ...(signature !== null ? { 'x-xero-signature': signature } : {}),
    },
    body,
  });
}

/** One webhook event as Xero writes it (field order as in the spec example). */
export function notification(options: {
  category?: string;
  type?: string;
  tenant?: string;
  id?: string;
  at?: string;
  data?: Record<string, unknown>;
}): Record<string, unknown> {
  const category = options.category ?? 'INVOICE';
  const id = options.id ?? INVOICE_ID;
  const collection: Record<string, string> = { INVOICE: 'Invoices', CONTACT: 'Contacts', CREDITNOTE: 'CreditNotes' };
  return {
    resourceUrl: `https://api.xero.com/api.xro/2.0/${collection[category.toUpperCase()] ?? 'Things'}/${id}`,
    resourceId: id,
    eventDateUtc: options.at ?? '2026-03-02T10:00:00.000',
    eventType: options.type ?? 'UPDATE',
    eventCategory: category,
    tenantId: options.tenant ?? INVOICE_TENANT,
    tenantType: 'ORGANISATION',
    ...(options.data ? { data: options.data } : {}),
  };
}

/** A delivery body with Xero's irregular whitespace around the sequence numbers. */
export function deliveryBody(
  events: readonly Record<string, unknown>[],
  sequence: { first: number; last: number } = { first: 1, last: events.length },
  entropy = 'QWERTYUIOPASDFGHJKLZ',
): string {
  return `{"events":${JSON.stringify(events)},"firstEventSequence": ${sequence.first},"lastEventSequence": ${sequence.last}, "entropy": "${entropy}"}`;
}
