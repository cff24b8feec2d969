import { signHmacSha256 } from '@act/core/testing';
import listRecordsPage1 from '../fixtures/list-records.page-1.json?raw';
import listRecordsPage2 from '../fixtures/list-records.page-2.json?raw';
import recordCreated from '../fixtures/record-created.1.json?raw';
import recordDeleted from '../fixtures/record-deleted.1.json?raw';
import recordUpdated from '../fixtures/record-updated.1.json?raw';

/** Raw fixture bodies, byte for byte as on disk. */
export const fixtures = {
  recordCreated,
  recordUpdated,
  recordDeleted,
  listRecordsPage1,
  listRecordsPage2,
} as const;

export const TEST_SECRET = 'whsec_gmail_test';
export const TEST_TOKEN = 'tok_gmail_test';
export const TEST_ACCOUNT = 'acct_7Hq2Lx';
export const TEST_BASE_URL = 'https://api.gmail.example';

const encoder = new TextEncoder();

/**
 * The `x-gmail-signature` value Gmail would send for `body`:
 * `t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
 */
export async function signGmailBody(
  body: string | Uint8Array,
  options: { secret?: string; timestamp?: number } = {},
): Promise<string> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  const prefix = encoder.encode(`${timestamp}.`);
  const signed = new Uint8Array(prefix.byteLength + bytes.byteLength);
  signed.set(prefix);
  signed.set(bytes, prefix.byteLength);
  return `t=${timestamp},v1=${await signHmacSha256({ secret: options.secret ?? TEST_SECRET, body: signed })}`;
}

/** A signed POST of `body` to a webhook handler. */
export async function signedGmailRequest(
  body: string,
  options: { secret?: string; timestamp?: number } = {},
): Promise<Request> {
  return new Request('http://localhost/webhooks/gmail', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gmail-signature': await signGmailBody(body, options) },
    body,
  });
}

/** The created fixture turned thin: `data.object_id` instead of `data.object`. */
export function thinEventBody(overrides: { id?: string; recordId?: string } = {}): string {
  const event = JSON.parse(fixtures.recordCreated) as Record<string, unknown>;
  return JSON.stringify({
    ...event,
    id: overrides.id ?? 'evt_thin_1',
    type: 'record.updated',
    data: { object_id: overrides.recordId ?? 'rec_3Fz9Kd' },
  });
}
