import { createMemoryCredentialStore, encryptCredentialStore } from '@act/core';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresState } from '../src';

// The exact PostgREST requests of state.credentials and sink.scan (migration
// 0007), asserted with nock as in supabase-driver.test.ts. They run end to
// end through supabase-js against Postgres there (the contract kits).

const SUPABASE_URL = 'https://abcdefghijklmnopqrst.supabase.co';
const SCHEMA = 'act';

function jwt(role: string): string {
  const part = (value: object) =>
    btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iss: 'supabase', role })}.c2lnbmF0dXJl`;
}
const SERVICE_KEY = jwt('service_role');

function postgrest() {
  return nock(SUPABASE_URL, {
    reqheaders: {
      apikey: SERVICE_KEY,
      authorization: `Bearer ${SERVICE_KEY}`,
      'content-profile': SCHEMA,
      'content-type': 'application/json',
    },
    badheaders: ['prefer', 'accept-profile'],
  });
}

const supabaseState = () =>
  createPostgresState({ supabaseUrl: SUPABASE_URL, supabaseKey: SERVICE_KEY }, { schema: SCHEMA });

describe('supabase-js driver: credentials and scan requests (nock)', () => {
  const unexpected: string[] = [];
  const onNoMatch = (request: Request) => unexpected.push(`${request.method} ${request.url}`);
  beforeAll(() => {
    nock.disableNetConnect();
    nock.emitter.on('no match', onNoMatch);
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    const extra = unexpected.splice(0);
    nock.cleanAll();
    expect(pending, 'requests the test expected but were not sent').toEqual([]);
    expect(extra, 'requests sent that the test did not expect').toEqual([]);
  });
  afterAll(() => {
    nock.emitter.removeListener('no match', onNoMatch);
    nock.enableNetConnect();
  });

  it('scan: one rpc per page, keyset cursor = the last key of the page before', async () => {
    const rows = (ids: string[]) =>
      ids.map((id, index) => ({
        key: { tenant_id: 'loc_1', id },
        version: index === 0 ? null : 7,
        deleted: id === 'c',
      }));
    const request = { p_table: 'ghl_contacts', p_where: { tenant_id: 'loc_1' }, p_key_columns: ['tenant_id', 'id'] };
    postgrest()
      .post('/rest/v1/rpc/act_sink_scan', { ...request, p_after: null, p_limit: 2 })
      .reply(200, rows(['a', 'b']));
    postgrest()
      .post('/rest/v1/rpc/act_sink_scan', { ...request, p_after: { tenant_id: 'loc_1', id: 'b' }, p_limit: 2 })
      .reply(200, rows(['c']));
    const state = supabaseState();
    const pages = [];
    for await (const page of state.sink.scan({
      table: 'ghl_contacts',
      where: { tenant_id: 'loc_1' },
      keyColumns: ['tenant_id', 'id'],
      pageSize: 2,
    }))
      pages.push(page);
    expect(pages).toEqual([
      [
        { key: { tenant_id: 'loc_1', id: 'a' }, version: undefined, deleted: false },
        { key: { tenant_id: 'loc_1', id: 'b' }, version: 7, deleted: false },
      ],
      [{ key: { tenant_id: 'loc_1', id: 'c' }, version: undefined, deleted: true }],
    ]);
    await state.close();
  });

  it('credentials with ACT_CREDENTIALS_KEY: the token never travels to Supabase, ciphertext does (issue 11, finding 11)', async () => {
    const credentialsKey = `k1:${btoa(String.fromCharCode(...new Uint8Array(32).fill(5)))}`;
    const sent: unknown[] = [];
    const memory = createMemoryCredentialStore();
    await encryptCredentialStore(memory, { keys: credentialsKey }).put('xero:t1', { refreshToken: 'rt-PLAINTEXT' });
    const stored = (await memory.get('xero:t1'))?.value;
    postgrest()
      .post('/rest/v1/rpc/act_credential_put', (body: { p_key: string; p_value: unknown }) => {
        sent.push(body.p_value);
        return body.p_key === 'xero:t1';
      })
      .reply(200, [
        // What the database holds: the value encrypted the same way, under the same key.
        { value: stored, revision: 1, invalid_reason: null, updated_at: '2026-03-01T00:00:00.000Z' },
      ]);
    const state = createPostgresState(
      { supabaseUrl: SUPABASE_URL, supabaseKey: SERVICE_KEY },
      { schema: SCHEMA, credentialsKey },
    );
    const saved = await state.credentials.put('xero:t1', { refreshToken: 'rt-PLAINTEXT' });
    expect(saved.value).toEqual({ refreshToken: 'rt-PLAINTEXT' });
    expect(sent).toEqual([{ 'act:encrypted': 1, kid: 'k1', iv: expect.any(String), data: expect.any(String) }]);
    expect(JSON.stringify(sent)).not.toContain('PLAINTEXT');
    await state.close();
  });

  it('credentials: get, put, lease, complete, release are one rpc each; jsonb travels as JSON', async () => {
    const now = new Date('2026-03-01T00:00:00.000Z');
    const stored = { value: { refreshToken: 'r1' }, revision: 1, invalid_reason: null, updated_at: now.toISOString() };
    postgrest().post('/rest/v1/rpc/act_credential_get', { p_key: 'ghl:loc_1' }).reply(200, []);
    postgrest()
      .post('/rest/v1/rpc/act_credential_put', { p_key: 'ghl:loc_1', p_value: { refreshToken: 'r1' }, p_now: null })
      .reply(200, [stored]);
    postgrest()
      .post('/rest/v1/rpc/act_credential_acquire_lease', {
        p_key: 'ghl:loc_1',
        p_owner: 'w1',
        p_lease_ms: 30000,
        p_now: now.toISOString(),
      })
      .reply(200, [{ acquired: true, held_until: null, ...stored }]);
    postgrest()
      .post('/rest/v1/rpc/act_credential_acquire_lease', {
        p_key: 'ghl:loc_1',
        p_owner: 'w2',
        p_lease_ms: 30000,
        p_now: now.toISOString(),
      })
      .reply(200, [
        {
          acquired: false,
          held_until: '2026-03-01T00:00:30+00:00',
          value: null,
          revision: null,
          invalid_reason: null,
          updated_at: null,
        },
      ]);
    postgrest()
      .post('/rest/v1/rpc/act_credential_complete_refresh', {
        p_key: 'ghl:loc_1',
        p_owner: 'w1',
        p_value: { refreshToken: 'r2' },
        p_now: null,
      })
      .reply(200, []);
    postgrest()
      .post('/rest/v1/rpc/act_credential_release_lease', {
        p_key: 'ghl:loc_1',
        p_owner: 'w1',
        p_invalid_reason: 'invalid_grant',
        p_now: null,
      })
      .reply(204);

    const store = supabaseState().credentials;
    expect(await store.get('ghl:loc_1')).toBeNull();
    expect(await store.put('ghl:loc_1', { refreshToken: 'r1' })).toEqual({
      value: { refreshToken: 'r1' },
      revision: 1,
      invalidReason: null,
      updatedAt: now,
    });
    expect(await store.acquireRefreshLease('ghl:loc_1', { owner: 'w1', leaseMs: 30_000, now })).toEqual({
      acquired: true,
      current: { value: { refreshToken: 'r1' }, revision: 1, invalidReason: null, updatedAt: now },
    });
    expect(await store.acquireRefreshLease('ghl:loc_1', { owner: 'w2', leaseMs: 30_000, now })).toEqual({
      acquired: false,
      heldUntil: new Date('2026-03-01T00:00:30.000Z'),
    });
    // The lease was lost: nothing saved.
    expect(await store.completeRefresh('ghl:loc_1', { owner: 'w1', value: { refreshToken: 'r2' } })).toBeNull();
    await store.releaseRefreshLease('ghl:loc_1', { owner: 'w1', invalidReason: 'invalid_grant' });
  });
});
