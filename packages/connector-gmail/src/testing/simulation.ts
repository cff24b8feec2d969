import type { CreateSimulationV1 } from '@act/core/testing/fake';
import { createGmailConnector } from '../gmail-connector';
import { GmailFake } from './fake';

/**
 * The gmail in a simulated run (the demo): its fictional provider is
 * always simulated, two accounts, served under `baseUrl`. Copy it for your
 * connector, with a real-account branch when the provider's variables are set
 * (see GHL's and Xero's).
 */
export const createSimulation: CreateSimulationV1 = async ({ baseUrl, random, runId, logger }) => {
  const secret = 'demo-webhook-secret';
  const fake = new GmailFake(['acct_north', 'acct_south'], random, runId, secret);
  return {
    connector: createGmailConnector({
      webhookSecrets: [secret],
      apiToken: 'demo-token',
      baseUrl,
      pageSize: 10,
      logger,
    }),
    fake,
    tenants: fake.tenants,
    weight: 1,
    seedPerTenant: 15,
  };
};
