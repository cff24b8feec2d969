/**
 * @module
 * `@act/connector-kit/testing`: conformance and fuzz helpers for connector test suites.
 */
export {};
