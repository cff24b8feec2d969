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
 * `StoreUnavailableError` (transient, HTTP 503); bad data → `PostgresError`
 * of class `validation`; anything else from the database → `PostgresError`
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
      message: `${operation} failed (SQLSTATE ${code}): ${message}${detail}; have the migrations run? Call migrate() or run \`act-sink-supabase migrate\``,
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
  const dataError = code.startsWith('21') || code.startsWith('22') || code.startsWith('23');
  return new PostgresError({
    message: `${operation} failed (SQLSTATE ${code}): ${message}${detail}`,
    code,
    errorClass: dataError ? 'validation' : 'unknown',
    cause: error,
  });
}

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
