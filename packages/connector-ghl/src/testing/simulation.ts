import type { SourceEnvV1 } from '@act/core';
import type { CreateSimulationV1 } from '@act/core/testing/fake';
import { alphanumericId } from '@act/core/testing/fake';
import { createGhlConnector } from '../ghl-connector';
import { loadGhlSettings } from '../ghl-settings';
import { GhlFake } from './fake';

/**
 * GoHighLevel in a simulated run (the demo): the real account with
 * GHL_ACCESS_TOKEN or GHL_CLIENT_ID/GHL_CLIENT_SECRET (polling the locations
 * in DEMO_GHL_LOCATIONS), else a fake with two locations served under `baseUrl`.
 */
export const createSimulation: CreateSimulationV1 = async ({ baseUrl, random, state, env, logger }) => {
  if (isReal(env)) {
    const locations = (env.DEMO_GHL_LOCATIONS ?? '').split(',').flatMap((item) => item.trim() || []);
    return {
      connector: createGhlConnector(
        loadGhlSettings(env, {
          rateLimitStore: state.rateLimits,
          ...(env.GHL_CLIENT_ID ? { oauth: { credentials: state.credentials } } : {}),
          logger,
        }),
      ),
      tenants: locations,
      note: `GoHighLevel: real account (GHL_* set); polling ${locations.join(', ') || 'no location (set DEMO_GHL_LOCATIONS)'}`,
    };
  }
  const token = 'demo-private-integration-token';
  const fake = new GhlFake({ locations: [alphanumericId(random), alphanumericId(random)], random, token });
  await fake.init();
  return {
    connector: createGhlConnector({
      accessToken: token,
      baseUrl,
      // The fake's own Ed25519 key pair stands in for GHL's published key.
      webhook: { ed25519PublicKeys: [fake.publicKeyPem] },
      rateLimitStore: state.rateLimits,
      logger,
    }),
    fake,
    tenants: fake.tenants,
    weight: 2,
    seedPerTenant: 8,
    realAccount: 'GHL_ACCESS_TOKEN',
  };
};

function isReal(env: SourceEnvV1): boolean {
  return Boolean(env.GHL_ACCESS_TOKEN || env.GHL_CLIENT_ID);
}
