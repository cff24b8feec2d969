/**
 * @module
 * `@act/connector-gmail`: Gmail (Pub/Sub push + History API) mirrored into
 * Postgres, and Google Calendar (watch channels).
 */

// Google Calendar
export {
  type CalendarConnector,
  type CalendarEventMap,
  createCalendarConnector,
} from './calendar-connector';
export type { CalendarEvent, CalendarEventType, CalendarSourceEvent } from './calendar-events';
export {
  CALENDAR_EVENTS_READONLY_SCOPE,
  type CalendarChannelSettings,
  type CalendarConnectorSettings,
  loadCalendarSettings,
} from './calendar-settings';
// Gmail
export type { GmailClient } from './gmail-client';
export { createGmailConnector, type GmailConnector, type GmailEventMap } from './gmail-connector';
export type { GmailDeletedMessage, GmailEventType, GmailMessage, GmailSourceEvent } from './gmail-events';
export { GMAIL_HISTORY_STREAM } from './gmail-poller';
export {
  GMAIL_METADATA_SCOPE,
  GMAIL_READONLY_SCOPE,
  type GmailConnectorSettings,
  type GmailHistoryType,
  type GmailMessageFormat,
  type GmailWatchSettings,
  loadGmailSettings,
} from './gmail-settings';
export type { GmailPushOptions } from './gmail-signature';
export { parseAddresses } from './gmail-transform';
export { GMAIL_WATCH, gmailWatchKey } from './gmail-watch';
// Google (shared by both connectors)
export { googleOAuth } from './google-client';
export { CALENDAR_SOURCE, GMAIL_SOURCE, type GoogleApiSettings, type GoogleOAuthSettings } from './google-settings';
export { calendarSource, source, sources } from './source';
export { VERSION } from './version';
