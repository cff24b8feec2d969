/**
 * @module
 * `@act/connector-kit`: the engines every @act connector is built from, so a
 * connector is provider facts (URLs, headers, schemas, column lists) over
 * shared, tested machinery. Runs on Node >= 22, Deno and edge runtimes.
 */

export * from './api/index';
export * from './mirror/index';
export * from './settings/index';
export * from './verify/index';
export { VERSION } from './version';
