import { missingEnv, runtimeSettings } from '@act/connector-kit';
import type { SourceEntryV1 } from '@act/core';
import { createTemplateConnector, type TemplateConnector } from './template-connector';
import { loadTemplateSettings, type TemplateConnectorSettings } from './template-settings';
import { SAMPLE_DELIVERIES } from './testing/fixtures';
import { templateSigner } from './testing/signer';

/**
 * Template described for tools (`act`, the demo, benchmarks): see
 * `SourceEntryV1`. Export one like it from your connector's main entry as
 * `source`; tools find it there, so adding a connector edits no tool.
 */
export const source: SourceEntryV1<TemplateConnectorSettings, TemplateConnector> = {
  specificationVersion: 'v1',
  id: 'template',
  displayName: 'Template',
  packageName: '@act/connector-template',
  settingsFromEnv: (env, runtime = {}) => loadTemplateSettings(env, runtimeSettings(runtime)),
  // Without settings: a receiver that accepts no delivery (no secret) and calls no API, for migrations.
  createConnector: (settings) => createTemplateConnector(settings ?? { webhookSecrets: [], apiToken: 'unused' }),
  missingApiCredentials: (env) => missingEnv(env, ['TEMPLATE_API_TOKEN'], 'TEMPLATE_API_TOKEN is not set'),
  sampleDeliveries: SAMPLE_DELIVERIES,
  signer: templateSigner,
  streams: ['records'],
  tenantDescription: 'Template account id',
};
