// The documented fixtures and sample deliveries, embedded by tools/embed-fixtures.mjs (the published
// package cannot read test/fixtures; sources in test/fixtures/README.md).
import type { SampleDeliveryV1 } from '@act/core';
import { FIXTURES, SAMPLE_DELIVERIES } from '../generated/fixtures';

export { FIXTURES, SAMPLE_DELIVERIES };

/** The sample notifications of the Calendar connector (its fixtures are named `sample-calendar-…`). */
export const CALENDAR_SAMPLE_DELIVERIES: readonly SampleDeliveryV1[] = SAMPLE_DELIVERIES.filter((sample) =>
  /^(?:sample-)?calendar-/.test(sample.file),
);

/** The sample pushes of the Gmail connector: every other sample. */
export const GMAIL_SAMPLE_DELIVERIES: readonly SampleDeliveryV1[] = SAMPLE_DELIVERIES.filter(
  (sample) => !CALENDAR_SAMPLE_DELIVERIES.includes(sample),
);
