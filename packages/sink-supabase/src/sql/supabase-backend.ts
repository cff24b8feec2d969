import { ActError, ConfigurationError, StoreUnavailableError } from '@act/core';
import { isModuleNotFound, isRetryableConflict, missingPeer, PACKAGE_NAME, PostgresError, toActError } from '../errors';
import { migrationPlan } from '../migrate';
import {
  ACT_FUNCTIONS,
  type ActBackend,
  type ActFunctionArgs,
  type ActFunctionName,
  type ArgType,
  type Row,
} from './driver';

// No `node:` imports here: this file runs on Deno and Supabase Edge Functions too.

/** A PostgREST error as supabase-js returns it (`PostgrestError`). */
export interface SupabaseErrorLike {
  message: string;
  code?: string | null;
  details?: string | null;
  hint?: string | null;
}

/** What supabase-js resolves for a request: `{ data, error, status }`, never a rejection. */
export interface SupabaseResponseLike {
  data: unknown;
  error: SupabaseErrorLike | null;
  status: number;
}

/** What the driver uses of a supabase-js `SupabaseClient` (so its types are not required). */
export interface SupabaseClientLike {
  schema(schema: string): {
    rpc(fn: string, args?: Record<string, unknown>): PromiseLike<SupabaseResponseLike>;
    from(relation: string): {
      select(columns?: string): PromiseLike<SupabaseResponseLike> & {
        retry?(enabled: boolean): PromiseLike<SupabaseResponseLike>;
      };
    };
  };
}

/**
 * Supabase through PostgREST with `@supabase/supabase-js`: the project URL and
 * the service role key (a client is created, without sessions), or your own
 * client. `chunkSize`: sink operations per `act_sink_apply` request (500).
 */
export type SupabaseConnection =
  | { supabaseUrl: string; supabaseKey: string; clientOptions?: Record<string, unknown>; chunkSize?: number }
  | { supabase: SupabaseClientLike; chunkSize?: number };

/**
 * Operations per `act_sink_apply` request. One rpc is one transaction, so a
 * chunk must stay well inside what one request may carry and take: the API
 * gateway's request size and time limits and the role's statement_timeout
 * on Supabase, and row locks held only briefly. 500 upserts of typical
 * mirror rows make a request of a few hundred kilobytes that commits in well
 * under a second, and a failed chunk re-sends at most 500 rows.
 */
export const DEFAULT_SUPABASE_CHUNK_SIZE = 500;

/**
 * Functions returning one value (not a set): PostgREST answers the bare value,
 * which becomes `[{ result }]` like the SQL drivers' `select * from f() as result`.
 * Set-returning functions come back as arrays of row objects. A function not
 * listed is read by its answer's shape; list it here when it returns JSON that
 * is itself an array of objects (as act_sink_apply does).
 */
const SCALAR_FUNCTIONS = new Set<string>([
  'act_events_channel',
  'act_deliveries_channel',
  'act_complete',
  'act_fail',
  'act_replay',
  'act_get_cursor',
  'act_set_cursor',
  'act_record_events',
  'act_set_tokens',
  'act_release_slot',
  'act_sink_apply',
  // Migration 0010 (act_connect answers one JSON object).
  'act_renew_lease',
  'act_connect',
  'act_release_lease',
  'act_plan_jobs',
  'act_renew_job_lease',
  'act_finish_job',
  'act_request_job',
  'act_set_source_mode',
  'act_record_sync_event',
  // Migration 0013.
  'act_identity_set_tenant_group',
]);

/** Attempts for a call that hit a deadlock or serialization failure (each rpc is one transaction). */
const CONFLICT_ATTEMPTS = 4;

const KEY_VARIABLE = 'SUPABASE_SERVICE_ROLE_KEY';

function configuration(message: string, cause?: unknown): ConfigurationError {
  return new ConfigurationError({ packageName: PACKAGE_NAME, message, ...(cause !== undefined ? { cause } : {}) });
}

export function isSupabaseConnection(connection: object): connection is SupabaseConnection {
  return 'supabase' in connection || 'supabaseUrl' in connection || 'supabaseKey' in connection;
}

