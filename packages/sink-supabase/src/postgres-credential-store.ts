import { ConfigurationError, type CredentialStoreV1, type RefreshLeaseV1, type StoredCredentialV1 } from '@act/core';
import { PACKAGE_NAME, PostgresError } from './errors';
import { type BackendProvider, toDate } from './postgres-state-store';
import type { ActFunctionArgs, ActFunctionName, Row } from './sql/driver';

/**
 * `CredentialStoreV1` in Postgres (`act_credentials`, 0004_act_credentials): OAuth
 * tokens per connection (`<source>:<tenant>`), and the refresh lease every
 * process shares, so a rotating refresh token is spent exactly once. Each
 * method is one SQL function call (one transaction; one `rpc` on supabase-js).
 *
 * Values are stored as plaintext JSON: protect the table (it is closed to
 * anon and authenticated on Supabase). They never appear in this store's
 * error messages or error causes.
 */
export type PostgresCredentialStore = CredentialStoreV1;

function invalid(message: string): ConfigurationError {
  return new ConfigurationError({ packageName: PACKAGE_NAME, message: `credentials: ${message}` });
}

function checkKey(key: string, where: string): void {
  if (typeof key !== 'string' || key === '') throw invalid(`${where}: the key must be a non-empty string`);
}

function checkOwner(owner: string, where: string): void {
  if (typeof owner !== 'string' || owner === '') throw invalid(`${where}: owner must be a non-empty string`);
}

function checkValue(value: unknown, where: string): void {
  // The value itself is never put in the message: it holds tokens.
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(`${where}: the credential value must be a JSON object`);
  }
}

/**
 * A database error without its cause: a driver's error can carry part of the
 * statement's parameters (Postgres's CONTEXT for a JSON value it could not
 * read), and those are secrets here. The message, SQLSTATE and class stay.
 */
function withoutParameters(error: unknown): unknown {
  if (error instanceof PostgresError && error.cause !== undefined) {
    const prefix = `[${PACKAGE_NAME}] `;
    return new PostgresError({
      message: error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message,
      ...(error.code !== undefined ? { code: error.code } : {}),
      errorClass: error.errorClass,
    });
  }
  return error;
}

function toCredential(row: Row | undefined): StoredCredentialV1 | null {
  if (!row || row.value === null || row.value === undefined) return null;
  return {
    value: row.value as Record<string, unknown>,
    revision: Number(row.revision),
    invalidReason: (row.invalid_reason as string | null | undefined) ?? null,
    updatedAt: toDate(row.updated_at),
  };
}

export function createPostgresCredentialStore(
  backend: BackendProvider,
  options: { now?: () => Date } = {},
): PostgresCredentialStore {
  const now = (): Date | null => options.now?.() ?? null;
  const call = async <F extends ActFunctionName>(name: F, args: ActFunctionArgs<F>): Promise<Row[]> => {
    try {
      return await (await backend()).call(name, args);
    } catch (error) {
      throw withoutParameters(error);
    }
  };

  return {
    specificationVersion: 'v1',

    async get(key) {
      checkKey(key, 'get');
      const [row] = await call('act_credential_get', { p_key: key });
      return toCredential(row);
    },

    async put(key, value) {
      checkKey(key, 'put');
      checkValue(value, 'put');
      const [row] = await call('act_credential_put', { p_key: key, p_value: value, p_now: now() });
      const saved = toCredential(row);
      if (!saved) throw invalid('put: act_credential_put returned no row');
      return saved;
    },

    async acquireRefreshLease(key, request): Promise<RefreshLeaseV1> {
      checkKey(key, 'acquireRefreshLease');
      checkOwner(request.owner, 'acquireRefreshLease');
      if (!(Number.isFinite(request.leaseMs) && request.leaseMs > 0)) {
        throw invalid(`acquireRefreshLease: leaseMs must be a positive number, got ${String(request.leaseMs)}`);
      }
      const [row] = await call('act_credential_acquire_lease', {
        p_key: key,
        p_owner: request.owner,
        p_lease_ms: Math.max(1, Math.round(request.leaseMs)),
        p_now: request.now ?? now(),
      });
      if (row?.acquired === true) return { acquired: true, current: toCredential(row) };
      return { acquired: false, heldUntil: toDate(row?.held_until) };
    },

    async completeRefresh(key, request) {
      checkKey(key, 'completeRefresh');
      checkOwner(request.owner, 'completeRefresh');
      checkValue(request.value, 'completeRefresh');
      const [row] = await call('act_credential_complete_refresh', {
        p_key: key,
        p_owner: request.owner,
        p_value: request.value,
        p_now: now(),
      });
      return toCredential(row);
    },

    async releaseRefreshLease(key, request) {
      checkKey(key, 'releaseRefreshLease');
      checkOwner(request.owner, 'releaseRefreshLease');
      await call('act_credential_release_lease', {
        p_key: key,
        p_owner: request.owner,
        p_invalid_reason: request.invalidReason ? request.invalidReason : null,
        p_now: now(),
      });
    },

    async listInvalid(prefix) {
      if (typeof prefix !== 'string') throw invalid('listInvalid: the prefix must be a string');
      const rows = await call('act_credentials_list_invalid', { p_prefix: prefix });
      return rows.map((row) => ({
        key: String(row.key),
        invalidReason: String(row.invalid_reason),
        updatedAt: toDate(row.updated_at),
      }));
    },
  };
}
