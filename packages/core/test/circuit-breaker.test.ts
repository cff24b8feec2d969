import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ActError, CircuitOpenError, classifyError } from '../src/errors';
import type { CircuitBreaker, CircuitStateName } from '../src/resilience/circuit-breaker';
import { createCircuitBreaker } from '../src/resilience/circuit-breaker';

// Cockatiel reads Date.now(); only the clock is faked so promises run normally.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
});

const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);
const ok = () => Promise.resolve('ok');
const boom = () => Promise.reject(new Error('boom'));

async function outcome(breaker: CircuitBreaker, fn: () => Promise<string>) {
  try {
    return { value: await breaker.execute(fn) };
  } catch (error) {
    return { error };
  }
}

describe('createCircuitBreaker', () => {
  it('opens after failureThreshold consecutive failures and then refuses without calling fn', async () => {
    const breaker = createCircuitBreaker({ name: 'xero-api', failureThreshold: 3, halfOpenAfterMs: 10_000 });
    for (let i = 0; i < 3; i++) {
      // The failing call's own error comes back unchanged, even the one that opens the circuit.
      await expect(breaker.execute(boom)).rejects.toThrow('boom');
    }
    expect(breaker.state).toBe('open');
    advance(4_000);
    const fn = vi.fn(ok);
    const { error } = await outcome(breaker, fn);
    expect(fn).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(CircuitOpenError);
    const open = error as CircuitOpenError;
    expect(open.message).toBe('[@act/core] circuit "xero-api" is open');
    expect(open.retryAfterMs).toBe(6_000);
    expect(open.circuitName).toBe('xero-api');
    expect(open.packageName).toBe('@act/core');
    expect(ActError.isInstance(open)).toBe(true);
    expect(classifyError(open)).toMatchObject({ errorClass: 'transient', retryAfterMs: 6_000 });
    expect((open.cause as Error).message).toBe('boom');
    expect(breaker.retryAfterMs()).toBe(6_000);
  });

  it('is reset by a success between failures', async () => {
    const breaker = createCircuitBreaker({ name: 'api', failureThreshold: 3 });
    for (let round = 0; round < 5; round++) {
      await outcome(breaker, boom);
      await outcome(breaker, boom);
      await breaker.execute(ok);
    }
    expect(breaker.state).toBe('closed');
    expect(breaker.retryAfterMs()).toBe(0);
  });

  it('needs the failures within windowMs of each other, first to last', async () => {
    const breaker = createCircuitBreaker({ name: 'api', failureThreshold: 3, windowMs: 1_000 });
    await outcome(breaker, boom); // t=0
    advance(600);
    await outcome(breaker, boom); // t=600
    advance(600);
    await outcome(breaker, boom); // t=1200: 0..1200 is too wide
    expect(breaker.state).toBe('closed');
    advance(300);
    await outcome(breaker, boom); // t=1500: 600..1500 fits
    expect(breaker.state).toBe('open');
  });

  it('counts failures exactly windowMs apart as within the window', async () => {
    const breaker = createCircuitBreaker({ name: 'api', failureThreshold: 2, windowMs: 1_000 });
    await outcome(breaker, boom);
    advance(1_000);
    await outcome(breaker, boom);
    expect(breaker.state).toBe('open');
  });

  it('lets one trial through after halfOpenAfterMs and closes when it succeeds', async () => {
    const states: CircuitStateName[] = [];
    const breaker = createCircuitBreaker({
      name: 'api',
      failureThreshold: 1,
      halfOpenAfterMs: 1_000,
      onStateChange: (s) => states.push(s),
    });
    await outcome(breaker, boom);
    advance(999);
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    advance(1);
    expect(breaker.retryAfterMs()).toBe(0);

    let finishTrial!: (value: string) => void;
    const trial = breaker.execute(() => new Promise<string>((resolve) => (finishTrial = resolve)));
    await Promise.resolve();
    expect(breaker.state).toBe('half_open');
    // A call arriving during the trial waits for its verdict instead of joining it.
    const waiting = vi.fn(ok);
    const queued = breaker.execute(waiting);
    await Promise.resolve();
    expect(waiting).not.toHaveBeenCalled();
    finishTrial('trial ok');
    await expect(trial).resolves.toBe('trial ok');
    await expect(queued).resolves.toBe('ok');
    expect(waiting).toHaveBeenCalledTimes(1);
    expect(breaker.state).toBe('closed');
    expect(states).toEqual(['open', 'half_open', 'closed']);
  });

  it('reopens for another full halfOpenAfterMs when the trial fails', async () => {
    const breaker = createCircuitBreaker({ name: 'api', failureThreshold: 2, halfOpenAfterMs: 500 });
    await outcome(breaker, boom);
    await outcome(breaker, boom);
    advance(500);
    await expect(breaker.execute(boom)).rejects.toThrow('boom');
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfterMs()).toBe(500);
    // Reopened: a single further success is needed, not a new streak.
    advance(500);
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
    await outcome(breaker, boom);
    expect(breaker.state).toBe('closed');
  });

  it('survives an onStateChange that throws', async () => {
    const breaker = createCircuitBreaker({
      name: 'api',
      failureThreshold: 1,
      onStateChange: () => {
        throw new Error('logger down');
      },
    });
    await expect(breaker.execute(boom)).rejects.toThrow('boom');
    expect(breaker.state).toBe('open');
  });

  it('rejects invalid options', () => {
    expect(() => createCircuitBreaker({ name: '' })).toThrow(/^\[@act\/core\] createCircuitBreaker: name/);
    expect(() => createCircuitBreaker({ name: 'a', failureThreshold: 0 })).toThrow(/failureThreshold/);
    expect(() => createCircuitBreaker({ name: 'a', failureThreshold: 1.5 })).toThrow(/failureThreshold/);
    expect(() => createCircuitBreaker({ name: 'a', halfOpenAfterMs: -1 })).toThrow(/halfOpenAfterMs/);
  });

  describe('state machine (model-based)', () => {
    type Command =
      | { kind: 'succeed' }
      | { kind: 'fail' }
      | { kind: 'advance'; ms: number }
      // Exactly windowMs / halfOpenAfterMs, resolved per run: the boundaries.
      | { kind: 'advanceWindow' }
      | { kind: 'advanceHalfOpen' };

    /** The spec, written as plainly as possible. */
    class Model {
      state: 'closed' | 'open' = 'closed';
      private failureTimes: number[] = [];
      private openedAt = 0;
      constructor(
        private readonly threshold: number,
        private readonly windowMs: number,
        private readonly halfOpenAfterMs: number,
      ) {}

      retryAfterMs(now: number) {
        return this.state === 'open' ? Math.max(0, this.openedAt + this.halfOpenAfterMs - now) : 0;
      }

      /** Whether fn runs; updates the state for its result. */
      call(now: number, succeeds: boolean): boolean {
        if (this.state === 'open') {
          if (now - this.openedAt < this.halfOpenAfterMs) return false;
          // The trial.
          if (succeeds) {
            this.state = 'closed';
            this.failureTimes = [];
          } else {
            this.openedAt = now;
          }
          return true;
        }
        if (succeeds) {
          this.failureTimes = [];
          return true;
        }
        this.failureTimes.push(now);
        const n = this.failureTimes.length;
        const first = this.failureTimes[n - this.threshold];
        if (n >= this.threshold && first !== undefined && now - first <= this.windowMs) {
          this.state = 'open';
          this.openedAt = now;
        }
        return true;
      }
    }

    const command: fc.Arbitrary<Command> = fc.oneof(
      fc.constant<Command>({ kind: 'succeed' }),
      fc.constant<Command>({ kind: 'fail' }),
      fc.constant<Command>({ kind: 'fail' }),
      // Small steps against small windows, so "exactly windowMs apart" and
      // "exactly halfOpenAfterMs later" boundaries come up often.
      fc.integer({ min: 0, max: 12 }).map<Command>((ms) => ({ kind: 'advance', ms })),
      fc.constant<Command>({ kind: 'advanceWindow' }),
      fc.constant<Command>({ kind: 'advanceHalfOpen' }),
    );

    it('matches the reference model for any sequence of calls and clock moves', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 20 }),
          fc.integer({ min: 1, max: 20 }),
          fc.array(command, { maxLength: 40 }),
          async (threshold, windowMs, halfOpenAfterMs, commands) => {
            vi.setSystemTime(0);
            const breaker = createCircuitBreaker({
              name: 'model',
              failureThreshold: threshold,
              windowMs,
              halfOpenAfterMs,
            });
            const model = new Model(threshold, windowMs, halfOpenAfterMs);
            for (const cmd of commands) {
              if (cmd.kind === 'advance') {
                advance(cmd.ms);
              } else if (cmd.kind === 'advanceWindow') {
                advance(windowMs);
              } else if (cmd.kind === 'advanceHalfOpen') {
                advance(halfOpenAfterMs);
              } else {
                const succeeds = cmd.kind === 'succeed';
                const expectedRetryAfter = model.retryAfterMs(Date.now());
                const expectRuns = model.call(Date.now(), succeeds);
                let ran = false;
                const result = await outcome(breaker, () => {
                  ran = true;
                  return succeeds ? ok() : boom();
                });
                expect(ran).toBe(expectRuns);
                if (!expectRuns) {
                  expect(result.error).toBeInstanceOf(CircuitOpenError);
                  expect((result.error as CircuitOpenError).retryAfterMs).toBe(expectedRetryAfter);
                } else if (succeeds) {
                  expect(result.value).toBe('ok');
                } else {
                  expect((result.error as Error).message).toBe('boom');
                }
              }
              expect(breaker.state).toBe(model.state);
              expect(breaker.retryAfterMs()).toBe(model.retryAfterMs(Date.now()));
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});

describe('createCircuitBreaker: what counts as a failure', () => {
  it('ignores errors that say nothing about the dependency’s health (404, 429)', async () => {
    const { ProviderApiError } = await import('../src/errors');
    const breaker = createCircuitBreaker({ name: 'api', failureThreshold: 2 });
    const notFound = new ProviderApiError({ packageName: '@act/x', status: 404, method: 'GET', url: 'u' });
    for (let index = 0; index < 5; index++)
      await expect(breaker.execute(() => Promise.reject(notFound))).rejects.toBe(notFound);
    expect(breaker.state).toBe('closed');
    const down = new ProviderApiError({ packageName: '@act/x', status: 503, method: 'GET', url: 'u' });
    for (let index = 0; index < 2; index++)
      await expect(breaker.execute(() => Promise.reject(down))).rejects.toBe(down);
    expect(breaker.state).toBe('open');
  });
});
