import { PACKAGE_NAME } from './errors';
import type { BackendProvider } from './postgres-state-store';
import type { Row } from './sql/driver';

/** How two records were matched: a normalised email, an E.164 phone, or a provider id (`<namespace>:<id>`). */
export type IdentityKind = 'email' | 'phone' | 'id';

/** A record of a mirror table registered with `act_identity_register` (migration 0013_act_identity). */
export interface IdentityRecordRef {
  source: string;
  tenant: string;
  /** The record's id in its source (the mirror row's id column). */
  recordId: string;
}

export interface IdentityMatchRequest extends IdentityRecordRef {
  /** The record's entity, when its source registers several (`contact`). */
  entity?: string | undefined;
}

/** A record of another source linked to the one asked about. */
export interface IdentityMatch extends IdentityRecordRef {
  entity: string;
  /** The rules that matched (`['email']`, `['email', 'phone']`). */
  rules: IdentityKind[];
  /** The shared values, by rule. */
  values: { kind: IdentityKind; value: string }[];
  /**
   * More than one record of this source and entity is linked to the one
   * asked about (its email to one, its phone to another): a conflict to
   * resolve, never a match to pick from.
   */
  ambiguous: boolean;
}

/** A value held by more than one record of one source and entity in a tenant group: it links nothing. */
export interface IdentityConflict {
  tenantGroup: string;
  source: string;
  entity: string;
  kind: IdentityKind;
  value: string;
  records: { tenant: string; recordId: string }[];
}

export interface IdentityConflictsRequest {
  /** Only conflicts of this source. */
  source?: string | undefined;
  /** Only conflicts involving a record of this tenant. */
  tenant?: string | undefined;
  /** At most this many (default 1000). */
  limit?: number | undefined;
}

/**
 * The identity map of migration 0013_act_identity: records of different
 * sources (a Xero contact, a GHL contact) linked by normalised email, E.164
 * phone or provider id, filled by triggers in the transaction that writes the
 * mirror rows. Read-only here: links follow the mirror.
 */
export interface PostgresIdentities {
  /** The records of other sources linked to one record, with the rules that matched. */
  matches(request: IdentityMatchRequest): Promise<IdentityMatch[]>;
  /** Values held by several records of one source: reported, never linked. */
  conflicts(request?: IdentityConflictsRequest): Promise<IdentityConflict[]>;
  /**
   * Put a source's tenant in a tenant group (`null`: back to `'default'`).
   * Records are matched only within a group: give each team of a
   * multi-team deployment a group of its own.
   */
  setTenantGroup(request: { source: string; tenant: string; group: string | null }): Promise<void>;
}

/** jsonb as parsed by the driver, or text to parse. */
function parsed<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** A Postgres text[] as the drivers return it (an array), or its literal (`{a,b}`) where a driver leaves it as text. */
function textArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string' && value.startsWith('{') && value.endsWith('}')) {
    const inner = value.slice(1, -1);
    return inner === '' ? [] : inner.split(',').map((item) => item.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1'));
  }
  return [];
}

function toMatch(row: Row): IdentityMatch {
  return {
    source: row.source as string,
    tenant: row.tenant as string,
    entity: row.entity as string,
    recordId: row.record_id as string,
    rules: textArray(row.rules) as IdentityKind[],
    values: textArray(row.values).map((item) => {
      const at = item.indexOf(':');
      return { kind: item.slice(0, at) as IdentityKind, value: item.slice(at + 1) };
    }),
    ambiguous: row.ambiguous === true,
  };
}

function toConflict(row: Row): IdentityConflict {
  return {
    tenantGroup: row.tenant_group as string,
    source: row.source as string,
    entity: row.entity as string,
    kind: row.kind as IdentityKind,
    value: row.value as string,
    records: parsed<{ tenant: string; record_id: string }[]>(row.records).map((record) => ({
      tenant: record.tenant,
      recordId: record.record_id,
    })),
  };
}

export function createPostgresIdentities(backend: BackendProvider): PostgresIdentities {
  return {
    async matches(request) {
      for (const field of ['source', 'tenant', 'recordId'] as const) {
        if (typeof request[field] !== 'string' || request[field] === '') {
          throw new TypeError(`[${PACKAGE_NAME}] identities.matches needs a non-empty ${field}`);
        }
      }
      const rows = await (await backend()).call('act_identity_matches', {
        p_source: request.source,
        p_record_id: request.recordId,
        p_tenant: request.tenant,
        p_entity: request.entity ?? null,
      });
      return rows.map(toMatch);
    },
    async conflicts(request = {}) {
      const rows = await (await backend()).call('act_identity_list_conflicts', {
        p_source: request.source ?? null,
        p_tenant: request.tenant ?? null,
        p_limit: request.limit ?? 1000,
      });
      return rows.map(toConflict);
    },
    async setTenantGroup(request) {
      await (await backend()).call('act_identity_set_tenant_group', {
        p_source: request.source,
        p_tenant: request.tenant,
        p_group: request.group,
      });
    },
  };
}
