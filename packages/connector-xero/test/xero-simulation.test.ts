// The connector's `createSimulation` (./testing), what the demo runs: wired to its fake unless the provider's
// variables are set, with Xero's own steps (stored refresh tokens, intent to receive, late deliveries, final poll).
import { createMemoryCredentialStore, createMemoryStateStore, createWebhookHandler, noopLogger } from '@act/core';
import { createMemoryRateLimitStore } from '@act/core/internal';
import type { FakeDelivery, SimulationContextV1 } from '@act/core/testing/fake';
import { createRandom } from '@act/core/testing/fake';
import { describe, expect, it } from 'vitest';
import { createSimulation } from '../src/testing/index';

function context(env: Record<string, string> = {}): SimulationContextV1 {
  return {
    baseUrl: 'http://127.0.0.1:9/sim/xero',
    random: createRandom(42),
    runId: 'test',
    state: { credentials: createMemoryCredentialStore(), rateLimits: createMemoryRateLimitStore() },
    env,
    logger: noopLogger,
  };
}

describe('xero createSimulation', () => {
  it('plays Xero with its fake: tokens to refresh, the intent-to-receive check passes, payments polled at the end', async () => {
    const ctx = context();
    const simulation = await createSimulation(ctx);
    expect(simulation.connector.source).toBe('xero');
    expect(simulation.fake?.source).toBe('xero');
    expect(simulation.tenants).toHaveLength(3);
    expect(simulation.tenants).toEqual(simulation.fake?.tenants);
    await simulation.setup?.();
    const stored = await ctx.state.credentials.get(`xero:${simulation.tenants[0]}`);
    expect(stored?.value).toMatchObject({ accessToken: 'not-yet', expiresAt: 0 });
    const webhook = simulation.connector.webhooks?.default;
    if (!webhook) throw new Error('no webhook');
    const handler = createWebhookHandler({ processor: webhook, store: createMemoryStateStore() });
    const send = async (delivery: FakeDelivery) =>
      (await handler(new Request('http://x/', { method: 'POST', headers: delivery.headers, body: delivery.body })))
        .status;
    const checks = (await simulation.checks?.(send)) ?? [];
    expect(checks).toEqual([{ ok: true, line: expect.stringMatching(/→ 200, mis-signed → 401 \(passed\)$/) }]);
    expect(simulation.finish?.()).toEqual(expect.any(Array));
    expect(simulation.finalPoll?.streams).toEqual(['xero:payments', 'xero:bank_transactions']);
  });

  it('uses the real app when XERO_* is set, polling DEMO_XERO_TENANTS', async () => {
    const simulation = await createSimulation(
      context({
        XERO_WEBHOOK_KEY: 'key',
        XERO_CLIENT_ID: 'id',
        XERO_CLIENT_SECRET: 'secret',
        DEMO_XERO_TENANTS: 'a, b',
      }),
    );
    expect(simulation.fake).toBeUndefined();
    expect(simulation.tenants).toEqual(['a', 'b']);
    expect(simulation.note).toMatch(/^Xero: real app .*polling a, b$/);
  });
});
