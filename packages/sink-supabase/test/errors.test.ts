import { ConfigurationError, StoreUnavailableError } from '@act/core';
import { describe, expect, it } from 'vitest';
import { createPostgresState, PostgresError } from '../src';
import { isModuleNotFound, missingPeer, toActError } from '../src/errors';

describe('database errors become core errors', () => {
  const sqlError = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

  it('maps unreachable servers, shutdowns, exhaustion and lock conflicts to StoreUnavailableError', () => {
    const refused = Object.assign(
      new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })]),
      {
        code: 'ECONNREFUSED',
      },
    );
    for (const error of [
      refused,
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      sqlError('57P01'),
      sqlError('53300'),
      sqlError('08006'),
      sqlError('40P01'),
    ]) {
      const mapped = toActError(error, 'act_claim');
      expect(mapped, String(error)).toBeInstanceOf(StoreUnavailableError);
      expect((mapped as Error).message).toMatch(/^\[@act\/sink-supabase\] act_claim: /);
    }
  });

  it('maps bad data to validation, missing schema objects to a retried error with a migrations hint', () => {
    expect(toActError(sqlError('23502'), 'act_sink_apply')).toMatchObject({ errorClass: 'validation', code: '23502' });
    const missing = toActError(sqlError('42P01', 'relation "act_deliveries" does not exist'), 'act_enqueue');
    expect(missing).toBeInstanceOf(PostgresError);
    expect(missing).toMatchObject({ errorClass: 'unknown', code: '42P01' });
    expect((missing as Error).message).toMatch(/have the migrations run\? Call migrate\(\)/);
  });

  it('lets plain bugs and @act errors through unchanged', () => {
    const bug = new TypeError('x is not a function');
    expect(toActError(bug, 'op')).toBe(bug);
    const configuration = new ConfigurationError({ packageName: '@act/core', message: 'nope' });
    expect(toActError(configuration, 'op')).toBe(configuration);
  });

  it('names the package to install when a driver is missing', () => {
    const notFound = Object.assign(new Error("Cannot find package 'pg' imported from /app/index.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    expect(isModuleNotFound(notFound, 'pg')).toBe(true);
    expect(isModuleNotFound(notFound, '@electric-sql/pglite')).toBe(false);
    const error = missingPeer('pg', 'connecting with a connection string', notFound);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(
      '[@act/sink-supabase] connecting with a connection string needs the "pg" package, which is not installed: run `npm install pg` (or pnpm add / yarn add)',
    );
  });

  it('refuses a connection without a target or with an empty URL, naming DATABASE_URL', () => {
    expect(() => createPostgresState({} as never)).toThrow(/needs \{ connectionString \}, \{ pool \} or \{ pglite \}/);
    expect(() => createPostgresState({ connectionString: '' })).toThrow(/is DATABASE_URL set\?/);
    expect(() => createPostgresState({ pglite: {} }, { schema: '' })).toThrow(/schema must be a non-empty name/);
  });
});

describe('replay by ids', () => {
  it('matches nothing for ids the store never assigns, as the memory store does', async () => {
    const state = createPostgresState({ pglite: {} });
    try {
      await state.migrate();
      expect(await state.store.replay({ ids: ['not-an-id'] })).toBe(0);
      expect(await state.store.getDelivery('not-an-id')).toBeNull();
      expect(await state.store.complete({ id: 'x', claimToken: 'y', events: [], startedAt: new Date() })).toBe(false);
    } finally {
      await state.close();
    }
  });
});
