import { missingEnv, runtimeSettings } from '@act/connector-kit';
import type { SourceEntryV1 } from '@act/core';
import { createGmailConnector, type GmailConnector } from './gmail-connector';
import { loadGmailSettings, type GmailConnectorSettings } from './gmail-settings';
import { SAMPLE_DELIVERIES } from './testing/fixtures';
import { gmailSigner } from './testing/signer';

/**
 * Gmail described for tools (`act`, the demo, benchmarks): see
 * `SourceEntryV1`. Export one like it from your connector's main entry as
 * `source`; tools find it there, so adding a connector edits no tool.
 */
export const source: SourceEntryV1<GmailConnectorSettings, GmailConnector> = {
  specificationVersion: 'v1',
  id: 'gmail',
  displayName: 'Gmail',
  packageName: '@act/connector-gmail',
  settingsFromEnv: (env, runtime = {}) => loadGmailSettings(env, runtimeSettings(runtime)),
  // Without settings: a receiver that accepts no delivery (no secret) and calls no API, for migrations.
  createConnector: (settings) => createGmailConnector(settings ?? { webhookSecrets: [], apiToken: 'unused' }),
  missingApiCredentials: (env) => missingEnv(env, ['GMAIL_API_TOKEN'], 'GMAIL_API_TOKEN is not set'),
  sampleDeliveries: SAMPLE_DELIVERIES,
  signer: gmailSigner,
  streams: ['records'],
  tenantDescription: 'Gmail account id',
};
