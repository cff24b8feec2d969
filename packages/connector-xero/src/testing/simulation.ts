import type { CreateSimulationV1 } from '@act/core/testing/fake';
import { uuid } from '@act/core/testing/fake';
import { createXeroConnector } from '../xero-connector';
import { loadXeroSettings } from '../xero-settings';
import { XeroFake } from './fake';

/**
 * Xero in a simulated run (the demo): the real app with XERO_WEBHOOK_KEY or
 * XERO_CLIENT_ID/XERO_CLIENT_SECRET (polling the organisations in
 * DEMO_XERO_TENANTS), else a fake with three organisations served under
 * `baseUrl`, its token endpoint included.
 */
export const createSimulation: CreateSimulationV1 = async ({ baseUrl, random, state, env, logger }) => {
  // Payments and bank transactions have no webhook category at Xero: only polling brings them
  // (the event categories: https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero-webhooks.yaml).
  const finalPoll = {
    streams: ['xero:payments', 'xero:bank_transactions'],
    reason: 'xero payments and bank transactions: no webhooks exist for them',
  };
  if (env.XERO_WEBHOOK_KEY || env.XERO_CLIENT_ID) {
    const tenants = (env.DEMO_XERO_TENANTS ?? '').split(',').flatMap((item) => item.trim() || []);
    return {
      connector: createXeroConnector(
        loadXeroSettings(env, {
          oauth: { credentials: state.credentials },
          rateLimitStore: state.rateLimits,
          logger,
        }),
      ),
      tenants,
      finalPoll,
      note: `Xero: real app (XERO_* set); tokens are read from act_credentials ("xero:<tenantId>"); polling ${tenants.join(', ') || 'no tenant (set DEMO_XERO_TENANTS)'}`,
    };
  }
  const clientId = 'DEMOCLIENTID';
  const clientSecret = 'demo-client-secret';
  const webhookKey = 'demo-webhook-key/DpLs1DfG7tQ+Hh0vZqN3bK9yWuE2rXoA5cVmJ8sTnY=';
  const fake = new XeroFake({
    tenants: [uuid(random), uuid(random), uuid(random)],
    random,
    webhookKey,
    clientId,
    clientSecret,
  });
  return {
    connector: createXeroConnector({
      webhook: { keys: [webhookKey] },
      // The token endpoint is the fake's.
      oauth: { clientId, clientSecret, credentials: state.credentials, tokenUrl: `${baseUrl}/connect/token` },
      baseUrl: `${baseUrl}/api.xro/2.0`,
      rateLimitStore: state.rateLimits,
      logger,
    }),
    fake,
    tenants: fake.tenants,
    // Changes stay well inside Xero's 60 calls a minute per tenant
    // (https://developer.xero.com/documentation/guides/oauth2/limits/).
    weight: 1,
    seedPerTenant: 8,
    realAccount: 'XERO_WEBHOOK_KEY + XERO_CLIENT_ID + XERO_CLIENT_SECRET',
    async setup() {
      // As if each organisation had just connected: a refresh token, no access token yet (the first call refreshes).
      for (const tenant of fake.tenants) {
        await state.credentials.put(`xero:${tenant}`, {
          accessToken: 'not-yet',
          refreshToken: fake.issueRefreshToken(),
          expiresAt: 0,
        });
      }
    },
    async checks(send) {
      // Xero's intent-to-receive check: a correctly signed empty delivery must get 200, a mis-signed one 401
      // (https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/#intent-to-receive).
      const check = fake.intentToReceive();
      const valid = await send(check.valid);
      const invalid = await send(check.invalid);
      const ok = valid === 200 && invalid === 401;
      return [
        {
          line: `xero intent-to-receive: correctly signed → ${valid}, mis-signed → ${invalid}${ok ? ' (passed)' : ' (FAILED)'}`,
          ok,
        },
      ];
    },
    finish: () => fake.flush(),
    finalPoll,
  };
};
