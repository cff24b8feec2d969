import { ActError, ConfigurationError, type ErrorClassV1, StoreUnavailableError } from '@act/core';

export const PACKAGE_NAME = '@act/sink-supabase';

/**
 * The database refused a statement (a constraint, a missing table, a bad
 * value). `code` is the SQLSTATE. Connection failures are
 * `StoreUnavailableError` from `@act/core` instead, so the receive path asks
 * the provider to retry.
 */
export class PostgresError extends ActError {
  /** SQLSTATE, e.g. `23502` (not-null violation) or `42P01` (undefined table). */
  readonly code: string | undefined;

  constructor(options: { message: string; code?: string; errorClass: ErrorClassV1; cause?: unknown }) {
    super({
      packageName: PACKAGE_NAME,
      message: options.message,
      errorClass: options.errorClass,
      cause: options.cause,
    });
    this.name = 'PostgresError';
    this.code = options.code;
  }
}

// Node's network error codes: the server cannot be reached or dropped us.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
]);

// node-postgres and PGlite say these in words rather than codes.
const UNAVAILABLE_MESSAGE =
  /connection terminated|terminating connection|connection (?:error|refused|reset|closed|ended)|timeout exceeded when trying to connect|not queryable|pool after calling end|pglite is closed|server closed the connection/i;

/** SQLSTATEs that mean "try again later": connection, resources, shutdown, lock contention, timeouts. */
function isTransientSqlState(code: string): boolean {
  if (code === '08P01') return false; // protocol violation: a bug, not an outage
  return (
    code.startsWith('08') ||
    code.startsWith('53') ||
    code.startsWith('58') ||
    /^57P0[1-5]$/.test(code) ||
    code === '57014' ||
    code === '40001' ||
    code === '40P01' ||
    code === '55P03'
  );
}

/** Serialization failures and deadlocks: the whole call can simply run again. */
export function isRetryableConflict(error: unknown): boolean {
  const code = sqlState(error);
  return code === '40001' || code === '40P01';
}

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function networkCode(error: unknown): string | undefined {
  const candidates = [error, ...(((error as { errors?: unknown[] } | null)?.errors as unknown[] | undefined) ?? [])];
  for (const candidate of candidates) {
    const code = (candidate as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map((inner: unknown) => (inner instanceof Error ? inner.message : String(inner))).join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Turn what a driver threw into a core error: unreachable database →
 * `StoreUnavailableError` (transient, HTTP 503); data the database can never
 * hold (`isUnrecoverableSqlState`) → `PostgresError` of class `validation`; anything else from the database → `PostgresError`
 * of class `unknown` (retried on the schedule). Errors that are already
 * @act errors, and plain bugs (TypeError…), pass through unchanged.
 */
export function toActError(error: unknown, operation: string): unknown {
  if (ActError.isInstance(error)) return error;
  const code = sqlState(error);
  const message = messageOf(error);
  if (code === undefined) {
    const network = networkCode(error);
    if (network || UNAVAILABLE_MESSAGE.test(message)) {
      return new StoreUnavailableError({
        packageName: PACKAGE_NAME,
        message: `${operation}: cannot reach Postgres (${network ?? 'connection failed'}): ${message}`,
        cause: error,
      });
    }
    return error;
  }
  if (isTransientSqlState(code)) {
    return new StoreUnavailableError({
      packageName: PACKAGE_NAME,
      message: `${operation}: Postgres is unavailable or busy (SQLSTATE ${code}): ${message}`,
      cause: error,
    });
  }
  const hint = (error as { hint?: unknown }).hint;
  const detail = typeof hint === 'string' && hint ? ` (hint: ${hint})` : '';
  // A missing table, function, schema or column: usually migrations not run
  // yet, which an operator fixes; retried on the schedule rather than dead-lettered.
  if (code === '42P01' || code === '42883' || code === '3F000' || code === '42703') {
    return new PostgresError({
      message: `${operation} failed (SQLSTATE ${code}): ${message}${detail}; have the migrations run? Call migrate() or run \`act migrate\` (@act/cli)`,
      code,
      errorClass: 'unknown',
      cause: error,
    });
  }
  if (code === '42P10') {
    return new PostgresError({
      message: `${operation} failed (SQLSTATE ${code}): ${message}: an operation's key columns must be exactly the table's primary key or a unique index`,
      code,
      errorClass: 'validation',
      cause: error,
    });
  }
  const unrecoverable = isUnrecoverableSqlState(code);
  return new PostgresError({
    message: `${operation} failed (SQLSTATE ${code}): ${message}${detail}${unrecoverable ? (UNRECOVERABLE_HINTS[code] ?? '') : ''}`,
    code,
    errorClass: unrecoverable ? 'validation' : 'unknown',
    cause: error,
  });
}

/**
 * SQLSTATE classes that the same statement with the same data meets on every
 * try: class `validation`, so the worker dead-letters the delivery at once with
 * the reason (replayable after a fix) instead of retrying it for hours, and
 * the receive path does not ask a provider to resend it.
 *
 * - `21` cardinality violation: one statement writes a row twice (21000).
 * - `22` data exception: among them `22001` a value too long for its column,
 *   `22P02` invalid input for a type (a JSON `\ud800` lone surrogate
 *   escape, a malformed number), `22P05` a character the database cannot hold
 *   (`\u0000` in jsonb), `22021` a byte sequence not valid in the encoding (a
 *   NUL byte in text), `22003` a number out of range, `22007`/`22008` a bad date.
 * - `23` integrity constraint violation: `23502` not null, `23503` foreign
 *   key, `23505` unique (a non-key unique index; the key itself is an upsert's
 *   conflict target), `23514` check.
 * - `54` program limit exceeded: `54000` a key past the btree limit of 2,704
 *   bytes per index row (a 3,000-character id or email), `54001` a value
 *   nested too deeply to parse (stack depth limit exceeded), `54011` too many
 *   columns, `54023` too many arguments.
 *
 * Not here: missing objects (migrations not run, handled above), `53` and
 * `57` (resources, shutdown) and `40` (serialization), which pass.
 */
export function isUnrecoverableSqlState(code: string): boolean {
  return code.startsWith('21') || code.startsWith('22') || code.startsWith('23') || code.startsWith('54');
}

/** What an operator reads beside the database's own message in a dead letter. */
const UNRECOVERABLE_HINTS: Readonly<Record<string, string>> = {
  '54000':
    ': a value is larger than Postgres can index (at most 2,704 bytes per btree index row); it can never be stored, so it is not retried',
  '54001': ': a value is nested too deeply for Postgres to parse; it can never be stored, so it is not retried',
  '22P05': ': the value holds a character Postgres cannot store (\\u0000 in jsonb or text); it is not retried',
  '22021': ': the value holds a byte sequence Postgres cannot store (a NUL byte or invalid UTF-8); it is not retried',
};

/** A missing optional peer dependency, named so the user knows what to install. */
export function missingPeer(name: string, purpose: string, cause: unknown): ConfigurationError {
  return new ConfigurationError({
    packageName: PACKAGE_NAME,
    message: `${purpose} needs the "${name}" package, which is not installed: run \`npm install ${name}\` (or pnpm add / yarn add)`,
    cause,
  });
}

export function isModuleNotFound(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return (
    (code === 'ERR_MODULE_NOT_FOUND' ||
      code === 'MODULE_NOT_FOUND' ||
      /cannot find (?:module|package)/i.test(message)) &&
    message.includes(name)
  );
}
