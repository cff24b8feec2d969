export { ActError, type ActErrorOptions } from './act-error';
export { classifyError, type ErrorClassification } from './classify-error';
export { errorClassForStatus, ProviderApiError, type ProviderApiErrorOptions } from './provider-api-error';
export {
  ConfigurationError,
  PayloadError,
  PayloadTooLargeError,
  RateLimitError,
  SignatureError,
  StoreUnavailableError,
  TransformError,
} from './webhook-errors';
