import { ActError } from '@act/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createErrors, describeZodError } from '../src/api/index';

const errorBody = {
  schema: z.object({ error: z.object({ code: z.string().nullish(), message: z.string().nullish() }) }),
  describe: (body: { error: { code?: string | null; message?: string | null } }) =>
    [body.error.code, body.error.message].filter(Boolean).join(': '),
};

describe('describeZodError', () => {
  const schema = z.object({ a: z.string(), b: z.number(), c: z.boolean(), d: z.string() });
  const error = schema.safeParse({}).error as z.ZodError;

  it('names the field first, the first 3 issues by default', () => {
    expect(describeZodError(error).split('; ')).toHaveLength(3);
    expect(describeZodError(error)).toMatch(/^a: Invalid input: expected string, received undefined; b: /);
  });

  it('takes the limit as a parameter, and says (body) for the root', () => {
    expect(describeZodError(error, { limit: 5 }).split('; ')).toHaveLength(4);
    expect(describeZodError(z.string().safeParse(1).error as z.ZodError)).toBe(
      '(body): Invalid input: expected string, received number',
    );
  });
});

describe('createErrors', () => {
  const errors = createErrors('@act/connector-x', { errorBody });
  const request = { method: 'GET', url: 'https://api.example/x' };

  it('prefixes every message with the package', () => {
    expect(errors.configuration('apiToken is required').message).toBe('[@act/connector-x] apiToken is required');
    expect(errors.payload('bad').message).toBe('[@act/connector-x] bad');
    expect(errors.reconnect('x:t1', 'refused').credentialKey).toBe('x:t1');
    for (const error of [errors.configuration('a'), errors.payload('b'), errors.network(new Error('reset'), request)])
      expect(ActError.isInstance(error)).toBe(true);
  });

  it('describes an error body with the provider shape, else a text excerpt, else nothing', () => {
    const shaped = errors.fromResponse(
      new Response(null, { status: 404 }),
      { error: { code: 'not_found', message: 'gone' } },
      request,
    );
    expect(shaped.message).toBe('[@act/connector-x] GET https://api.example/x failed: HTTP 404 – not_found: gone');
    expect(shaped.errorClass).toBe('validation');
    expect(errors.fromResponse(new Response(null, { status: 502 }), '<html>bad</html>', request).message).toContain(
      '– <html>bad</html>',
    );
    expect(errors.fromResponse(new Response(null, { status: 400 }), undefined, request).message).toBe(
      '[@act/connector-x] GET https://api.example/x failed: HTTP 400',
    );
  });

  it('adds retryAfterMs and an extra detail; a network failure is status 0, transient', () => {
    const limited = errors.fromResponse(new Response(null, { status: 429 }), {}, request, {
      retryAfterMs: 5_000,
      detail: 'minute',
    });
    expect(limited).toMatchObject({ errorClass: 'rate_limit', retryAfterMs: 5_000 });
    expect(limited.message).toContain('HTTP 429 – minute');
    expect(errors.network(new Error('socket hang up'), request)).toMatchObject({
      providerStatus: 0,
      errorClass: 'transient',
    });
  });

  it('unexpectedBody names the call and the issues', () => {
    const parsed = z.object({ records: z.array(z.string()) }).safeParse({});
    expect(errors.unexpectedBody(request, parsed.error as z.ZodError).message).toBe(
      '[@act/connector-x] GET https://api.example/x answered an unexpected body: records: Invalid input: expected array, received undefined',
    );
  });
});

describe('createErrors: details', () => {
  it('joins the body detail and an extra detail with a dash; a text option shapes excerpts', () => {
    const request = { method: 'GET', url: 'https://api.example/x' };
    const errors = createErrors('@act/connector-x', {
      errorBody: { ...errorBody, text: (body) => body.replace(/\s+/g, ' ').trim() },
    });
    expect(
      errors.fromResponse(new Response(null, { status: 429 }), { error: { code: 'x' } }, request, { detail: 'minute' })
        .message,
    ).toBe('[@act/connector-x] GET https://api.example/x failed: HTTP 429 – x – minute');
    expect(errors.fromResponse(new Response(null, { status: 502 }), ' bad\n\n gateway ', request).message).toContain(
      '– bad gateway',
    );
  });
});
