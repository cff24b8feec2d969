// The connector's `createSimulation` (./testing), what the demo runs: wired to its fake unless the provider's
// variables are set.
import { createMemoryCredentialStore, createMemoryStateStore, createWebhookHandler, noopLogger } from '@act/core';
import { createMemoryRateLimitStore } from '@act/core/internal';
import type { SimulationContextV1 } from '@act/core/testing/fake';
import { createRandom } from '@act/core/testing/fake';
import { describe, expect, it } from 'vitest';
import { createSimulation } from '../src/testing/index';

function context(env: Record<string, string> = {}): SimulationContextV1 {
  return {
    baseUrl: 'http://127.0.0.1:9/sim/ghl',
    random: createRandom(42),
    runId: 'test',
    state: { credentials: createMemoryCredentialStore(), rateLimits: createMemoryRateLimitStore() },
    env,
    logger: noopLogger,
  };
}

describe('ghl createSimulation', () => {
  it("plays GoHighLevel with its fake, whose deliveries the connector's webhook accepts", async () => {
    const simulation = await createSimulation(context());
    expect(simulation.connector.source).toBe('ghl');
    expect(simulation.fake?.tenants).toHaveLength(2);
    expect(simulation.tenants).toEqual(simulation.fake?.tenants);
    expect(simulation.weight).toBe(2);
    const webhook = simulation.connector.webhooks?.default;
    if (!webhook || !simulation.fake) throw new Error('no webhook or fake');
    const handler = createWebhookHandler({ processor: webhook, store: createMemoryStateStore() });
    for (const delivery of await simulation.fake.next()) {
      const response = await handler(
        new Request('http://x/', { method: 'POST', headers: delivery.headers, body: delivery.body }),
      );
      expect(response.status).toBe(200);
    }
  });

  it('uses the real account when GHL_ACCESS_TOKEN is set, polling DEMO_GHL_LOCATIONS', async () => {
    const simulation = await createSimulation(context({ GHL_ACCESS_TOKEN: 'pit', DEMO_GHL_LOCATIONS: 'loc1' }));
    expect(simulation.fake).toBeUndefined();
    expect(simulation.tenants).toEqual(['loc1']);
    expect(simulation.note).toMatch(/^GoHighLevel: real account .*polling loc1$/);
  });
});
