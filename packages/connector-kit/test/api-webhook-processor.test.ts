import { PayloadError, type SourceEventV1 } from '@act/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deliveryParser, webhookProcessor } from '../src/api/index';
import { hmacSignature, signHmac } from '../src/verify/index';

const encoder = new TextEncoder();
const packageName = '@act/connector-test';
const envelope = z.object({ id: z.string().min(1), tenant: z.string().min(1), type: z.string() });
const known = envelope.extend({ type: z.literal('thing.updated'), thing: z.object({ id: z.string() }) });

const parse = deliveryParser<SourceEventV1, z.infer<typeof envelope>>({
  packageName,
  schema: envelope,
  toDelivery({ id, tenant, type }, { json, check }) {
    if (type !== 'thing.updated') return { deliveryId: id, tenant, events: [] };
    const { thing } = check(known, json, `${type} delivery ${id}`);
    return {
      deliveryId: id,
      tenant,
      events: [{ source: 'test', tenant, type, entity: 'thing', entityId: thing.id, payload: thing }],
    };
  },
});
const body = (value: unknown) => ({ body: encoder.encode(JSON.stringify(value)) });

describe('deliveryParser', () => {
  it('checks the envelope, then the known type, and maps to events', () => {
    expect(parse(body({ id: 'd1', tenant: 't1', type: 'thing.updated', thing: { id: 'x' } }))).toMatchObject({
      deliveryId: 'd1',
      tenant: 't1',
      events: [{ entityId: 'x', type: 'thing.updated' }],
    });
    expect(parse(body({ id: 'd2', tenant: 't1', type: 'other' }))).toEqual({
      deliveryId: 'd2',
      tenant: 't1',
      events: [],
    });
  });

  it('throws PayloadErrors naming the field, the JSON problem or the depth limit', () => {
    expect(() => parse(body({ id: 'd1', type: 'x' }))).toThrow(
      '[@act/connector-test] invalid delivery: tenant: Invalid input: expected string, received undefined',
    );
    expect(() => parse(body({ id: 'd1', tenant: 't', type: 'thing.updated', thing: {} }))).toThrow(
      '[@act/connector-test] invalid thing.updated delivery d1: thing.id: Invalid input: expected string, received undefined',
    );
    expect(() => parse({ body: encoder.encode('{"id": ') })).toThrow(PayloadError);
    expect(() => parse({ body: encoder.encode(`${'['.repeat(200)}${']'.repeat(200)}`) })).toThrow(
      /nested deeper than 128 levels/,
    );
  });
});

describe('webhookProcessor', () => {
  const request = async (secret: string, value = '{}') => ({
    method: 'POST',
    url: 'http://localhost/test',
    headers: { 'x-sig': await signHmac(value, secret, { algorithm: 'sha256', encoding: 'hex' }) },
    body: encoder.encode(value),
    receivedAt: new Date(),
  });
  const make = (secrets: string[], extra: { reasons?: Record<string, string>; keyId?: () => string } = {}) =>
    webhookProcessor({
      source: 'test',
      packageName,
      verify: hmacSignature({ algorithm: 'sha256', encoding: 'hex', header: 'x-sig', secrets }),
      persistedHeaders: ['x-sig'],
      persistFailureStatus: 429,
      parse,
      ...extra,
    });

  it('fills the contract and passes the provider facts through', () => {
    expect(make(['s'])).toMatchObject({
      specificationVersion: 'v1',
      source: 'test',
      packageName,
      persistedHeaders: ['x-sig'],
      persistFailureStatus: 429,
      parse,
    });
    const { persistedHeaders } = webhookProcessor({
      source: 'x',
      packageName,
      verify: async () => ({ ok: true, keyIndex: 0 }),
      parse,
    });
    expect(persistedHeaders).toEqual([]);
  });

  it('maps the verifier: key ids, misconfiguration, and reasons in the connector’s words', async () => {
    expect(await make(['old', 'new']).verify(await request('new'))).toEqual({ valid: true, keyId: 'key-1' });
    expect(await make(['s'], { keyId: () => 'secret' }).verify(await request('s'))).toEqual({
      valid: true,
      keyId: 'secret',
    });
    expect(await make([]).verify(await request('s'))).toEqual({
      valid: false,
      reason: 'no signing secret configured',
      misconfigured: true,
    });
    expect(await make(['s']).verify(await request('other'))).toEqual({
      valid: false,
      reason: 'x-sig signature mismatch',
    });
    const worded = make(['s'], { reasons: { mismatch: 'signature mismatch', misconfigured: 'set TEST_SECRET' } });
    expect(await worded.verify(await request('other'))).toEqual({ valid: false, reason: 'signature mismatch' });
    expect(await make([], { reasons: { misconfigured: 'set TEST_SECRET' } }).verify(await request('s'))).toMatchObject({
      reason: 'set TEST_SECRET',
      misconfigured: true,
    });
  });
});
