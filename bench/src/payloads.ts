/**
 * Signed ~1 KB deliveries, made with node:crypto in the load generator's
 * process: the Template connector's HMAC-SHA256 scheme (Stripe-like
 * `t=…,v1=…`) and GoHighLevel's Ed25519 `x-ghl-signature` with a key pair
 * made for the run (the connector is given its public key).
 */
import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

export const TEMPLATE_SECRET = 'whsec_bench_0123456789abcdef';
export const BODY_BYTES = 1024;

function pad(json: (filler: string) => string): string {
  const bare = json('');
  return json('x'.repeat(Math.max(0, BODY_BYTES - Buffer.byteLength(bare))));
}

export function templateBody(id: string, tenant: string, atMs: number, recordId = id): string {
  const at = new Date(atMs).toISOString();
  return pad((filler) =>
    JSON.stringify({
      id,
      type: 'record.updated',
      account_id: tenant,
      created_at: at,
      data: {
        object: {
          id: recordId,
          name: `Record ${recordId}`,
          email: `${recordId}@example.com`,
          status: 'active',
          updated_at: at,
          notes: filler,
        },
      },
    }),
  );
}

export function signTemplate(body: string, now = Date.now()): string {
  const t = Math.floor(now / 1000);
  return `t=${t},v1=${createHmac('sha256', TEMPLATE_SECRET).update(`${t}.${body}`).digest('hex')}`;
}

export function ghlKeys(): { publicPem: string; privatePem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

export function ghlBody(webhookId: string, locationId: string, contactId: string, now = Date.now()): string {
  return pad((filler) =>
    JSON.stringify({
      type: 'ContactUpdate',
      locationId,
      id: contactId,
      webhookId,
      timestamp: new Date(now).toISOString(),
      email: `${contactId}@example.com`,
      firstName: 'Bench',
      lastName: 'Mark',
      name: 'Bench Mark',
      phone: '+14155550100',
      dateAdded: '2024-01-01T00:00:00.000Z',
      tags: ['bench'],
      companyName: filler,
    }),
  );
}

export function signGhl(body: string, privateKey: KeyObject): string {
  return sign(null, Buffer.from(body), privateKey).toString('base64');
}
