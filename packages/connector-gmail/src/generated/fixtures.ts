// THIS FILE IS GENERATED - DO NOT EDIT. Written by tools/embed-fixtures.mjs from
// test/fixtures (documented provider examples, verbatim; sources in test/fixtures/README.md)
// and src/testing/sample-deliveries.json. The conventions test fails when it drifts.
import type { SampleDeliveryV1 } from '@act/core';

/** Every documented fixture, by file name, byte for byte. */
export const FIXTURES: Readonly<Record<string, string>> = {
  "list-records.page-1.json": "{\n  \"records\": [\n    {\n      \"id\": \"rec_1Aa\",\n      \"name\": \"Grace Hopper\",\n      \"email\": \"grace@example.com\",\n      \"status\": \"active\",\n      \"updated_at\": \"2026-01-10T08:00:00.000Z\"\n    },\n    {\n      \"id\": \"rec_2Bb\",\n      \"name\": \"Alan Turing\",\n      \"email\": null,\n      \"status\": \"active\",\n      \"updated_at\": \"2026-01-11T08:00:00.000Z\"\n    }\n  ],\n  \"next_cursor\": \"cur_page_2\"\n}\n",
  "list-records.page-2.json": "{\n  \"records\": [\n    {\n      \"id\": \"rec_3Cc\",\n      \"name\": \"Katherine Johnson\",\n      \"email\": \"Katherine@Example.com\",\n      \"status\": \"archived\",\n      \"updated_at\": \"2026-01-12T08:00:00.000Z\"\n    }\n  ],\n  \"next_cursor\": null\n}\n",
  "record-created.1.json": "{\n  \"id\": \"evt_01JHX4Q7ZK3M8R2T5V9W0YB6CD\",\n  \"type\": \"record.created\",\n  \"account_id\": \"acct_7Hq2Lx\",\n  \"created_at\": \"2026-01-15T09:30:00.000Z\",\n  \"data\": {\n    \"object\": {\n      \"id\": \"rec_3Fz9Kd\",\n      \"name\": \"Ada Lovelace\",\n      \"email\": \"  Ada.Lovelace@Example.COM \",\n      \"status\": \"active\",\n      \"updated_at\": \"2026-01-15T09:30:00.000Z\",\n      \"tags\": [\"vip\"]\n    }\n  }\n}\n",
  "record-deleted.1.json": "{\n  \"id\": \"evt_01JHX6K9R1T3V5X7Z9B1D3F5GH\",\n  \"type\": \"record.deleted\",\n  \"account_id\": \"acct_7Hq2Lx\",\n  \"created_at\": \"2026-01-15T11:00:00.000Z\",\n  \"data\": {\n    \"object\": {\n      \"id\": \"rec_3Fz9Kd\"\n    }\n  }\n}\n",
  "record-updated.1.json": "{\n  \"id\": \"evt_01JHX5B2N8P4S6U1W3Y5A7C9EF\",\n  \"type\": \"record.updated\",\n  \"account_id\": \"acct_7Hq2Lx\",\n  \"created_at\": \"2026-01-15T10:05:00.000Z\",\n  \"data\": {\n    \"object\": {\n      \"id\": \"rec_3Fz9Kd\",\n      \"name\": \"Ada King\",\n      \"email\": \"ada.lovelace@example.com\",\n      \"status\": \"paused\",\n      \"updated_at\": \"2026-01-15T10:05:00.000Z\",\n      \"tags\": [\"vip\", \"newsletter\"]\n    }\n  }\n}\n",
};

/** The documented webhook deliveries, by the event name tools take. */
export const SAMPLE_DELIVERIES: readonly SampleDeliveryV1[] = [
  { event: "record.created", file: "record-created.1.json", body: FIXTURES["record-created.1.json"] as string },
  { event: "record.updated", file: "record-updated.1.json", body: FIXTURES["record-updated.1.json"] as string },
  { event: "record.deleted", file: "record-deleted.1.json", body: FIXTURES["record-deleted.1.json"] as string },
];
