// The tick route: POST only, a bearer secret compared in constant time (several while rotating).
import { describe, expect, it, vi } from 'vitest';
import { ConfigurationError, createTickHandler } from '../src/internal';

function handler(secret: string | readonly string[] = 's3cret-0123456789abcdef') {
  const tick = vi.fn(async () => ({ leader: true, ran: [] }));
  return { tick, handle: createTickHandler({ scheduler: { tick }, secret }) };
}

const post = (authorization?: string) =>
  new Request('http://localhost/_act/tick', {
    method: 'POST',
    ...(authorization ? { headers: { authorization } } : {}),
  });

describe('createTickHandler', () => {
  it('runs a tick for the right secret and answers its summary', async () => {
    const { tick, handle } = handler();
    const response = await handle(post('Bearer s3cret-0123456789abcdef'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ leader: true, ran: [] });
    expect(tick).toHaveBeenCalledTimes(1);
  });

  it('answers 401 without running anything for a missing or wrong secret', async () => {
    const { tick, handle } = handler();
    for (const authorization of [
      undefined,
      'Bearer wrong',
      'Bearer s3cret-0123456789abcde',
      'Basic s3cret-0123456789abcdef',
      's3cret-0123456789abcdef',
    ]) {
      const response = await handle(post(authorization));
      expect(response.status).toBe(401);
      expect((await response.json()).error).toMatch(/^\[@act\/core\] /);
    }
    expect(tick).not.toHaveBeenCalled();
  });

  it('accepts any of several secrets while one is rotated', async () => {
    const { handle } = handler(['old-0123456789abcdef', 'new-0123456789abcdef']);
    expect((await handle(post('Bearer old-0123456789abcdef'))).status).toBe(200);
    expect((await handle(post('Bearer new-0123456789abcdef'))).status).toBe(200);
    expect((await handle(post('Bearer other'))).status).toBe(401);
  });

  it('answers 405 to anything but POST', async () => {
    const { tick, handle } = handler();
    const response = await handle(
      new Request('http://localhost/_act/tick', { headers: { authorization: 'Bearer s3cret-0123456789abcdef' } }),
    );
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(tick).not.toHaveBeenCalled();
  });

  it('refuses to be created without a secret', () => {
    expect(() => handler('')).toThrow(ConfigurationError);
    expect(() => handler([])).toThrow(/secret must be a non-empty string/);
    expect(() => handler('short-secret')).toThrow(/at least 16 characters/);
    expect(() => handler(['good-0123456789abcdef', 'short'])).toThrow(/at least 16 characters/);
  });
});
