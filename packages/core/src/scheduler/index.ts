export {
  assessSyncFreshness,
  type SyncFreshnessAssessment,
  type SyncFreshnessInput,
} from '../pipeline/freshness';
export {
  createScheduler,
  type JobRunSummary,
  SCHEDULER_LEASE,
  type Scheduler,
  type SchedulerOptions,
  type SchedulerTickResult,
  type SyncFreshness,
} from './create-scheduler';
export { jobKey } from './plan';
export { LEARNED_QUIET_BOUNDS_MS, quietThresholdMs } from './silence';
export { createTickHandler, type TickHandlerOptions } from './tick-handler';
