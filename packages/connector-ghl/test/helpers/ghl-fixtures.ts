// Webhook fixtures and signing helpers for the receive-path tests. Edge-safe:
// Web Crypto only, fixtures imported as raw text (`?raw`), no `node:` modules.
import appInstall1 from '../fixtures/app-install.1.json?raw';
import appInstall2 from '../fixtures/app-install.2.json?raw';
import appInstall3 from '../fixtures/app-install.3.json?raw';
import appUninstall1 from '../fixtures/app-uninstall.1.json?raw';
import appUninstall2 from '../fixtures/app-uninstall.2.json?raw';
import appointmentCreate1 from '../fixtures/appointment-create.1.json?raw';
import appointmentDelete1 from '../fixtures/appointment-delete.1.json?raw';
import appointmentUpdate1 from '../fixtures/appointment-update.1.json?raw';
import contactCreate1 from '../fixtures/contact-create.1.json?raw';
import contactDelete1 from '../fixtures/contact-delete.1.json?raw';
import contactDndUpdate1 from '../fixtures/contact-dnd-update.1.json?raw';
import contactTagUpdate1 from '../fixtures/contact-tag-update.1.json?raw';
import contactUpdate1 from '../fixtures/contact-update.1.json?raw';
import inboundMessage1 from '../fixtures/inbound-message.1.json?raw';
import inboundMessage2 from '../fixtures/inbound-message.2.json?raw';
import invoiceCreate1 from '../fixtures/invoice-create.1.json?raw';
import noteCreate1 from '../fixtures/note-create.1.json?raw';
import noteDelete1 from '../fixtures/note-delete.1.json?raw';
import noteUpdate1 from '../fixtures/note-update.1.json?raw';
import opportunityAssignedToUpdate1 from '../fixtures/opportunity-assigned-to-update.1.json?raw';
import opportunityCreate1 from '../fixtures/opportunity-create.1.json?raw';
import opportunityDelete1 from '../fixtures/opportunity-delete.1.json?raw';
import opportunityMonetaryValueUpdate1 from '../fixtures/opportunity-monetary-value-update.1.json?raw';
import opportunityStageUpdate1 from '../fixtures/opportunity-stage-update.1.json?raw';
import opportunityStatusUpdate1 from '../fixtures/opportunity-status-update.1.json?raw';
import opportunityUpdate1 from '../fixtures/opportunity-update.1.json?raw';
import taskComplete1 from '../fixtures/task-complete.1.json?raw';
import taskCreate1 from '../fixtures/task-create.1.json?raw';
import taskDelete1 from '../fixtures/task-delete.1.json?raw';
import workflowWebhook1 from '../fixtures/workflow-webhook.1.json?raw';

/** The Marketplace webhook fixtures (GHL's documented examples), byte for byte as on disk. */
export const webhookFixtures = {
  'contact-create.1.json': contactCreate1,
  'contact-update.1.json': contactUpdate1,
  'contact-delete.1.json': contactDelete1,
  'contact-tag-update.1.json': contactTagUpdate1,
  'contact-dnd-update.1.json': contactDndUpdate1,
  'opportunity-create.1.json': opportunityCreate1,
  'opportunity-update.1.json': opportunityUpdate1,
  'opportunity-delete.1.json': opportunityDelete1,
  'opportunity-status-update.1.json': opportunityStatusUpdate1,
  'opportunity-stage-update.1.json': opportunityStageUpdate1,
  'opportunity-monetary-value-update.1.json': opportunityMonetaryValueUpdate1,
  'opportunity-assigned-to-update.1.json': opportunityAssignedToUpdate1,
  'appointment-create.1.json': appointmentCreate1,
  'appointment-update.1.json': appointmentUpdate1,
  'appointment-delete.1.json': appointmentDelete1,
  'task-create.1.json': taskCreate1,
  'task-complete.1.json': taskComplete1,
  'task-delete.1.json': taskDelete1,
  'note-create.1.json': noteCreate1,
  'note-update.1.json': noteUpdate1,
  'note-delete.1.json': noteDelete1,
  'app-install.1.json': appInstall1,
  'app-install.2.json': appInstall2,
  'app-install.3.json': appInstall3,
  'app-uninstall.1.json': appUninstall1,
  'app-uninstall.2.json': appUninstall2,
  'inbound-message.1.json': inboundMessage1,
  'inbound-message.2.json': inboundMessage2,
  'invoice-create.1.json': invoiceCreate1,
} as const;

export type WebhookFixtureName = keyof typeof webhookFixtures;

/** The workflow webhook fixture (structure only, PII redacted: [G12]). */
export const workflowFixture = workflowWebhook1;

/** The location of most doc examples. */
export const TEST_LOCATION = 've9EPM428h8vShlRW1KT';
export const TEST_WORKFLOW_SECRET = 'wf_secret_3c1f9a';

/**
 * Add the envelope fields GHL's authentication guide documents for every
 * delivery, `timestamp` and `webhookId` [G1], which the per-event examples
 * leave out. They go in front, as in the guide's own example; the
 * documented body follows byte for byte.
 */
