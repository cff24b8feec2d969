export type { ConnectorV1, HealthSignalV1, HydrateContextV1 } from './connector-v1';
export type {
  CredentialStoreV1,
  InvalidCredentialV1,
  RefreshLeaseV1,
  StoredCredentialV1,
} from './credential-store-v1';
export type { PollerV1, PollPageV1, PollRequestV1 } from './poller-v1';
export type {
  AcquireSlotRequestV1,
  AcquireSlotResultV1,
  RateLimitStoreV1,
  ReleaseSlotRequestV1,
  TakeTokensRequestV1,
  TakeTokensResultV1,
  TokenBucketLimitV1,
} from './rate-limit-store-v1';
export type { ReconcileListRequestV1, ReconcilerV1 } from './reconciler-v1';
export type {
  CursorCommitV1,
  SinkApplyOptionsV1,
  SinkDeleteV1,
  SinkOperationOutcomeV1,
  SinkOperationV1,
  SinkResultV1,
  SinkRowKeyV1,
  SinkRowVersionV1,
  SinkScanRequestV1,
  SinkUpsertV1,
  SinkV1,
} from './sink-v1';
export type {
  SampleDeliveryV1,
  SignContextV1,
  SignedDeliveryV1,
  SignerOptionV1,
  SourceEntryV1,
  SourceEnvV1,
  SourceRuntimeV1,
  SourceSignerV1,
} from './source-entry-v1';
export type { SourceEventV1 } from './source-event-v1';
export type {
  ClaimedDeliveryV1,
  ClaimRequestV1,
  CompleteRequestV1,
  CursorKeyV1,
  DeliveryAttemptV1,
  DeliveryStatusV1,
  DeliveryV1,
  EnqueueResultV1,
  ErrorClassV1,
  FailRequestV1,
  HealthFigureV1,
  IntegrationEventV1,
  ListDeliveriesRequestV1,
  ListEventsRequestV1,
  NewDeliveryV1,
  ReplaySelectorV1,
  StateStoreV1,
  TriggerV1,
} from './state-store-v1';
export type {
  FieldPoliciesV1,
  FieldPolicyV1,
  TransformContextV1,
  TransformerV1,
} from './transformer-v1';
export type {
  DeliveryPartV1,
  ParsedDeliveryV1,
  WebhookProcessorV1,
  WebhookRequestV1,
  WebhookVerificationV1,
} from './webhook-processor-v1';
