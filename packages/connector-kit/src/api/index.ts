// The api engines; see README.md ("API client and OAuth2").
export type {
  ApiAuth,
  ApiAuthContext,
  ApiAuthorization,
  ApiAuthStrategy,
  ApiRenewOptions,
  StaticTokenOptions,
} from './auth';
export { staticToken } from './auth';
export type { ApiClient, ApiClientOptions, ApiRequest, ApiRetryOptions } from './client';
export { createApiClient } from './client';
export type {
  ChooseApiAuthOptions,
  ChosenApiAuth,
  MissingApiCredentialsOptions,
  RuntimeSettings,
} from './credentials';
export {
  API_CREDENTIALS_MISSING,
  chooseApiAuth,
  missingEnv,
  reportMissingApiCredentials,
  runtimeSettings,
} from './credentials';
export type { ApiRequestDescription, ConnectorErrors, ErrorBodyOptions } from './errors';
export { createErrors, describeZodError, readBody } from './errors';
export type {
  AuthorizeUrlOptions,
  ExchangeCodeOptions,
  OAuth2Auth,
  OAuth2Credential,
  OAuth2Options,
  OAuth2TokenResponse,
} from './oauth2';
export { createPkce, oauth2 } from './oauth2';
export type { PagedListing, PagedListRequest, PagedPoller, PagedPollerOptions } from './paged-poller';
export { pagedPoller } from './paged-poller';
export type {
  ApiRateLimits,
  BucketRateLimitsOptions,
  RateLimitClassification,
  RateLimitScope,
  ScopedRateLimits,
  ScopedRateLimitsOptions,
  WindowLimit,
} from './rate-limits';
export { bucketRateLimits, headerCount, scopedRateLimits } from './rate-limits';
export type {
  DeliveryParseContext,
  DeliveryParserOptions,
  DeliveryRequest,
  WebhookProcessorOptions,
} from './webhook-processor';
export { deliveryParser, webhookProcessor } from './webhook-processor';
