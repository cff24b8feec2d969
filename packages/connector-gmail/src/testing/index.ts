/**
 * @module
 * `@act/connector-gmail/testing`: what tests, the demo and benchmarks need to
 * play Google: the signers (Pub/Sub push tokens from a local key; calendar
 * channel headers), the documented fixtures (byte for byte), a fake Gmail and
 * a fake Google Calendar, and a simulation of each.
 */

export {
  CalendarFake,
  type CalendarFakeEvent,
  type CalendarFakeOptions,
  createCalendarFake,
} from './calendar-fake';
export {
  createGmailFake,
  GmailFake,
  type GmailFakeChange,
  type GmailFakeMessage,
  type GmailFakeOptions,
  type GmailFakePush,
} from './fake';
export { CALENDAR_SAMPLE_DELIVERIES, FIXTURES, GMAIL_SAMPLE_DELIVERIES, SAMPLE_DELIVERIES } from './fixtures';
export { fakeGoogleAccessToken } from './google-fake';
export {
  calendarSigner,
  freshGmailPush,
  type GoogleSigningKey,
  generateGoogleSigningKey,
  gmailPushData,
  gmailSigner,
  importGoogleSigningKey,
  mintPushToken,
  type PushTokenClaims,
} from './signer';
export { createCalendarSimulation, createSimulation, simulatedGoogleAccounts, simulations } from './simulation';
