import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, SCHEDULER_CRON_MIGRATION } from '../src';
import { type PgCronCluster, pgCronUnavailable, startPgCronCluster } from './helpers/pg-cron-cluster';

/**
 * pg_net is not packaged for Debian, so the private cluster gets a stand-in
 * with pg_net's signature (https://supabase.com/docs/guides/database/extensions/pg_net:
 * `net.http_post(url text, body jsonb default '{}', params jsonb default '{}',
 * headers jsonb default '{"Content-Type": "application/json"}',
 * timeout_milliseconds int) returns bigint`) that really sends the POST, with
 * curl through COPY … TO PROGRAM (the cluster's superuser may). Every argument
 * is single-quoted for the shell, so a URL or header value never runs as
 * code. Unlike pg_net it sends during the call rather than after commit, and
 * fails the job on a non-2xx answer (--fail), which the test reads from
 * cron.job_run_details.
 */
const PG_NET_STAND_IN = `
create schema net;
create sequence net.request_id_seq;
create function net.shell_quote(value text) returns text
language sql immutable strict
as $$ select '''' || replace(value, '''', '''"''"''') || '''' $$;
create function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds int default 5000
)
returns bigint
language plpgsql volatile
as $$
declare
  v_command text := 'curl --silent --show-error --fail --output /dev/null --request POST'
    || ' --max-time ' || greatest(1, ceil(timeout_milliseconds / 1000.0))::int
    || ' --data-binary ' || net.shell_quote(coalesce(body, '{}'::jsonb)::text);
  v_pair record;
begin
  for v_pair in select key, value from jsonb_each_text(coalesce(headers, '{}'::jsonb)) where value is not null loop
    v_command := v_command || ' --header ' || net.shell_quote(v_pair.key || ': ' || v_pair.value);
  end loop;
  for v_pair in select key, value from jsonb_each_text(coalesce(params, '{}'::jsonb)) where value is not null loop
    v_command := v_command || ' --url-query ' || net.shell_quote(v_pair.key || '=' || v_pair.value);
  end loop;
  v_command := v_command || ' --url ' || net.shell_quote(url);
  execute format('copy (select 1 where false) to program %L', v_command);
  return nextval('net.request_id_seq');
end;
$$;
`;

/**
 * Supabase Vault's reading surface (https://supabase.com/docs/guides/database/vault):
 * `vault.create_secret(secret, name)` and the view `vault.decrypted_secrets
 * (name, decrypted_secret)`. Stored in clear here; the real one encrypts.
 */
const VAULT_STAND_IN = `
create schema vault;
create table vault.secrets (id uuid primary key default gen_random_uuid(), name text unique, secret text not null);
create view vault.decrypted_secrets as select id, name, secret as decrypted_secret from vault.secrets;
create function vault.create_secret(new_secret text, new_name text default null, new_description text default '')
returns uuid language sql
as $$ insert into vault.secrets (name, secret) values (new_name, new_secret) returning id $$;
`;

// Quotes and shell syntax: the SQL the migration builds and the stand-in's
// shell command must both carry them through as data.
const VAULT_SECRET = `vault 'secret' $(echo injected) "x"`;
const PLAIN_SECRET = `plain 'secret' \`id\` $HOME`;
const TICK_PATH = '/api/_act/tick';

interface Hit {
  method: string | undefined;
  url: string | undefined;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

/** The app's tick route, as far as pg_cron can tell: POST, Bearer secret, 200 JSON. */
function startTickServer(secrets: readonly string[]): Promise<{ server: Server; port: number; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      hits.push({
        method: request.method,
        url: request.url,
        authorization: request.headers.authorization,
        contentType: request.headers['content-type'],
        body,
      });
      const authorized = secrets.some((secret) => request.headers.authorization === `Bearer ${secret}`);
      const ok = request.method === 'POST' && request.url === TICK_PATH && authorized;
      response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      response.end(JSON.stringify(ok ? { leader: true, ran: [] } : { error: 'unauthorized' }));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, hits }));
  });
}