export function withEnvelope(body: string, envelope: { timestamp?: string | Date; webhookId?: string } = {}): string {
  const parts: string[] = [];
  if (envelope.timestamp !== undefined) {
    const timestamp = envelope.timestamp instanceof Date ? envelope.timestamp.toISOString() : envelope.timestamp;
    parts.push(`"timestamp": ${JSON.stringify(timestamp)}`);
  }
  if (envelope.webhookId !== undefined) parts.push(`"webhookId": ${JSON.stringify(envelope.webhookId)}`);
  if (parts.length === 0) return body;
  const open = body.indexOf('{');
  return `${body.slice(0, open + 1)}\n  ${parts.join(',\n  ')},${body.slice(open + 1)}`;
}

export interface GhlTestKeys {
  ed25519: CryptoKeyPair;
  ed25519Pem: string;
  rsa: CryptoKeyPair;
  rsaPem: string;
}

const keyCache = new Map<string, Promise<GhlTestKeys>>();

/**
 * Key pairs generated in the test (GHL publishes no signed test vectors,
 * [G1]), with their public keys as SPKI PEM to inject as the
 * configured keys. Cached per label; RSA is 2048-bit for speed (GHL's is 4096).
 */
export function generateGhlTestKeys(label = 'default'): Promise<GhlTestKeys> {
  let keys = keyCache.get(label);
  if (!keys) {
    keys = (async () => {
      const ed25519 = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
      const rsa = (await crypto.subtle.generateKey(
        {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        },
        true,
        ['sign', 'verify'],
      )) as CryptoKeyPair;
      return {
        ed25519,
        ed25519Pem: await toPem(ed25519.publicKey),
        rsa,
        rsaPem: await toPem(rsa.publicKey),
      };
    })();
    keyCache.set(label, keys);
  }
  return keys;
}

async function toPem(key: CryptoKey): Promise<string> {
  const der = new Uint8Array(await crypto.subtle.exportKey('spki', key));
  const base64 = bytesToBase64(der);
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----`;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const encoder = new TextEncoder();

/** The base64 signature GHL would send for `body`: Ed25519 (`x-ghl-signature`) or RSA-SHA256 (`x-wh-signature`). */
export async function signGhlBody(
  body: string | Uint8Array,
  privateKey: CryptoKey,
  scheme: 'ed25519' | 'rsa',
): Promise<string> {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  const algorithm = scheme === 'ed25519' ? { name: 'Ed25519' } : { name: 'RSASSA-PKCS1-v1_5' };
  return bytesToBase64(new Uint8Array(await crypto.subtle.sign(algorithm, privateKey, bytes as BufferSource)));
}

/** Signature headers for `body`, as GHL sends them: Ed25519 by default, RSA (`x-wh-signature`) on request. */
export async function ghlSignatureHeaders(
  body: string | Uint8Array,
  options: { scheme?: 'ed25519' | 'rsa' | 'both'; keys?: GhlTestKeys } = {},
): Promise<Record<string, string>> {
  const keys = options.keys ?? (await generateGhlTestKeys());
  const scheme = options.scheme ?? 'ed25519';
  const headers: Record<string, string> = {};
  if (scheme === 'ed25519' || scheme === 'both')
    headers['x-ghl-signature'] = await signGhlBody(body, keys.ed25519.privateKey, 'ed25519');
  if (scheme === 'rsa' || scheme === 'both')
    headers['x-wh-signature'] = await signGhlBody(body, keys.rsa.privateKey, 'rsa');
  return headers;
}

/** A signed POST of `body` to a webhook handler. */
export async function signedGhlRequest(
  body: string,
  options: { scheme?: 'ed25519' | 'rsa' | 'both'; keys?: GhlTestKeys; headers?: Record<string, string> } = {},
): Promise<Request> {
  return new Request('http://localhost/webhooks/ghl', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await ghlSignatureHeaders(body, options)), ...options.headers },
    body,
  });
}

/** A workflow webhook POST carrying `secret` in the default header (or none). */
export function workflowRequest(body: string, options: { secret?: string | null; url?: string } = {}): Request {
  const secret = options.secret === undefined ? TEST_WORKFLOW_SECRET : options.secret;
  return new Request(options.url ?? 'http://localhost/webhooks/ghl/workflow', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret !== null ? { 'x-act-workflow-secret': secret } : {}) },
    body,
  });
}

/** The workflow fixture with real-looking values in place of its `<placeholders>` (field names untouched). */
export function workflowBody(overrides: Record<string, unknown> = {}): string {
  const body = JSON.parse(workflowFixture) as Record<string, unknown>;
  const location = body.location as Record<string, unknown>;
  return JSON.stringify({
    ...body,
    contact_id: 'nmFmQEsNgz6AVpgLVUJ0',
    first_name: 'John',
    last_name: 'Deo',
    full_name: 'John Deo',
    email: ' JohnDeo@Gmail.com ',
    phone: '+61 412 345 678',
    tags: 'Tag1, tag2,won,,TAG1',
    location: { ...location, id: TEST_LOCATION },
    ...overrides,
  });
}
