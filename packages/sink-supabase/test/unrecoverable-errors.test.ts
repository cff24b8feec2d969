// SQLSTATEs that the same data meets on every try are class `validation`: the worker dead-letters
// the delivery at once with the reason instead of retrying it for hours (issue 11, finding 5).
// End to end on PGlite and Postgres: packages/connector-ghl/test/ghl-poison.test.ts.
import { describe, expect, it } from 'vitest';
import { toActError } from '../src/errors';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('toActError: data the database can never hold', () => {
  it.each([
    [
      '54000',
      'index row size 3056 exceeds btree version 4 maximum 2704 for index "t_pkey"',
      'larger than Postgres can index',
    ],
    ['54001', 'stack depth limit exceeded', 'nested too deeply'],
    ['22P05', 'unsupported Unicode escape sequence', 'cannot store (\\u0000'],
    ['22021', 'invalid byte sequence for encoding "UTF8": 0x00', 'a NUL byte or invalid UTF-8'],
    ['22P02', 'invalid input syntax for type json', ''],
    ['22001', 'value too long for type character varying(10)', ''],
    ['23502', 'null value in column "id" violates not-null constraint', ''],
  ])('SQLSTATE %s is validation, with the reason', (code, message, hint) => {
    const error = toActError(pgError(code, message), 'sink.apply') as { errorClass: string; message: string };
    expect(error.errorClass).toBe('validation');
    expect(error.message).toContain(`[@act/sink-supabase] sink.apply failed (SQLSTATE ${code}): ${message}`);
    expect(error.message).toContain(hint);
  });

  it('keeps outages transient and unknown failures retried', () => {
    expect((toActError(pgError('53300', 'too many connections'), 'x') as { errorClass: string }).errorClass).toBe(
      'transient',
    );
    expect((toActError(pgError('42501', 'permission denied'), 'x') as { errorClass: string }).errorClass).toBe(
      'unknown',
    );
  });
});
