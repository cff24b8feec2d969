import { describe, expect, it } from 'vitest';
import { assessFreshness } from '../src/internal';

const quiet = { oldestPendingAgeMs: null, latencyP95Ms: null, dead: 0 };

describe('assessFreshness', () => {
  it('calls a quiet source with an empty inbox fresh', () => {
    expect(assessFreshness(quiet, 30_000)).toEqual({ status: 'green', lagMs: 0, targetMs: 30_000 });
  });

  it('goes amber past half the target and red past the target', () => {
    expect(assessFreshness({ ...quiet, oldestPendingAgeMs: 15_001 }, 30_000).status).toBe('amber');
    expect(assessFreshness({ ...quiet, oldestPendingAgeMs: 30_001 }, 30_000)).toMatchObject({
      status: 'red',
      lagMs: 30_001,
    });
  });

  it('is red when the p95 latency is past the target even with an empty inbox', () => {
    expect(assessFreshness({ ...quiet, latencyP95Ms: 31_000 }, 30_000).status).toBe('red');
  });

  it('is amber while dead letters wait for a replay', () => {
    const result = assessFreshness({ ...quiet, dead: 2 }, 30_000);
    expect(result.status).toBe('amber');
    expect(result.reason).toContain('2 dead letter');
  });
});
