import { describe, expect, it } from 'vitest';
import {
  createRandom,
  type ExpectedTable,
  type FakeApiRequest,
  type FakeApiResponse,
  type FakeDelivery,
  FakeProviderBase,
  fetchFromFake,
  fixtureReader,
  secretSigner,
  secretSignerOption,
  sendJson,
  signerSecret,
} from '../src/testing/fake';

class TinyFake extends FakeProviderBase {
  readonly source = 'tiny';
  readonly title = 'Tiny (simulated)';
  readonly records: { tenant: string; index: number; at: number }[] = [];

  protected seedRecords(tenant: string, index: number, at: number): void {
    this.records.push({ tenant, index, at });
  }

  async next(): Promise<FakeDelivery[]> {
    this.sentCount += 1;
    return [{ source: this.source, body: String(this.random()), headers: {}, kind: 'created' }];
  }

  handleApi(_request: FakeApiRequest, response: FakeApiResponse, path: string): void {
    this.apiRequests += 1;
    sendJson(response, 200, { path, records: this.records.length });
  }

  expected(): ExpectedTable[] {
    return [];
  }

  apiSummary(): string {
    return `${this.apiRequests} API requests`;
  }

  sample() {
    return { id: this.alphanumericId(8), uuid: this.uuid(), name: this.personName(), doc: this.fixture('a.json') };
  }
}

describe('FakeProviderBase', () => {
  it('seeds every tenant perTenant rounds, an hour back, on a strictly increasing clock', () => {
    const fake = new TinyFake({ tenants: ['a', 'b'], random: createRandom(1) });
    const before = Date.now();
    fake.seed(2);
    expect(fake.records.map(({ tenant, index }) => `${tenant}${index}`)).toEqual(['a0', 'a1', 'b0', 'b1']);
    const times = fake.records.map(({ at }) => at);
    for (let index = 1; index < times.length; index++) expect(times[index]).toBeGreaterThan(times[index - 1] as number);
    expect(before - (times[0] as number)).toBeGreaterThanOrEqual(3_600_000 - 1_000);
  });

  it('replays from the seed and counts deliveries and API calls', async () => {
    const one = new TinyFake({ tenants: ['a'], random: createRandom(42) });
    const two = new TinyFake({ tenants: ['a'], random: createRandom(42) });
    expect(await one.next()).toEqual(await two.next());
    expect(one.sentCount).toBe(1);
    const response = await fetchFromFake(one, 'https://api.tiny.test')('https://api.tiny.test/v1/x?y=1');
    expect(await response.json()).toEqual({ path: '/v1/x?y=1', records: 0 });
    expect(one.apiSummary()).toBe('1 API requests');
  });
});

describe('FakeProviderBase helpers', () => {
  it('draws ids, names and fixtures from the seeded PRNG and the embedded fixtures', () => {
    const make = () => new TinyFake({ tenants: ['a'], random: createRandom(3), fixtures: { 'a.json': '{"ok":true}' } });
    const sample = make().sample();
    expect(sample).toEqual(make().sample());
    expect(sample.id).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(sample.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sample.name.first).toBeTruthy();
    expect(sample.doc).toEqual({ ok: true });
  });
});

describe('fixtureReader', () => {
  it('parses an embedded fixture by file name and names a missing one', () => {
    const fixture = fixtureReader({ 'a.json': '{"id":1}' });
    expect(fixture<{ id: number }>('a.json').id).toBe(1);
    expect(() => fixture('b.json')).toThrow('no embedded fixture b.json');
  });
});

describe('signerSecret and secretSignerOption', () => {
  const context = (options: Record<string, string | undefined>, env: Record<string, string | undefined>) =>
    ({
      options,
      env,
      badSignature: false,
      now: 0,
      notice() {},
      configurationError: (message: string) => new Error(message),
    }) as never;

  it('takes --secret, else the first of the variable, else throws the configuration error', () => {
    expect(secretSignerOption('the key')).toEqual({ secret: { type: 'string', description: 'the key' } });
    expect(signerSecret(context({ secret: 'flag' }, { KEY: 'env' }), 'KEY', 'KEY is not set')).toBe('flag');
    expect(signerSecret(context({}, { KEY: ' new , old' }), 'KEY', 'KEY is not set')).toBe('new');
    expect(() => signerSecret(context({}, {}), 'KEY', 'KEY is not set')).toThrow('KEY is not set');
  });

  it('secretSigner signs with that secret, keeping the body and the delivery headers', async () => {
    const signer = secretSigner({
      variable: 'KEY',
      description: 'the key',
      missing: 'KEY is not set',
      sign: async (delivery, secret) => ({
        headers: { 'x-sig': `${secret}:${delivery.body}` },
        describe: 'x-sig',
        hints: () => [],
      }),
    });
    expect(signer.options).toEqual(secretSignerOption('the key'));
    const signed = await signer.sign(
      { event: 'e', body: 'b', headers: { 'x-other': '1' } },
      context({}, { KEY: 'k1,k0' }),
    );
    expect(signed).toMatchObject({ body: 'b', headers: { 'x-other': '1', 'x-sig': 'k1:b' }, describe: 'x-sig' });
  });
});
