// The documented fixtures and sample deliveries, embedded by tools/embed-fixtures.mjs (the published
// package cannot read test/fixtures; sources in test/fixtures/README.md).
export { FIXTURES, SAMPLE_DELIVERIES } from '../generated/fixtures';