describe('the scheduler-cron migration without pg_cron (PGlite)', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await PGlite.create();
    await db.exec(SCHEDULER_CRON_MIGRATION.sql);
  });
  afterAll(async () => {
    await db.close();
  });

  it('is recorded under the package name, and names every function act_', () => {
    expect(SCHEDULER_CRON_MIGRATION.name).toBe('@act/sink-supabase/optional/scheduler_cron');
    const created = [...SCHEDULER_CRON_MIGRATION.sql.matchAll(/create (?:or replace )?function (\w+)/gi)].map(
      (match) => match[1],
    );
    expect(created).toEqual(['act_schedule_tick', 'act_unschedule_tick']);
  });

  it('refuses to schedule or unschedule, naming the package and pg_cron', async () => {
    await expect(
      db.query(`select act_schedule_tick('https://example.com/api/_act/tick', 'act_tick_secret')`),
    ).rejects.toThrow(/^\[@act\/sink-supabase\] act_schedule_tick needs the pg_cron extension/);
    await expect(db.query('select act_unschedule_tick()')).rejects.toThrow(
      /^\[@act\/sink-supabase\] act_unschedule_tick needs the pg_cron extension/,
    );
  });
});

const unavailable = pgCronUnavailable();

describe.skipIf(unavailable !== undefined)(
  `pg_cron drives the tick route on a private cluster${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    let cluster: PgCronCluster | undefined;
    let client: pg.Client;
    let tick: Awaited<ReturnType<typeof startTickServer>>;
    let url: string;
    const errors: Record<string, unknown> = {};
    const query = async <R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]) =>
      (await client.query<R>(text, params)).rows;
    const attempt = (text: string, params?: unknown[]) => query(text, params).catch((error: unknown) => error);

    beforeAll(async () => {
      cluster = await startPgCronCluster();
      client = new pg.Client({ connectionString: cluster.url });
      await client.connect();
      tick = await startTickServer([VAULT_SECRET, PLAIN_SECRET]);
      url = `http://127.0.0.1:${tick.port}${TICK_PATH}`;
      // Applied the documented way, into the act schema, with the package's own migrations.
      await migrate({ connectionString: cluster.url }, { schema: 'act', migrations: [SCHEDULER_CRON_MIGRATION] });
      // Each piece missing in turn, before its extension (or stand-in) exists.
      errors.pgCron = await attempt(`select act.act_schedule_tick($1, p_secret => 'x')`, [url]);
      await query('create extension pg_cron');
      errors.pgNet = await attempt(`select act.act_schedule_tick($1, p_secret => 'x')`, [url]);
      await client.query(PG_NET_STAND_IN);
      errors.vault = await attempt(`select act.act_schedule_tick($1, 'act_tick_secret')`, [url]);
      await client.query(VAULT_STAND_IN);
      await query(`select vault.create_secret($1, 'act_tick_secret')`, [VAULT_SECRET]);
    }, 120_000);

    afterAll(async () => {
      await client?.end().catch(() => undefined);
      // Only a server that started: an unset one would leave this promise pending (a hook timeout).
      const server = (tick as typeof tick | undefined)?.server;
      if (server) await new Promise((resolve) => server.close(resolve));
      await cluster?.stop();
    }, 60_000);

    const jobs = (name: string) =>
      query<{ jobid: string; schedule: string; command: string }>(
        'select jobid, schedule, command from cron.job where jobname = $1',
        [name],
      );

    it('lets only the owner schedule: EXECUTE is revoked from PUBLIC', async () => {
      await query('create role act_cron_nobody nologin');
      expect(
        await query(
          `select has_function_privilege('act_cron_nobody', 'act.act_schedule_tick(text,text,text,text,text,integer)', 'execute') as schedule,
                  has_function_privilege('act_cron_nobody', 'act.act_unschedule_tick(text)', 'execute') as unschedule`,
        ),
      ).toEqual([{ schedule: false, unschedule: false }]);
    });

    it('names the missing extension: pg_cron, then pg_net, then Supabase Vault', () => {
      expect(String(errors.pgCron)).toMatch(/\[@act\/sink-supabase\] act_schedule_tick needs the pg_cron extension/);
      expect(String(errors.pgNet)).toMatch(/\[@act\/sink-supabase\] act_schedule_tick needs the pg_net extension/);
      expect(String(errors.vault)).toMatch(/\[@act\/sink-supabase\] .*needs Supabase Vault/);
    });

    it('refuses a Vault secret that does not exist, a URL that is not http(s), and both or neither secret', async () => {
      expect(String(await attempt(`select act.act_schedule_tick($1, 'no_such_secret')`, [url]))).toMatch(
        /Supabase Vault has no secret named 'no_such_secret'/,
      );
      expect(String(await attempt(`select act.act_schedule_tick('ftp://x/_act/tick', 'act_tick_secret')`))).toMatch(
        /needs the tick route's http\(s\) URL/,
      );
      expect(
        String(await attempt(`select act.act_schedule_tick($1, 'act_tick_secret', p_secret => 'x')`, [url])),
      ).toMatch(/exactly one of p_vault_secret/);
      expect(String(await attempt(`select act.act_schedule_tick($1)`, [url]))).toMatch(/exactly one of p_vault_secret/);
      expect(await query(`select count(*)::int as n from cron.job`)).toEqual([{ n: 0 }]);
    });

    it('schedules one job per name: scheduling again replaces it, unscheduling removes it once', async () => {
      const name = 'act-test-replace';
      const [first] = await query<{ id: string }>(
        `select act.act_schedule_tick($1, 'act_tick_secret', '0 3 1 1 *', $2) as id`,
        [url, name],
      );
      const [again] = await query<{ id: string }>(
        `select act.act_schedule_tick($1, 'act_tick_secret', '0 4 1 1 *', $2) as id`,
        [url, name],
      );
      expect(again?.id).toBe(first?.id);
      expect((await jobs(name)).map((job) => job.schedule)).toEqual(['0 4 1 1 *']);

      expect(await query(`select act.act_unschedule_tick($1) as removed`, [name])).toEqual([{ removed: true }]);
      expect(await jobs(name)).toEqual([]);
      expect(await query(`select act.act_unschedule_tick($1) as removed`, [name])).toEqual([{ removed: false }]);
    });

    it('keeps a Vault secret out of cron.job.command; the plain variant stores it', async () => {
      await query(`select act.act_schedule_tick($1, 'act_tick_secret', '0 3 1 1 *', 'act-test-vault')`, [url]);
      await query(
        `select act.act_schedule_tick($1, p_secret => $2, p_schedule => '0 3 1 1 *', p_job_name => 'act-test-plain')`,
        [url, PLAIN_SECRET],
      );
      const [vault] = await jobs('act-test-vault');
      const [plain] = await jobs('act-test-plain');
      expect(vault?.command).toContain("vault.decrypted_secrets where name = 'act_tick_secret'");
      expect(vault?.command).not.toContain("vault 'secret'");
      expect(plain?.command).toContain(`'Bearer plain ''secret'' \`id\` $HOME'`);
      await query(`select act.act_unschedule_tick('act-test-vault'), act.act_unschedule_tick('act-test-plain')`);
    });

    it('pg_cron fires the job, which POSTs to the tick route with the bearer (Vault and plain), until unscheduled', async () => {
      const [vaultJob] = await query<{ id: string }>(`select act.act_schedule_tick($1, 'act_tick_secret') as id`, [
        url,
      ]);
      const [plainJob] = await query<{ id: string }>(
        `select act.act_schedule_tick($1, p_secret => $2, p_job_name => 'act-scheduler-tick-plain') as id`,
        [url, PLAIN_SECRET],
      );
      expect((await jobs('act-scheduler-tick'))[0]?.schedule).toBe('* * * * *');

      // pg_cron 1.4 runs `* * * * *` at the next minute boundary: up to a minute away.
      const seen = () =>
        [VAULT_SECRET, PLAIN_SECRET].every((secret) =>
          tick.hits.some((hit) => hit.authorization === `Bearer ${secret}`),
        );
      const deadline = Date.now() + 90_000;
      while (!seen() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));

      expect(seen()).toBe(true);
      for (const hit of tick.hits) {
        expect(hit).toMatchObject({ method: 'POST', url: TICK_PATH, contentType: 'application/json', body: '{}' });
        expect([`Bearer ${VAULT_SECRET}`, `Bearer ${PLAIN_SECRET}`]).toContain(hit.authorization);
      }

      // Each run is recorded; a 401 (curl --fail) or a SQL error would show as failed.
      const runs = async () =>
        query<{ jobid: string; status: string; return_message: string }>(
          `select jobid::text, status, return_message from cron.job_run_details
             where jobid = any ($1::bigint[]) and status in ('succeeded', 'failed')`,
          [[vaultJob?.id, plainJob?.id]],
        );
      const runDeadline = Date.now() + 10_000;
      while ((await runs()).length < 2 && Date.now() < runDeadline) await new Promise((r) => setTimeout(r, 200));
      const finished = await runs();
      expect(new Set(finished.map((run) => run.jobid))).toEqual(new Set([String(vaultJob?.id), String(plainJob?.id)]));
      for (const run of finished) expect(run).toMatchObject({ status: 'succeeded' });

      expect(await query(`select act.act_unschedule_tick() as removed`)).toEqual([{ removed: true }]);
      expect(await query(`select act.act_unschedule_tick('act-scheduler-tick-plain') as removed`)).toEqual([
        { removed: true },
      ]);
      expect(await query(`select count(*)::int as n from cron.job`)).toEqual([{ n: 0 }]);
    }, 150_000);
  },
);