/** The role a Supabase key acts as: new-style prefixes, or the `role` claim of a legacy JWT key. */
function keyRole(key: string): string | undefined {
  if (key.startsWith('sb_publishable_')) return 'anon';
  if (key.startsWith('sb_secret_')) return 'service_role';
  const payload = key.split('.')[1];
  if (key.split('.').length !== 3 || !payload) return undefined;
  try {
    const base64 = payload
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const role = (JSON.parse(atob(base64)) as { role?: unknown }).role;
    return typeof role === 'string' ? role : undefined;
  } catch {
    return undefined;
  }
}

/** Refuse a connection that cannot work before anything is sent, naming the variable to fix. */
export function checkSupabaseConnection(connection: SupabaseConnection): void {
  if (connection.chunkSize !== undefined && !(Number.isSafeInteger(connection.chunkSize) && connection.chunkSize > 0)) {
    throw configuration(`chunkSize must be a positive integer, got ${String(connection.chunkSize)}`);
  }
  if ('supabase' in connection) {
    if (typeof connection.supabase?.schema !== 'function') {
      throw configuration('{ supabase } must be a client from createClient() of @supabase/supabase-js');
    }
    return;
  }
  const { supabaseUrl, supabaseKey } = connection;
  if (typeof supabaseUrl !== 'string' || !URL.canParse(supabaseUrl.trim())) {
    throw configuration(
      `supabaseUrl must be the project URL, like https://<project>.supabase.co (is SUPABASE_URL set?), got ${JSON.stringify(supabaseUrl)}`,
    );
  }
  if (typeof supabaseKey !== 'string' || supabaseKey.trim() === '') {
    throw configuration(
      `supabaseKey is empty: pass the service role key (is ${KEY_VARIABLE} set? Project Settings → API keys)`,
    );
  }
  const role = keyRole(supabaseKey.trim());
  if (role === 'anon' || role === 'authenticated') {
    throw configuration(
      `supabaseKey is a public (${role}) key; the act_ functions are closed to it. Pass the service role key (${KEY_VARIABLE}), and keep it on the server`,
    );
  }
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** bytea for PostgREST: `\x` and hex, the text form Postgres reads and PostgREST writes back. */
export function byteaToHex(bytes: Uint8Array): string {
  let out = '\\x';
  for (const byte of bytes) out += HEX[byte];
  return out;
}

/** The `\x…` hex text of a bytea as bytes; anything else is refused rather than read as empty. */
export function hexToBytea(text: string): Uint8Array {
  if (!/^\\x(?:[0-9a-fA-F]{2})*$/.test(text)) {
    throw new PostgresError({
      message:
        'a bytea column came back in a form other than hex (is bytea_output set to escape for the API role?); expected "\\x…"',
      errorClass: 'unknown',
    });
  }
  const bytes = new Uint8Array((text.length - 2) / 2);
  for (let index = 0; index < bytes.length; index++) {
    bytes[index] = Number.parseInt(text.slice(2 + index * 2, 4 + index * 2), 16);
  }
  return bytes;
}

/** Arguments as JSON: PostgREST casts each to the function's declared type. */
function encodeArg(type: ArgType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'bytea':
      return value instanceof Uint8Array ? byteaToHex(value) : value;
    case 'timestamptz':
      return value instanceof Date ? value.toISOString() : value;
    case 'bigint':
      return typeof value === 'bigint' ? value.toString() : value;
    default:
      // jsonb goes as JSON itself (not a string of it); arrays as JSON arrays.
      return value;
  }
}

/** supabase-js reports a failed fetch as `{ message: 'TypeError: fetch failed', details: '…Caused by: …' }`. */
function cause(error: SupabaseErrorLike): string {
  const causedBy = /Caused by: ([^\n]+)/.exec(error.details ?? '')?.[1];
  return causedBy ? `${error.message} (${causedBy})` : error.message;
}

/**
 * A PostgREST answer as a core error. Postgres errors (a SQLSTATE in `code`)
 * are classified as for the SQL drivers; the rest by PostgREST code and HTTP
 * status: unreachable, overloaded or timed out → `StoreUnavailableError`
 * (the receive path answers the provider's retry status); a wrong or public
 * key → `ConfigurationError` naming SUPABASE_SERVICE_ROLE_KEY; a function
 * PostgREST does not know → migrations not run.
 */
