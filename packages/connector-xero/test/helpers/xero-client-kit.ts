// Shared by the API client, OAuth, rate-limit, poller and reconciliation tests:
// the API fixtures (test/fixtures/api-*.json, see test/fixtures/README.md), a
// credential store holding one tenant's tokens, and a virtual clock for the
// rate limiter.
import { readFileSync } from 'node:fs';
import { ActError, type CredentialStoreV1, createMemoryCredentialStore } from '@act/core';
import type { XeroOAuthCredential } from '../../src/xero-oauth';

export const API = 'https://api.xero.com';
export const API_PATH = '/api.xro/2.0';
export const IDENTITY = 'https://identity.xero.com';
/** The tenant of the connections fixture (Demo Company (NZ)). */
export const TENANT = 'fe79f7dd-b6d4-4a92-ba7b-538af6289c58';
export const CLIENT_ID = 'xero-client-id-test';
export const CLIENT_SECRET = 'xero-client-secret-test';
export const KEY = `xero:${TENANT}`;

export type ApiFixture =
  | 'api-contacts.1.json'
  | 'api-contact.1.json'
  | 'api-invoices.1.json'
  | 'api-invoice.1.json'
  | 'api-credit-notes.1.json'
  | 'api-credit-note.1.json'
  | 'api-payments.1.json'
  | 'api-payment.1.json'
  | 'api-bank-transactions.1.json'
  | 'api-bank-transaction.1.json'
  | 'api-error-400.1.json'
  | 'api-connections.1.json'
  | 'api-token.1.json';

/** A fresh copy of a fixture. */
export function apiFixture<T = Record<string, unknown>>(name: ApiFixture): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

/** The records of a list fixture (`{ Invoices: [...] }` → the array). */
export function fixtureRecords(name: ApiFixture, collection: string): Record<string, unknown>[] {
  return (apiFixture(name)[collection] as Record<string, unknown>[]).map((record) => ({ ...record }));
}

export function msJson(ms: number): string {
  return `/Date(${ms}+0000)/`;
}

/** A memory credential store holding the tenant's OAuth tokens. */
export async function oauthStore(value: Partial<XeroOAuthCredential> = {}): Promise<CredentialStoreV1> {
  const store = createMemoryCredentialStore();
  await store.put(KEY, {
    accessToken: 'access-1',
    refreshToken: 'refresh-1',
    expiresAt: Date.now() + 1_800_000,
    ...value,
  });
  return store;
}

export async function rejection(promise: Promise<unknown>): Promise<ActError & Record<string, unknown>> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!ActError.isInstance(error)) throw new Error(`expected an ActError, got ${String(error)}`);
  return error as ActError & Record<string, unknown>;
}

/**
 * Virtual time for the rate limiter: `sleep` registers a timer, and time
 * moves only while nothing is in flight (no request between `fetch` and its
 * body, no code running), straight to the next timer. So concurrent sleepers
 * overlap as on a real clock, minutes pass in milliseconds, and the time a
 * request is sent is exactly the time the limiter let it go.
 */
export function virtualTime(start = Date.UTC(2026, 2, 2, 9, 0, 0)) {
  let t = start;
  let inFlight = 0;
  let timers: { at: number; resolve: () => void }[] = [];
  const settle = async () => {
    for (let i = 0; i < 4; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  const clock = {
    now: () => t,
    date: () => new Date(t),
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const timer = {
          at: t + Math.max(0, ms),
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          timers = timers.filter((other) => other !== timer);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        timers.push(timer);
      });
    },
    /** A `fetch` that counts requests in flight (until their body is read) for the driver. */
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      inFlight += 1;
      try {
        const response = await fetch(input, init);
        const body = await response.arrayBuffer();
        return new Response(body, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
      } finally {
        inFlight -= 1;
      }
    }) as typeof fetch,
    /** Run `work`, moving time to the next timer whenever everything else is waiting. */
    async drive<T>(work: Promise<T>): Promise<T> {
      let done = false;
      const finished = work.finally(() => {
        done = true;
      });
      finished.catch(() => undefined);
      while (!done) {
        await settle();
        if (done) break;
        if (inFlight > 0) {
          await new Promise<void>((resolve) => setTimeout(resolve, 1));
          continue;
        }
        if (timers.length === 0) continue;
        const next = Math.min(...timers.map((timer) => timer.at));
        t = Math.max(t, next);
        const due = timers.filter((timer) => timer.at <= t);
        timers = timers.filter((timer) => timer.at > t);
        for (const timer of due) timer.resolve();
      }
      return finished;
    },
  };
  return clock;
}
