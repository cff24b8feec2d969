// assessSyncFreshness: the grading dashboards and `act health` share, and the
// quiet threshold learned from traffic.
import { describe, expect, it } from 'vitest';
import { assessSyncFreshness, quietThresholdMs, type SyncFreshnessInput } from '../src/internal';

const MINUTE = 60_000;
const NOW = new Date('2026-12-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

const polled = (lastSuccessMsAgo: number | null, extra: Partial<NonNullable<SyncFreshnessInput['poll']>> = {}) =>
  ({
    connectionStatus: 'active',
    webhooks: false,
    mode: null,
    lastWebhookAt: null,
    quietAfterMs: null,
    poll: {
      intervalMs: 10 * MINUTE,
      lastSuccessAt: lastSuccessMsAgo === null ? null : ago(lastSuccessMsAgo),
      since: ago(60 * MINUTE),
      leaseOwner: null,
      leaseExpiresAt: null,
      ...extra,
    },
  }) satisfies SyncFreshnessInput;

describe('assessSyncFreshness', () => {
  it('grades a polled stream by its last success against interval + allowance', () => {
    expect(assessSyncFreshness(polled(12 * MINUTE), NOW).status).toBe('green');
    expect(assessSyncFreshness(polled(13 * MINUTE), NOW).status).toBe('amber');
    expect(assessSyncFreshness(polled(24 * MINUTE), NOW).status).toBe('amber');
    expect(assessSyncFreshness(polled(25 * MINUTE), NOW).status).toBe('red');
    expect(assessSyncFreshness(polled(31 * MINUTE), NOW).reason).toMatch(/^poller stopped/);
  });

  it('counts a poller that never succeeded from when it should have started', () => {
    expect(assessSyncFreshness(polled(null, { since: ago(5 * MINUTE) }), NOW).status).toBe('green');
    expect(assessSyncFreshness(polled(null, { since: ago(40 * MINUTE) }), NOW)).toEqual({
      status: 'red',
      reason: 'poller stopped: no successful poll in 40 min (every 10 min)',
    });
  });

  it('is red when the process holding the poller lease died', () => {
    const dead = polled(MINUTE, { leaseOwner: 'worker-7', leaseExpiresAt: ago(5 * MINUTE) });
    expect(assessSyncFreshness(dead, NOW)).toMatchObject({
      status: 'red',
      reason: expect.stringContaining('worker-7'),
    });
    const running = polled(MINUTE, { leaseOwner: 'worker-7', leaseExpiresAt: new Date(NOW.getTime() + MINUTE) });
    expect(assessSyncFreshness(running, NOW).status).toBe('green');
  });

  it('is amber for a webhook source quiet past its threshold, green while deliveries arrive', () => {
    const webhook = {
      connectionStatus: 'active',
      webhooks: true,
      mode: 'webhooks',
      lastWebhookAt: ago(5 * MINUTE),
      quietAfterMs: 30 * MINUTE,
      poll: null,
    } satisfies SyncFreshnessInput;
    expect(assessSyncFreshness(webhook, NOW)).toEqual({ status: 'green' });
    expect(assessSyncFreshness({ ...webhook, lastWebhookAt: ago(31 * MINUTE) }, NOW)).toMatchObject({
      status: 'amber',
      reason: expect.stringContaining('no fallback poller'),
    });
    expect(assessSyncFreshness({ ...webhook, mode: 'polling' }, NOW).status).toBe('amber');
  });

  it('is red for a connection that must be reconnected', () => {
    expect(assessSyncFreshness({ ...polled(MINUTE), connectionStatus: 'reconnect_required' }, NOW).status).toBe('red');
  });
});

describe('quietThresholdMs', () => {
  const connector = { source: 'ghl' };
  it('prefers the app setting, then the connector, then ten median gaps within 10 min and 24 h', () => {
    expect(quietThresholdMs(connector, { medianGapMs: MINUTE }, { ghl: 5 * MINUTE })).toBe(5 * MINUTE);
    expect(quietThresholdMs(connector, { medianGapMs: MINUTE }, 7 * MINUTE)).toBe(7 * MINUTE);
    expect(
      quietThresholdMs({ ...connector, expectedActivityMs: 3 * MINUTE }, { medianGapMs: MINUTE }, { xero: 1 }),
    ).toBe(3 * MINUTE);
    expect(quietThresholdMs(connector, { medianGapMs: 2 * MINUTE }, undefined)).toBe(20 * MINUTE);
    expect(quietThresholdMs(connector, { medianGapMs: 1_000 }, undefined)).toBe(10 * MINUTE);
    expect(quietThresholdMs(connector, { medianGapMs: 6 * 60 * MINUTE }, undefined)).toBe(24 * 60 * MINUTE);
    expect(quietThresholdMs(connector, { medianGapMs: null }, undefined)).toBe(24 * 60 * MINUTE);
  });
});