export function supabaseError(error: SupabaseErrorLike, status: number, operation: string, schema: string): Error {
  const code = typeof error.code === 'string' ? error.code : '';
  const message = cause(error);
  const hint = error.hint ? ` (hint: ${error.hint})` : '';
  const refused = `Supabase refused the key (HTTP ${status}${code ? ` ${code}` : ''}: ${message}). Pass the service role key (${KEY_VARIABLE}, Project Settings → API keys); the act_ functions are closed to anon and authenticated. In a schema other than public, run the migrations again: they grant service_role access`;
  // Permission denied on one object (a mirror table another role created, say):
  // retried on the schedule like the SQL drivers do, never dead-lettered at once.
  if (code === '42501') {
    return new PostgresError({ message: `${operation}: ${refused}`, code, errorClass: 'unknown', cause: error });
  }
  // The key itself is wrong (the gateway's 401, a JWT PostgREST rejects): configuration.
  if (status === 401 || status === 403 || code.startsWith('PGRST3')) {
    return configuration(`${operation}: ${refused}`, error);
  }
  if (/^[0-9A-Z]{5}$/.test(code)) {
    const pgError = Object.assign(new Error(message), { code, hint: error.hint ?? undefined });
    const mapped = toActError(pgError, operation);
    return mapped instanceof Error ? mapped : pgError;
  }
  if (code === 'PGRST106') {
    return configuration(
      `${operation}: schema "${schema}" is not exposed to the Supabase Data API (${message}${hint}). Add it under Project Settings → API → Exposed schemas`,
      error,
    );
  }
  if (code === 'PGRST202' || code === 'PGRST205') {
    return new PostgresError({
      message: `${operation}: PostgREST has no ${schema}.${operation.split(' ')[0]} (${code}: ${message}${hint}); have the migrations run? Run \`npx @act/cli migrate\` with DATABASE_URL set to the project's Postgres connection string, or the SQL of migrations/*.sql in the SQL editor`,
      code,
      errorClass: 'unknown',
      cause: error,
    });
  }
  if (status === 0 || status === 408 || status === 429 || status >= 500 || /^PGRST00\d$/.test(code)) {
    const what = status === 0 ? 'network error' : `HTTP ${status}${code ? ` ${code}` : ''}`;
    return new StoreUnavailableError({
      packageName: PACKAGE_NAME,
      message: `${operation}: Supabase is unreachable or busy (${what}): ${message}`,
      cause: error,
    });
  }
  return new PostgresError({
    message: `${operation} failed (HTTP ${status}${code ? ` ${code}` : ''}): ${message}${hint}`,
    ...(code ? { code } : {}),
    errorClass: 'unknown',
    cause: error,
  });
}

