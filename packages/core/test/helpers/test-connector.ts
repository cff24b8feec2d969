import { PayloadError, ProviderApiError, TransformError } from '../../src/errors';
import type { ConnectorV1, SourceEventV1, WebhookProcessorV1 } from '../../src/spec/v1';
import { signHmacSha256 } from '../../src/testing/sign';

/**
 * A minimal HMAC-signed connector for exercising the runtime. Not a provider:
 * its payload shape is made up for these tests only.
 */
export const TEST_SECRET = 'test-secret';

export interface TestThing {
  id: string;
  name: string;
  updatedAt: string;
}

export interface TestBody {
  deliveryId?: string;
  tenant: string;
  type: 'ThingUpsert' | 'ThingDelete' | 'ThingPing' | 'Unknown';
  thing: TestThing;
}

export interface TestConnectorControls {
  /** Throw a TransformError for things whose name is `broken` while true. */
  rejectBroken: boolean;
  /** Errors the next hydrate calls throw, in order. */
  hydrateErrors: unknown[];
  hydrateCalls: number;
  refreshCalls: number;
}

export function createTestConnector(
  options: { secret?: string | undefined; persistFailureStatus?: number; maxBodyBytes?: number } = {},
) {
  const controls: TestConnectorControls = { rejectBroken: true, hydrateErrors: [], hydrateCalls: 0, refreshCalls: 0 };
  const secret = 'secret' in options ? options.secret : TEST_SECRET;

  const webhook: WebhookProcessorV1 = {
    specificationVersion: 'v1',
    source: 'test',
    packageName: '@act/test-connector',
    persistedHeaders: ['x-test-signature'],
    ...(options.persistFailureStatus ? { persistFailureStatus: options.persistFailureStatus } : {}),
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
    async verify(request) {
      if (!secret) return { valid: false, reason: 'no webhook secret configured', misconfigured: true };
      const header = request.headers['x-test-signature'];
      if (!header) return { valid: false, reason: 'missing x-test-signature header' };
      const expected = await signHmacSha256({ secret, body: request.body });
      return header === expected ? { valid: true } : { valid: false, reason: 'signature mismatch' };
    },
    parse(request) {
      let body: TestBody;
      try {
        body = JSON.parse(new TextDecoder().decode(request.body)) as TestBody;
      } catch (error) {
        throw new PayloadError({ packageName: '@act/test-connector', message: 'body is not JSON', cause: error });
      }
      if (body.type === 'Unknown') return { deliveryId: body.deliveryId, tenant: body.tenant, events: [] };
      const event: SourceEventV1<TestThing> = {
        source: 'test',
        tenant: body.tenant,
        type: body.type,
        entity: 'thing',
        entityId: body.thing.id,
        occurredAt: body.thing.updatedAt,
        version: Date.parse(body.thing.updatedAt),
        thin: body.type === 'ThingPing',
        payload: body.thing,
      };
      return { ...(body.deliveryId ? { deliveryId: body.deliveryId } : {}), tenant: body.tenant, events: [event] };
    },
  };

  const connector: ConnectorV1 = {
    specificationVersion: 'v1',
    source: 'test',
    packageName: '@act/test-connector',
    webhooks: { default: webhook },
    transformer: {
      specificationVersion: 'v1',
      fieldPolicies: { things: { blocked: ['secret_note'], preserved: ['stage'] } },
      transform(event) {
        const thing = event.payload as TestThing;
        if (thing.name === 'broken' && controls.rejectBroken) {
          throw new TransformError({
            packageName: '@act/test-connector',
            message: `thing ${thing.id} has an unusable name`,
          });
        }
        const key = { tenant_id: event.tenant, id: event.entityId };
        if (event.type === 'ThingDelete') return [{ kind: 'delete', table: 'things', key, version: event.version }];
        return [
          {
            kind: 'upsert',
            table: 'things',
            key,
            values: { name: thing.name, stage: 'new', secret_note: 'never mirrored' },
            version: event.version,
          },
        ];
      },
    },
    async hydrate(event) {
      controls.hydrateCalls += 1;
      const error = controls.hydrateErrors.shift();
      if (error) throw error;
      return { ...event, thin: false };
    },
    async refreshCredentials() {
      controls.refreshCalls += 1;
    },
  };
  return { connector, webhook, controls };
}

export async function signedRequest(
  body: TestBody | string,
  options: { secret?: string; headers?: Record<string, string> } = {},
) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const signature = await signHmacSha256({ secret: options.secret ?? TEST_SECRET, body: raw });
  return new Request('http://localhost/webhooks/test', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-test-signature': signature, ...options.headers },
    body: raw,
  });
}

export function thing(id: string, name: string, updatedAt = '2026-11-01T10:00:00.000Z'): TestThing {
  return { id, name, updatedAt };
}

export function rateLimited(retryAfterMs: number) {
  return new ProviderApiError({
    packageName: '@act/test-connector',
    status: 429,
    method: 'GET',
    url: 'https://api.example.test/things/1',
    retryAfterMs,
  });
}
