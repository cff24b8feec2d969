import { missingEnv, runtimeSettings } from '@act/connector-kit';
import type { SourceEntryV1 } from '@act/core';
import { noopLogger } from '@act/core';
import { createGhlConnector, type GhlConnector } from './ghl-connector';
import { type GhlConnectorSettings, loadGhlSettings } from './ghl-settings';
import { SAMPLE_DELIVERIES } from './testing/fixtures';
import { ghlSigner } from './testing/signer';

function numberAt(body: unknown, ...path: string[]): number | undefined {
  let value: unknown = body;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** GoHighLevel described for tools (`act`, the demo, benchmarks): see `SourceEntryV1`. */
export const source: SourceEntryV1<GhlConnectorSettings, GhlConnector> = {
  specificationVersion: 'v1',
  id: 'ghl',
  displayName: 'GoHighLevel',
  packageName: '@act/connector-ghl',
  // OAuth tokens live in the state's act_credentials (key ghl:<locationId>), saved by the app at install;
  // the store is ignored with GHL_ACCESS_TOKEN.
  settingsFromEnv: (env, runtime = {}) => loadGhlSettings(env, runtimeSettings(runtime, { oauth: true })),
  // Without settings: quiet (no "no API credentials" warning), a receiver for migrations and freshness targets.
  createConnector: (settings) => createGhlConnector(settings ?? { logger: noopLogger }),
  missingApiCredentials: (env) =>
    // loadGhlSettings accepts no API credentials (a receiver needs none); polling and reconciling do.
    missingEnv(
      env,
      ['GHL_ACCESS_TOKEN', 'GHL_CLIENT_ID', 'GHL_CLIENT_SECRET'],
      'GHL_ACCESS_TOKEN is not set (a Private Integration Token; or set GHL_CLIENT_ID and GHL_CLIENT_SECRET for an OAuth app whose tokens your app saved in act_credentials as ghl:<locationId>)',
    ),
  sampleDeliveries: SAMPLE_DELIVERIES,
  signer: ghlSigner,
  // Contact search answers `total`, opportunity search `meta.total`
  // (https://github.com/GoHighLevel/highlevel-api-docs/tree/main/apps).
  totalOf: (body) => numberAt(body, 'total') ?? numberAt(body, 'meta', 'total'),
  streams: ['contacts', 'opportunities', 'pipelines', 'appointments'],
  tenantDescription: 'GHL location id',
};