/** What supabase-js threw instead of resolving `{ error }` (a custom fetch, a client set to throw). */
function thrownError(error: unknown, operation: string, schema: string): unknown {
  if (ActError.isInstance(error)) return error;
  const shape = error as { message?: unknown; code?: unknown; name?: unknown } | null;
  if (typeof shape?.code === 'string' && typeof shape.message === 'string' && shape.code !== '') {
    return supabaseError(shape as SupabaseErrorLike, 500, operation, schema);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (shape?.name === 'AbortError' || shape?.name === 'TimeoutError' || /fetch failed|network/i.test(message)) {
    return supabaseError({ message }, 0, operation, schema);
  }
  return toActError(error, operation);
}

interface PlanGroup {
  rows: unknown[];
  [field: string]: unknown;
}

interface PlanTable {
  upserts?: PlanGroup[];
  deletes?: PlanGroup[];
  [field: string]: unknown;
}

/**
 * The pending integration events (`p_events`) or outbox messages
 * (`p_outbox`) for the last chunk of a batch: each whose operation an
 * earlier chunk applied carries that outcome (the last chunk's
 * `act_sink_apply` only knows its own operations' outcomes).
 */
function withEarlierOutcomes(events: unknown, outcomes: readonly unknown[]): unknown {
  if (!Array.isArray(events)) return events ?? null;
  const byIndex = new Map<number, { o?: string; r?: string }>();
  for (const outcome of outcomes as { i?: number; o?: string; r?: string }[]) {
    if (typeof outcome?.i === 'number') byIndex.set(outcome.i, outcome);
  }
  return events.map((event: Record<string, unknown>) => {
    const known = typeof event.operation === 'number' ? byIndex.get(event.operation) : undefined;
    if (!known?.o || event.outcome !== undefined) return event;
    return { ...event, outcome: known.o, ...(known.r ? { reason: known.r } : {}) };
  });
}

/** Split an `act_sink_apply` plan into plans of at most `size` rows, keeping table order and groups. */
export function chunkPlan(plan: readonly PlanTable[], size: number): PlanTable[][] {
  const chunks: PlanTable[][] = [];
  let current: PlanTable[] = [];
  let count = 0;
  for (const table of plan) {
    let entry: PlanTable | undefined;
    for (const kind of ['upserts', 'deletes'] as const) {
      for (const group of table[kind] ?? []) {
        for (let start = 0; start < group.rows.length; ) {
          if (count === size) {
            chunks.push(current);
            current = [];
            count = 0;
            entry = undefined;
          }
          if (!entry) {
            entry = { ...table, upserts: [], deletes: [] };
            current.push(entry);
          }
          const rows = group.rows.slice(start, start + size - count);
          (entry[kind] as PlanGroup[]).push({ ...group, rows });
          start += rows.length;
          count += rows.length;
        }
      }
    }
  }
  if (count > 0) chunks.push(current);
  return chunks;
}

export interface SupabaseBackend extends ActBackend {
  /** Names recorded in `act_migrations`, or null when the table does not exist. */
  appliedMigrations(): Promise<string[] | null>;
}

/**
 * An `ActBackend` over supabase-js: each call is one `rpc` through PostgREST,
 * which runs one function call in one transaction. A sink batch larger than
 * `chunkSize` rows becomes several calls (see `call`).
 */
export function createSupabaseBackend(
  client: SupabaseClientLike,
  schema: string,
  options: { chunkSize?: number } = {},
): SupabaseBackend {
  const chunkSize = options.chunkSize ?? DEFAULT_SUPABASE_CHUNK_SIZE;
  const api = client.schema(schema);

  const rpc = async (name: string, body: Record<string, unknown>, operation: string): Promise<unknown> => {
    for (let attempt = 1; ; attempt++) {
      let response: SupabaseResponseLike;
      try {
        response = await api.rpc(name, body);
      } catch (error) {
        throw thrownError(error, operation, schema);
      }
      if (!response.error) return response.data;
      const mapped = supabaseError(response.error, response.status, operation, schema);
      // A deadlock or serialization failure rolled the whole call back: run it again.
      if (attempt < CONFLICT_ATTEMPTS && isRetryableConflict(response.error)) {
        await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20 * attempt));
        continue;
      }
      throw mapped;
    }
  };

  const toRows = (name: string, data: unknown): Row[] => {
    const rows =
      !SCALAR_FUNCTIONS.has(name) &&
      Array.isArray(data) &&
      data.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row));
    if (!rows) return [{ result: data ?? null }];
    return (data as Row[]).map((row) => (typeof row?.body === 'string' ? { ...row, body: hexToBytea(row.body) } : row));
  };

  return {
    kind: 'supabase',
    schema,
    async call<F extends ActFunctionName>(name: F, args: ActFunctionArgs<F>): Promise<Row[]> {
      const types = ACT_FUNCTIONS[name] as Record<string, ArgType>;
      const body: Record<string, unknown> = {};
      for (const [arg, value] of Object.entries(args as Record<string, unknown>)) {
        if (value === undefined) continue;
        if (!(arg in types)) throw new TypeError(`${name} has no argument ${arg}`);
        body[arg] = encodeArg(types[arg] as ArgType, value);
      }
      if (name !== 'act_sink_apply' || !Array.isArray(body.p_operations)) {
        return toRows(name, await rpc(name, body, name));
      }
      // A large batch goes in chunks, each its own request and transaction.
      // Chunks are not atomic together: the cursor rides on the last one
      // only, so it is saved only once every row before it is written; a
      // failure part-way leaves earlier chunks applied and the cursor
      // unchanged, and the retry re-applies them idempotently (version
      // guard, unchanged rows skipped).
      const chunks = chunkPlan(body.p_operations as PlanTable[], chunkSize);
      if (chunks.length <= 1) return toRows(name, await rpc(name, body, name));
      const outcomes: unknown[] = [];
      for (const [index, chunk] of chunks.entries()) {
        const last = index === chunks.length - 1;
        const applied = index === 0 ? '' : index === 1 ? '; chunk 1 was applied' : `; chunks 1-${index} were applied`;
        const operation = `${name} (chunk ${index + 1} of ${chunks.length}${applied})`;
        const data = await rpc(
          name,
          {
            ...body,
            p_operations: chunk,
            p_cursor: last ? (body.p_cursor ?? null) : null,
            // The integration events ride with the cursor, told the outcomes of the earlier chunks.
            ...('p_events' in body ? { p_events: last ? withEarlierOutcomes(body.p_events, outcomes) : null } : {}),
            // So do the outbox messages: enqueued once every row is written, each
            // judged by its own operation's outcome (onlyIfChanged).
            ...('p_outbox' in body ? { p_outbox: last ? withEarlierOutcomes(body.p_outbox, outcomes) : null } : {}),
          },
          operation,
        );
        if (Array.isArray(data)) outcomes.push(...data);
      }
      return [{ result: outcomes }];
    },
    async appliedMigrations() {
      let response: SupabaseResponseLike;
      try {
        const query = api.from('act_migrations').select('name');
        // A probe answers now: no retries of the GET (supabase-js 2.8x+ retries reads with backoff).
        response = await (query.retry?.(false) ?? query);
      } catch (error) {
        throw thrownError(error, 'act_migrations', schema);
      }
      if (response.error) {
        const code = response.error.code ?? '';
        if (code === '42P01' || code === 'PGRST205') return null;
        throw supabaseError(response.error, response.status, 'act_migrations', schema);
      }
      return ((response.data as { name: string }[] | null) ?? []).map((row) => row.name);
    },
    // supabase-js holds no connection to release (no sessions, no realtime channel opened here).
    close: async () => {},
  };
}

