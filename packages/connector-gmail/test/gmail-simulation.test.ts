// The connector's `createSimulation` (./testing), what the demo runs: the fictional provider, always simulated.
import { createMemoryCredentialStore, createMemoryStateStore, createWebhookHandler, noopLogger } from '@act/core';
import { createMemoryRateLimitStore } from '@act/core/internal';
import { createRandom } from '@act/core/testing/fake';
import { describe, expect, it } from 'vitest';
import { createSimulation } from '../src/testing/index';

describe('gmail createSimulation', () => {
  it("plays the provider with its fake, whose deliveries the connector's webhook accepts", async () => {
    const simulation = await createSimulation({
      baseUrl: 'http://127.0.0.1:9/sim/gmail',
      random: createRandom(42),
      runId: 'test',
      state: { credentials: createMemoryCredentialStore(), rateLimits: createMemoryRateLimitStore() },
      env: {},
      logger: noopLogger,
    });
    expect(simulation.connector.source).toBe('gmail');
    expect(simulation.tenants).toEqual(['acct_north', 'acct_south']);
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
});
