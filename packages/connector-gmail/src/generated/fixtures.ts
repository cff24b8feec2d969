// THIS FILE IS GENERATED - DO NOT EDIT. Written by tools/embed-fixtures.mjs from
// test/fixtures (documented provider examples, verbatim; sources in test/fixtures/README.md)
// and src/testing/sample-deliveries.json. The conventions test fails when it drifts.
import type { SampleDeliveryV1 } from '@act/core';

/** Every documented fixture, by file name, byte for byte. */
export const FIXTURES: Readonly<Record<string, string>> = {
  "calendar-notification.headers.json": "{\n  \"content-type\": \"application/json; utf-8\",\n  \"content-length\": \"0\",\n  \"x-goog-channel-id\": \"4ba78bf0-6a47-11e2-bcfd-0800200c9a66\",\n  \"x-goog-channel-token\": \"398348u3tu83ut8uu38\",\n  \"x-goog-channel-expiration\": \"Tue, 19 Nov 2013 01:13:52 GMT\",\n  \"x-goog-resource-id\": \"ret08u3rv24htgh289g\",\n  \"x-goog-resource-uri\": \"https://www.googleapis.com/calendar/v3/calendars/my_calendar@gmail.com/events\",\n  \"x-goog-resource-state\": \"exists\",\n  \"x-goog-message-number\": \"10\"\n}\n",
  "calendar-watch-response.json": "{\n  \"kind\": \"api#channel\",\n  \"id\": \"01234567-89ab-cdef-0123456789ab\",\n  \"resourceId\": \"o3hgv1538sdjfh\",\n  \"resourceUri\": \"https://www.googleapis.com/calendar/v3/calendars/my_calendar@gmail.com/events\",\n  \"token\": \"target=myApp-myCalendarChannelDest\",\n  \"expiration\": 1426325213000\n}\n",
  "gmail-watch.response.json": "{\n  \"historyId\": 1234567890,\n  \"expiration\": 1431990098200\n}\n",
  "list-records.page-1.json": "{\n  \"records\": [\n    {\n      \"id\": \"rec_1Aa\",\n      \"name\": \"Grace Hopper\",\n      \"email\": \"grace@example.com\",\n      \"status\": \"active\",\n      \"updated_at\": \"2026-01-10T08:00:00.000Z\"\n    },\n    {\n      \"id\": \"rec_2Bb\",\n      \"name\": \"Alan Turing\",\n      \"email\": null,\n      \"status\": \"active\",\n      \"updated_at\": \"2026-01-11T08:00:00.000Z\"\n    }\n  ],\n  \"next_cursor\": \"cur_page_2\"\n}\n",
  "list-records.page-2.json": "{\n  \"records\": [\n    {\n      \"id\": \"rec_3Cc\",\n      \"name\": \"Katherine Johnson\",\n      \"email\": \"Katherine@Example.com\",\n      \"status\": \"archived\",\n      \"updated_at\": \"2026-01-12T08:00:00.000Z\"\n    }\n  ],\n  \"next_cursor\": null\n}\n",
  "pubsub-gmail-push.json": "{\n  \"message\": {\n    \"data\": \"eyJlbWFpbEFkZHJlc3MiOiAidXNlckBleGFtcGxlLmNvbSIsICJoaXN0b3J5SWQiOiAiMTIzNDU2Nzg5MCJ9\",\n    \"messageId\": \"2070443601311540\",\n    \"publishTime\": \"2021-02-26T19:13:55.749Z\"\n  },\n\n  \"subscription\": \"projects/myproject/subscriptions/mysubscription\"\n}\n",
  "record-created.1.json": "{\n  \"id\": \"evt_01JHX4Q7ZK3M8R2T5V9W0YB6CD\",\n  \"type\": \"record.created\",\n  \"account_id\": \"acct_7Hq2Lx\",\n  \"created_at\": \"2026-01-15T09:30:00.000Z\",\n  \"data\": {\n    \"object\": {\n      \"id\": \"rec_3Fz9Kd\",\n      \"name\": \"Ada Lovelace\",\n      \"email\": \"  Ada.Lovelace@Example.COM \",\n      \"status\": \"active\",\n      \"updated_at\": \"2026-01-15T09:30:00.000Z\",\n      \"tags\": [\"vip\"]\n    }\n  }\n}\n",
  "record-deleted.1.json": "{\n  \"id\": \"evt_01JHX6K9R1T3V5X7Z9B1D3F5GH\",\n  \"type\": \"record.deleted\",\n  \"account_id\": \"acct_7Hq2Lx\",\n  \"created_at\": \"2026-01-15T11:00:00.000Z\",\n  \"data\": {\n    \"object\": {\n      \"id\": \"rec_3Fz9Kd\"\n    }\n  }\n}\n",
  "record-updated.1.json": "{\n  \"id\": \"evt_01JHX5B2N8P4S6U1W3Y5A7C9EF\",\n  \"type\": \"record.updated\",\n  \"account_id\": \"acct_7Hq2Lx\",\n  \"created_at\": \"2026-01-15T10:05:00.000Z\",\n  \"data\": {\n    \"object\": {\n      \"id\": \"rec_3Fz9Kd\",\n      \"name\": \"Ada King\",\n      \"email\": \"ada.lovelace@example.com\",\n      \"status\": \"paused\",\n      \"updated_at\": \"2026-01-15T10:05:00.000Z\",\n      \"tags\": [\"vip\", \"newsletter\"]\n    }\n  }\n}\n",
};

/** The documented webhook deliveries, by the event name tools take. */
export const SAMPLE_DELIVERIES: readonly SampleDeliveryV1[] = [
  { event: "push", file: "pubsub-gmail-push.json", body: FIXTURES["pubsub-gmail-push.json"] as string },
  { event: "exists", file: "calendar-notification.headers.json", body: FIXTURES["calendar-notification.headers.json"] as string },
];
