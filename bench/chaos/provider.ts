/**
 * The simulated provider: a plan of source changes (the truth), signed
 * deliveries, and the provider's retry policy.
 *
 * - Template (fictional, HMAC `t=…,v1=…`): retries any non-2xx or network
 *   error, like Xero (which retries non-2xx for up to 24 h) and Pub/Sub.
 * - GoHighLevel (Ed25519 `x-ghl-signature`): retries ONLY a 429, at most 6
 *   times (~10 min apart in reality, compressed here); any other answer,
 *   5xx and no answer included, is final and the event is lost.
 */
import { generateGhlSigningKey, signGhlBody } from '@act/connector-ghl/testing';
import { signTemplateBody } from '@act/connector-template/testing';
import { type ExpectedRow, post, rng, type SendResult, shuffle, sleep } from './lib.ts';

export const TEMPLATE_SECRET = 'whsec_chaos_0123456789abcdef';

export interface Change {
  deliveryId: string;
  tenant: string;
  recordId: string;
  /** Version (epoch ms of the change). */
  version: number;
  /** Index of the version within the record's history (0 = first). */
  step: number;
  kind: 'update' | 'delete';
  body: string;
}

export interface PlanOptions {
  records: number;
  versions: number;
  tenants: number;
  /** Fraction of records whose history ends with a delete. */
  deleteFraction: number;
  seed: number;
  /** Version of step 0; steps are 1 s apart (GHL needs them within its 5-minute replay window). */
  baseMs?: number;
  connector: 'template' | 'ghl';
}

export interface Plan {
  changes: Change[];
  expected: ExpectedRow[];
}

export function marker(recordId: string, step: number): string {
  return `${recordId} v${step}`;
}

/** Every record's history; the expected final state is each record's newest change. */
export function makePlan(options: PlanOptions): Plan {
  const random = rng(options.seed);
  const base = options.baseMs ?? Date.now() - 86_400_000;
  const changes: Change[] = [];
  const expected: ExpectedRow[] = [];
  for (let r = 0; r < options.records; r++) {
    const tenant = `tenant_${r % options.tenants}`;
    const recordId = `rec_${r}`;
    const deleted = random() < options.deleteFraction;
    for (let step = 0; step < options.versions; step++) {
      // Distinct versions per record; records interleave in time.
      const version = base + step * 1_000 + (r % 997);
      const kind = deleted && step === options.versions - 1 ? 'delete' : 'update';
      const deliveryId = `evt_${options.seed}_${r}_${step}`;
      const body =
        options.connector === 'template'
          ? templateBody(deliveryId, tenant, recordId, version, step, kind)
          : ghlBody(deliveryId, tenant, recordId, version, step, kind);
      changes.push({ deliveryId, tenant, recordId, version, step, kind, body });
    }
    const last = options.versions - 1;
    expected.push({
      tenant,
      id: recordId,
      version: base + last * 1_000 + (r % 997),
      deleted,
      marker: deleted ? null : marker(recordId, last),
    });
  }
  return { changes, expected };
}

function templateBody(
  deliveryId: string,
  tenant: string,
  recordId: string,
  version: number,
  step: number,
  kind: 'update' | 'delete',
): string {
  const at = new Date(version).toISOString();
  if (kind === 'delete') {
    return JSON.stringify({
      id: deliveryId,
      type: 'record.deleted',
      account_id: tenant,
      created_at: at,
      data: { object_id: recordId },
    });
  }
  return JSON.stringify({
    id: deliveryId,
    type: step === 0 ? 'record.created' : 'record.updated',
    account_id: tenant,
    created_at: at,
    data: {
      object: {
        id: recordId,
        name: marker(recordId, step),
        email: `${recordId}@example.com`,
        status: step % 2 === 0 ? 'active' : 'paused',
        updated_at: at,
      },
    },
  });
}

function ghlBody(
  webhookId: string,
  locationId: string,
  contactId: string,
  version: number,
  step: number,
  kind: 'update' | 'delete',
): string {
  const timestamp = new Date(version).toISOString();
  if (kind === 'delete') {
    return JSON.stringify({ type: 'ContactDelete', locationId, id: contactId, webhookId, timestamp });
  }
  return JSON.stringify({
    type: step === 0 ? 'ContactCreate' : 'ContactUpdate',
    locationId,
    id: contactId,
    webhookId,
    timestamp,
    firstName: marker(contactId, step),
    lastName: 'Chaos',
    email: `${contactId}@example.com`,
    dateAdded: new Date(version - step * 1_000).toISOString(),
    tags: ['chaos'],
  });
}

/** Signed as Template signs (the connector's own signer). */
export async function signTemplate(body: string, now = Date.now()): Promise<Record<string, string>> {
  return { 'x-template-signature': await signTemplateBody(TEMPLATE_SECRET, body, now) };
}

/** A GHL signing key pair made for the run (the receiver is configured with `publicPem`). */
export async function ghlKeyPair(): Promise<{ publicPem: string; privateKey: CryptoKey }> {
  const key = await generateGhlSigningKey();
  return { publicPem: key.publicPem, privateKey: key.privateKey };
}

/** Signed as GHL signs (the connector's own signer), with the run's key. */
export async function signGhl(body: string, privateKey: CryptoKey): Promise<Record<string, string>> {
  return { 'x-ghl-signature': await signGhlBody(body, privateKey) };
}

export interface ProviderPolicy {
  kind: 'retry-non-2xx' | 'ghl-429-only';
  /** Delay before a retry (compressed: GHL waits ~10 min). */
  retryDelayMs: number;
  /** Most retries (GHL: 6). */
  maxRetries: number;
}

export const GHL_POLICY: ProviderPolicy = { kind: 'ghl-429-only', retryDelayMs: 1_500, maxRetries: 6 };
export const RETRY_ALL_POLICY: ProviderPolicy = { kind: 'retry-non-2xx', retryDelayMs: 300, maxRetries: 100 };

export interface SendStats {
  requests: number;
  acked: Set<string>;
  /** Deliveries the provider gave up on (GHL: any final non-2xx). */
  dropped: Map<string, number>;
  statuses: Record<string, number>;
  retries: number;
}

export function newStats(): SendStats {
  return { requests: 0, acked: new Set(), dropped: new Map(), statuses: {}, retries: 0 };
}

/** Deliver one change to `url` as the provider would, with its retries. */
export async function deliver(
  change: Change,
  url: string | (() => string),
  signer: (body: string) => Record<string, string> | Promise<Record<string, string>>,
  policy: ProviderPolicy,
  stats: SendStats,
): Promise<SendResult> {
  let result: SendResult = { status: 0 };
  for (let attempt = 0; attempt <= policy.maxRetries; attempt++) {
    if (attempt > 0) {
      stats.retries++;
      await sleep(policy.retryDelayMs * (0.75 + Math.random() / 2));
    }
    stats.requests++;
    result = await post(typeof url === 'string' ? url : url(), change.body, await signer(change.body));
    const key = result.status === 0 ? 'network' : String(result.status);
    stats.statuses[key] = (stats.statuses[key] ?? 0) + 1;
    if (result.status >= 200 && result.status < 300) {
      stats.acked.add(change.deliveryId);
      stats.dropped.delete(change.deliveryId);
      return result;
    }
    const retry = policy.kind === 'ghl-429-only' ? result.status === 429 : true;
    if (!retry) break;
  }
  if (!stats.acked.has(change.deliveryId)) stats.dropped.set(change.deliveryId, result.status);
  return result;
}

export { shuffle };
