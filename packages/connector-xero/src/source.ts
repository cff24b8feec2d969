import { missingEnv, runtimeSettings } from '@act/connector-kit';
import type { SourceEntryV1 } from '@act/core';
import { noopLogger } from '@act/core';
import { SAMPLE_DELIVERIES } from './testing/fixtures';
import { xeroSigner } from './testing/signer';
import { createXeroConnector, type XeroConnector } from './xero-connector';
import { loadXeroSettings, type XeroConnectorSettings } from './xero-settings';

/** Xero described for tools (`act`, the demo, benchmarks): see `SourceEntryV1`. */
export const source: SourceEntryV1<XeroConnectorSettings, XeroConnector> = {
  specificationVersion: 'v1',
  id: 'xero',
  displayName: 'Xero',
  packageName: '@act/connector-xero',
  // OAuth tokens live in the state's act_credentials (key xero:<tenantId>), saved by the app at connect.
  settingsFromEnv: (env, runtime = {}) => loadXeroSettings(env, runtimeSettings(runtime, { oauth: true })),
  createConnector: (settings) => createXeroConnector(settings ?? { logger: noopLogger }),
  missingApiCredentials: (env) =>
    missingEnv(
      env,
      ['XERO_CLIENT_ID', 'XERO_CLIENT_SECRET'],
      'XERO_CLIENT_ID is not set (with XERO_CLIENT_SECRET: the OAuth app whose tokens your app saved in act_credentials as xero:<tenantId>)',
    ),
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
