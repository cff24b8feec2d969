/**
 * A PostgREST stand-in over real HTTP, for running the Edge Function without
 * Supabase: `POST /rest/v1/rpc/<fn>` (the only call @act/sink-supabase's
 * supabase-js driver makes) becomes `select <schema>.<fn>(…)` in one
 * transaction on a real Postgres, answered as PostgREST answers (JSON body,
 * 204 for void, `{ code, message, details, hint }` errors with PostgREST's
 * status codes). The same translation as the in-process stand-in of
 * packages/sink-supabase/test/supabase-driver.test.ts, behind a socket so a
 * separate Deno process can reach it. It is not PostgREST: no tables, filters
 * or JWT checks beyond comparing the key.
 *
 * Every request is served from ONE schema (the test's), whatever profile the
 * client asks for, so the function under test needs no schema setting.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';

export interface PostgrestStandIn {
  url: string;
  /** Requests seen, as `POST /rest/v1/rpc/act_enqueue`. */
  calls: string[];
  close(): Promise<void>;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** PostgREST's HTTP status for a SQLSTATE (postgrest/src/PostgREST/Error.hs). */
function statusOf(code: string): number {
  if (code === '23503' || code === '23505') return 409;
  if (code.startsWith('08') || (code.startsWith('53') && code !== '53400')) return 503;
  if (code === '42883' || code === '42P01') return 404;
  if (code === '42501') return 403;
  return /^(09|25|2D|38|39|3B|40|53|54|55|57|58|F0|HV|XX)/.test(code) ? 500 : 400;
}

export async function startPostgrestStandIn(options: {
  pool: pg.Pool;
  schema: string;
  /** The service role key clients must send (`apikey` and `Authorization: Bearer`). */
  serviceKey: string;
}): Promise<PostgrestStandIn> {
  const { pool, schema, serviceKey } = options;
  const calls: string[] = [];

  async function rpc(fn: string, args: Record<string, unknown>): Promise<{ status: number; body: string | null }> {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const {
        rows: [proc],
      } = await client.query(
        `select p.proretset as set, p.prorettype = 'void'::regtype as void,
           coalesce(p.proargnames[1:p.pronargs], '{}') as names,
           array(select format_type(t, null) from unnest(p.proargtypes::oid[]) with ordinality u(t, n) order by n) as types
         from pg_proc p join pg_namespace ns on ns.oid = p.pronamespace where ns.nspname = $1 and p.proname = $2`,
        [schema, fn],
      );
      const names = (proc?.names ?? []) as string[];
      const keys = Object.keys(args);
      if (!proc || keys.some((key) => !names.includes(key))) {
        await client.query('rollback');
        const message = `Could not find the function ${schema}.${fn}(${keys.sort().join(', ')}) in the schema cache`;
        return { status: 404, body: JSON.stringify({ code: 'PGRST202', message, details: null, hint: null }) };
      }
      const types = proc.types as string[];
      const call = `${quote(schema)}.${quote(fn)}(${keys.map((key) => `${quote(key)} := a.${quote(key)}`).join(', ')})`;
      const record = keys.map((key) => `${quote(key)} ${types[names.indexOf(key)]}`).join(', ');
      const from = keys.length > 0 ? ` from json_to_record($1::json) as a(${record})` : '';
      const select = proc.void
        ? call
        : proc.set
          ? `coalesce((select json_agg(r) from ${call} r), '[]')::text`
          : `to_json(${call})::text`;
      const {
        rows: [row],
      } = await client.query(`select ${select} as body${from}`, keys.length > 0 ? [JSON.stringify(args)] : []);
      await client.query('commit');
      return proc.void ? { status: 204, body: null } : { status: 200, body: row?.body as string };
    } catch (error) {
      await client.query('rollback').catch(() => {});
      const { code, message, detail, hint } = error as {
        code?: unknown;
        message: string;
        detail?: string;
        hint?: string;
      };
      if (typeof code !== 'string') throw error;
      return {
        status: statusOf(code),
        body: JSON.stringify({ code, message, details: detail ?? null, hint: hint ?? null }),
      };
    } finally {
      client.release();
    }
  }

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const answer = (status: number, body: string | null) => {
        response.writeHead(status, body === null ? {} : { 'content-type': 'application/json; charset=utf-8' });
        response.end(body ?? undefined);
      };
      try {
        const path = new URL(request.url ?? '/', 'http://localhost').pathname;
        calls.push(`${request.method} ${path}`);
        if (request.headers.apikey !== serviceKey || request.headers.authorization !== `Bearer ${serviceKey}`) {
          return answer(
            401,
            JSON.stringify({ code: 'PGRST301', message: 'Invalid API key', details: null, hint: null }),
          );
        }
        const fn = /^\/rest\/v1\/rpc\/(\w+)$/.exec(path)?.[1];
        if (request.method !== 'POST' || !fn) return answer(404, JSON.stringify({ message: 'not in this stand-in' }));
        const text = Buffer.concat(chunks).toString('utf8');
        const { status, body } = await rpc(fn, text ? (JSON.parse(text) as Record<string, unknown>) : {});
        answer(status, body);
      } catch (error) {
        answer(500, JSON.stringify({ message: error instanceof Error ? error.message : String(error) }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
