/**
 * @module
 * `@act/cli`: the `act` command (migrate, trigger, backfill, replay, health,
 * conflicts, reconcile, connections, jobs, outbox). `runCli` runs it in-process, without process globals.
 */
export type { CliIo, CliStream } from './cli-io';
export { EXIT } from './cli-io';
export { runCli, USAGE } from './run-cli';
export { VERSION } from './version';