/** Create the client from URL and key (loading `@supabase/supabase-js`), or take the one given. */
export async function openSupabaseBackend(connection: SupabaseConnection, schema: string): Promise<SupabaseBackend> {
  const chunkSize = connection.chunkSize !== undefined ? { chunkSize: connection.chunkSize } : {};
  if ('supabase' in connection) return createSupabaseBackend(connection.supabase, schema, chunkSize);
  let createClient: (url: string, key: string, options?: Record<string, unknown>) => unknown;
  try {
    ({ createClient } = (await import('@supabase/supabase-js')) as unknown as { createClient: typeof createClient });
  } catch (error) {
    if (isModuleNotFound(error, '@supabase/supabase-js')) {
      throw missingPeer('@supabase/supabase-js', 'connecting with supabaseUrl and supabaseKey', error);
    }
    throw error;
  }
  const given = connection.clientOptions ?? {};
  const client = createClient(connection.supabaseUrl.trim(), connection.supabaseKey.trim(), {
    ...given,
    // A server-side client: no user session to keep, refresh or read from a URL.
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false, ...(given.auth as object) },
  }) as SupabaseClientLike;
  return createSupabaseBackend(client, schema, chunkSize);
}

/** `migrate()` cannot run DDL through PostgREST. */
export function supabaseMigrateError(schema: string): ConfigurationError {
  return configuration(
    `migrate() cannot run through supabase-js: PostgREST calls functions, it does not run DDL. Apply the migrations with a Postgres connection: \`DATABASE_URL=<the project's connection string> npx @act/cli migrate${schema === 'public' ? '' : ` --schema ${schema}`}\` (Project Settings → Database → Connection string), migrate({ connectionString }) from a script, or paste migrations/*.sql into the SQL editor in order`,
  );
}

/** This package's migrations not recorded in the schema (all of them when `act_migrations` is missing). */
export async function supabasePendingMigrations(backend: SupabaseBackend): Promise<string[]> {
  const plan = migrationPlan().map((migration) => migration.name);
  const applied = await backend.appliedMigrations();
  if (!applied) return plan;
  const done = new Set(applied);
  return plan.filter((name) => !done.has(name));
}
