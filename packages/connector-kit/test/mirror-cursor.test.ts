import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jsonCursor } from '../src/mirror/index';

describe('jsonCursor', () => {
  const cursor = jsonCursor(z.object({ v: z.literal(1), page: z.number().nullable() }), {
    start: { v: 1, page: null },
    invalid: (saved) => new Error(`not a cursor: ${saved}`),
  });

  it('starts at start, round-trips what it writes', () => {
    expect(cursor.read(null)).toEqual({ v: 1, page: null });
    expect(cursor.read(cursor.write({ v: 1, page: 3 }))).toEqual({ v: 1, page: 3 });
  });

  it('refuses a saved cursor that is not JSON of the schema', () => {
    expect(() => cursor.read('page=2')).toThrow('not a cursor: page=2');
    expect(() => cursor.read('{"v":2,"page":1}')).toThrow('not a cursor');
  });

  it('or throws the standard ConfigurationError', () => {
    const standard = jsonCursor(z.object({ v: z.literal(1) }), {
      start: { v: 1 },
      packageName: '@act/connector-acme',
      stream: 'people',
      kind: 'Acme people',
    });
    expect(() => standard.read('page=2')).toThrow(
      '[@act/connector-acme] saved cursor for stream "people" is not a Acme people cursor: page=2 (delete it to backfill again)',
    );
  });
});
