import { missingEnv, runtimeSettings } from '@act/connector-kit';
import { noopLogger, type SourceEntryV1 } from '@act/core';
import { createGmailConnector, type GmailConnector } from './gmail-connector';
import { type GmailConnectorSettings, loadGmailSettings } from './gmail-settings';
import { SAMPLE_DELIVERIES } from './testing/fixtures';
import { gmailSigner } from './testing/signer';

/**
 * Gmail described for tools (`act`, the demo, benchmarks): see
 * `SourceEntryV1`. Tools find it as the main entry's `source`.
 */
export const source: SourceEntryV1<GmailConnectorSettings, GmailConnector> = {
  specificationVersion: 'v1',
  id: 'gmail',
  displayName: 'Gmail',
  packageName: '@act/connector-gmail',
  settingsFromEnv: (env, runtime = {}) => loadGmailSettings(env, runtimeSettings(runtime, { oauth: true })),
  // Without settings: a receiver that accepts no push (no audience) and calls no API, for migrations.
  createConnector: (settings) => createGmailConnector(settings ?? { logger: noopLogger }),
  missingApiCredentials: (env) =>
    missingEnv(
      env,
      ['GOOGLE_CLIENT_ID', 'GOOGLE_ACCESS_TOKEN'],
      'GOOGLE_CLIENT_ID is not set (with GOOGLE_CLIENT_SECRET: the OAuth app whose tokens your app saved in act_credentials as google:<mailbox>), nor is GOOGLE_ACCESS_TOKEN',
    ),
  sampleDeliveries: SAMPLE_DELIVERIES,
  signer: gmailSigner,
  streams: ['history'],
  tenantDescription: 'Gmail mailbox address (lower case)',
};
