import type { SourceEntryV1, SourceRuntimeV1 } from '@act/core';
import { noopLogger } from '@act/core';
import { SAMPLE_DELIVERIES } from './testing/fixtures';
import { xeroSigner } from './testing/signer';
import { createXeroConnector, type XeroConnector } from './xero-connector';
import { loadXeroSettings, type XeroConnectorSettings, type XeroSettingsOverrides } from './xero-settings';

const isSet = (env: Readonly<Record<string, string | undefined>>, name: string) => Boolean(env[name]?.trim());

function overridesFrom(runtime: SourceRuntimeV1): XeroSettingsOverrides {
  return {
    ...(runtime.rateLimitStore ? { rateLimitStore: runtime.rateLimitStore } : {}),
    ...(runtime.fetch ? { fetch: runtime.fetch } : {}),
    ...(runtime.logger ? { logger: runtime.logger } : {}),
    ...(runtime.credentials ? { oauth: { credentials: runtime.credentials } } : {}),
  };
}

/** Xero described for tools (`act`, the demo, benchmarks): see `SourceEntryV1`. */
export const source: SourceEntryV1<XeroConnectorSettings, XeroConnector> = {
  specificationVersion: 'v1',
  id: 'xero',
  displayName: 'Xero',
  packageName: '@act/connector-xero',
  settingsFromEnv: (env, runtime = {}) => loadXeroSettings(env, overridesFrom(runtime)),
  createConnector: (settings) => createXeroConnector(settings ?? { logger: noopLogger }),
  missingApiCredentials: (env) =>
    !isSet(env, 'XERO_CLIENT_ID') && !isSet(env, 'XERO_CLIENT_SECRET')
      ? 'XERO_CLIENT_ID is not set (with XERO_CLIENT_SECRET: the OAuth app whose tokens your app saved in act_credentials as xero:<tenantId>)'
      : undefined,
  sampleDeliveries: SAMPLE_DELIVERIES,
  signer: xeroSigner,
  // Paged listings answer `pagination.itemCount`
  // (https://developer.xero.com/documentation/api/accounting/requests-and-responses#pagination).
  totalOf: (body) => {
    const count = (body as { pagination?: { itemCount?: unknown } } | null)?.pagination?.itemCount;
    return typeof count === 'number' && Number.isFinite(count) && count >= 0 ? count : undefined;
  },
  streams: ['contacts', 'invoices', 'credit_notes', 'payments', 'bank_transactions'],
  tenantDescription: 'Xero organisation (tenant) id',
};
