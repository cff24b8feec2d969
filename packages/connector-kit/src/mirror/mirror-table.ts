// A mirror table declared once: the transformer's operations, the
// reconciler's table/keys/scope and the columns its migration must create
// all come from the same definition, so they cannot drift apart.
import {
  type FieldPoliciesV1,
  type FieldPolicyV1,
  mergeFieldPolicies,
  type ReconcileListRequestV1,
  type ReconcilerV1,
  type SinkOperationV1,
  type SinkRowKeyV1,
  type SourceEventV1,
  TransformError,
  type TransformerV1,
} from '@act/core/internal';
import type { MirrorColumn, MirrorSettings } from './converters';

/** A provider record: the object the columns are read from. */
export type MirrorRecord = Readonly<Record<string, unknown>>;

/** What a derived column's function sees. */
export interface DeriveContext<TEvent extends SourceEventV1> {
  readonly event: TEvent;
  /** Record paths kept out by the field policy (dotted): a derived value must not read them. */
  readonly blocked: ReadonlySet<string>;
  readonly settings: MirrorSettings;
}

/**
 * How syncs write one column (`SinkUpsertV1` has the exact semantics; every
 * sink enforces them in the write itself).
 */
export interface MirrorColumnRule {
  /**
   * `preserve`: written when the row is created, never by a sync afterwards
   * (a locally managed `pipeline_stage`). `preserveIfSet`: filled by syncs
   * only while empty (null). Default: every sync writes it.
   */
  write?: 'preserve' | 'preserveIfSet';
  /**
   * Event types that still write the column although it is preserved: the
   * events that own it (`['lead.unsubscribed', 'email.bounced']` moving a
   * stage to `unsubscribed` / `bounced`). `forwardOnly` still applies.
   */
  overrides?: readonly string[];
  /**
   * The column's values in order (`['lead', 'contacted', 'replied', 'unsubscribed']`):
   * a sync only moves it forward; a value not in the list never replaces one
   * that is.
   */
  forwardOnly?: readonly string[];
}

export interface MirrorTableOptions<TEvent extends SourceEventV1> {
  /** The table name (`ghl_contacts`). */
  table: string;
  /** Key columns in order: the tenant's, then the record id's (`['location_id', 'id']`). */
  keys: readonly [string, string];
  /** The key column holding the tenant (default: the first key). */
  tenantColumn?: string;
  /** Normalises the tenant and record ids in keys and scope (Xero lower-cases GUIDs). */
  id?: (value: string) => string;
  /** Column → where it is read from and how it is converted (see converters.ts). */
  columns: Readonly<Record<string, MirrorColumn>>;
  /**
   * Columns computed from the whole record after the mapped ones (and
   * overriding them): `undefined` writes nothing.
   */
  derived?: Readonly<Record<string, (record: MirrorRecord, context: DeriveContext<TEvent>) => unknown>>;
  /** Columns or record paths never mirrored, whatever the user's policies (the connector's own policy). */
  blocked?: readonly string[];
  /**
   * The `raw` jsonb copy of the record (minus blocked paths): `true` (default),
   * `false` for none, or `omit` naming top-level keys that are not part of
   * the record (a webhook envelope).
   */
  raw?: boolean | { omit(record: MirrorRecord, event: TEvent): readonly string[] };
  /**
   * Column → its write rule (`preserve`, `preserveIfSet`, event `overrides`,
   * `forwardOnly`). They become the table's own field policy, merged with the
   * user's by `mirrorTransformer`, as `blocked` is.
   */
  rules?: Readonly<Record<string, MirrorColumnRule>>;
  /** True for events that delete the row (a tombstone: later upserts never bring it back, unless `restorable`). */
  tombstone?: (event: TEvent) => boolean;
  /**
   * The provider's deleted records can come back (Notion's trash, a cancelled
   * calendar event reinstated): deletes are `restorable` (a stale delete
   * arriving after the record came back is refused), and upserts that say the
   * record exists again carry `restore` (a tombstone lower in the write order
   * is cleared). Which upserts: those `restore` accepts; without `restore`,
   * every upsert (any newer copy of the record says it exists).
   */
  restorable?: boolean;
  /** The events that say the record exists again (`page.undeleted`); needs `restorable`. */
  restore?: (event: TEvent) => boolean;
  /** The operation's version (default `event.version`). */
  version?: (event: TEvent, record: MirrorRecord) => number | undefined;
  /** The record inside an event (default `event.payload`). */
  record?: (event: TEvent) => MirrorRecord;
}

export interface MirrorTable<TEvent extends SourceEventV1 = SourceEventV1> {
  readonly table: string;
  readonly keyColumns: readonly [string, string];
  readonly tenantColumn: string;
  /** Every column the transformer may write, keys first, then mapped, derived and `raw`. */
  readonly columnNames: readonly string[];
  readonly columns: Readonly<Record<string, MirrorColumn>>;
  /** The connector's own blocked fields (`options.blocked`). */
  readonly blocked: readonly string[];
  /** The table's own field policy: `blocked` and the column `rules`, as `mirrorTransformer` merges them. */
  readonly policy: FieldPolicyV1;
  /** Deletes are restorable and restoring upserts carry `restore` (`options.restorable`). */
  readonly restorable: boolean;
  keyOf(event: TEvent): SinkRowKeyV1;
  scope(tenant: string): SinkRowKeyV1;
  /** The record paths a policy keeps out: those it names plus the paths behind each blocked column. */
  blockedPaths(policy: FieldPolicyV1 | undefined): ReadonlySet<string>;
  /** The row values of a record (mapped, derived, raw); only columns whose source is present. */
  values(record: MirrorRecord, context: DeriveContext<TEvent>): Record<string, unknown>;
  /**
   * The operations for one event: a delete (tombstone; `restorable` when the
   * table is) or an upsert of the present columns (`restore` when it says a
   * restorable record exists again).
   */
  operations(
    event: TEvent,
    context?: { fieldPolicies?: FieldPoliciesV1; settings?: MirrorSettings },
  ): SinkOperationV1[];
  /**
   * A copy of the event's payload without the record paths the policy keeps
   * out (`blockedPaths`), in the record wherever it sits in the payload
   * (`record`): what an outbox forward sends (`TransformerV1.redact`).
   */
  redact(event: TEvent, context?: { fieldPolicies?: FieldPoliciesV1 }): unknown;
  /**
   * A reconciler over this table: table, key columns, scope and `keyOf` from
   * the definition. `stream`: the poller stream whose expired cursor this
   * listing repairs (`ReconcilerV1.stream`, see `CursorExpiredError`).
   */
  reconciler<TListed extends TEvent>(
    list: (request: ReconcileListRequestV1) => AsyncIterable<TListed[]>,
    options?: { stream?: string | undefined },
  ): ReconcilerV1<TListed>;
}

/** Declares a mirror table; see `MirrorTableOptions`. */
export function mirrorTable<TEvent extends SourceEventV1 = SourceEventV1>(
  options: MirrorTableOptions<TEvent>,
): MirrorTable<TEvent> {
  const { table, keys, columns } = options;
  const tenantColumn = options.tenantColumn ?? keys[0];
  const idColumn = keys[0] === tenantColumn ? keys[1] : keys[0];
  const normalise = options.id ?? ((value: string) => value);
  const derived = Object.entries(options.derived ?? {});
  const raw = options.raw ?? true;
  const own = new Set(options.blocked ?? []);
  const specs = Object.entries(columns);
  if (options.restore && !options.restorable) {
    throw new Error(`mirrorTable ${table}: restore needs restorable: true`);
  }
  const policy = ownPolicy(table, own, options.rules ?? {}, [
    ...Object.keys(columns),
    ...derived.map(([name]) => name),
  ]);
  const restorable = options.restorable === true;

  const definition: MirrorTable<TEvent> = {
    table,
    keyColumns: keys,
    tenantColumn,
    columns,
    blocked: [...own],
    policy,
    restorable,
    columnNames: Object.freeze([
      ...keys,
      ...new Set([...Object.keys(columns), ...derived.map(([name]) => name)]),
      ...(raw === false ? [] : ['raw']),
    ]),
    keyOf: (event) => ({ [tenantColumn]: normalise(event.tenant), [idColumn]: normalise(event.entityId) }),
    scope: (tenant) => ({ [tenantColumn]: normalise(tenant) }),
    blockedPaths(policy) {
      const blocked = new Set<string>([...own, ...(policy?.blocked ?? [])]);
      for (const [name, spec] of specs) {
        if (blocked.has(name)) for (const path of spec.from) blocked.add(path.join('.'));
      }
      return blocked;
    },
    values(record, context) {
      const values: Record<string, unknown> = {};
      for (const [name, spec] of specs) {
        const path = spec.from.find((candidate) => has(record, candidate));
        if (path === undefined || context.blocked.has(path.join('.'))) continue;
        values[name] = spec.convert(get(record, path), context.settings);
      }
      for (const [name, derive] of derived) {
        const value = derive(record, context);
        if (value !== undefined) values[name] = value;
      }
      if (raw !== false) {
        const copy: Record<string, unknown> = { ...record };
        if (raw !== true) for (const key of raw.omit(record, context.event)) delete copy[key];
        for (const dotted of context.blocked) removePath(copy, dotted.split('.'));
        values.raw = copy;
      }
      return values;
    },
    operations(event, context = {}) {
      const key = definition.keyOf(event);
      if (options.tombstone?.(event)) {
        return [
          {
            kind: 'delete',
            table,
            key,
            ...(event.version !== undefined ? { version: event.version } : {}),
            ...(restorable ? { restorable: true } : {}),
          },
        ];
      }
      const record = options.record ? options.record(event) : (event.payload as MirrorRecord);
      const blocked = definition.blockedPaths(context.fieldPolicies?.[table]);
      const values = definition.values(record, { event, blocked, settings: context.settings ?? {} });
      const version = options.version ? options.version(event, record) : event.version;
      const restore = restorable && (options.restore ? options.restore(event) : true);
      return [
        {
          kind: 'upsert',
          table,
          key,
          values,
          ...(version !== undefined ? { version } : {}),
          ...(restore ? { restore: true } : {}),
        },
      ];
    },
    redact(event, context = {}) {
      const payload = event.payload;
      const blocked = definition.blockedPaths(context.fieldPolicies?.[table]);
      if (blocked.size === 0 || !isObject(payload)) return payload;
      const record = options.record ? options.record(event) : payload;
      const strip = (target: MirrorRecord): Record<string, unknown> => {
        const copy: Record<string, unknown> = { ...target };
        for (const dotted of blocked) removePath(copy, dotted.split('.'));
        return copy;
      };
      if (record === payload) return strip(payload);
      // The record nested in an envelope (`{ appointment: {...} }`): strip it there, and the envelope's own copy too.
      const copy = strip(payload);
      for (const [name, value] of Object.entries(payload)) {
        if (value === record && isObject(value)) copy[name] = strip(value);
      }
      return copy;
    },
    reconciler: (list, reconcilerOptions) => ({
      specificationVersion: 'v1',
      table,
      ...(reconcilerOptions?.stream !== undefined ? { stream: reconcilerOptions.stream } : {}),
      keyColumns: keys,
      scope: definition.scope,
      keyOf: definition.keyOf,
      ...(restorable ? { restorable: true } : {}),
      list,
    }),
  };
  return Object.freeze(definition);
}

export interface MirrorTransformerOptions<TEvent extends SourceEventV1> {
  /** For errors (`[@act/connector-x] …`). */
  packageName: string;
  /** Every table this transformer writes (testConnector checks each against the migrations). */
  tables: readonly MirrorTable<TEvent>[];
  /**
   * The table an event writes: `null` when the event changes nothing,
   * `undefined` for an unknown entity (a TransformError). May throw its own
   * errors (an event that was not fetched).
   */
  route(event: TEvent): MirrorTable<TEvent> | null | undefined;
  /** The user's policies, merged with each table's own `blocked` and `rules`. */
  fieldPolicies?: FieldPoliciesV1 | undefined;
  settings?: MirrorSettings;
}

/** A transformer that also lists its mirror tables (for `testConnector`). */
export interface MirrorTransformer<TEvent extends SourceEventV1> extends TransformerV1<TEvent> {
  readonly mirrorTables: readonly MirrorTable<TEvent>[];
}

/** The transformer over a set of mirror tables: pure, one operation per event. */
export function mirrorTransformer<TEvent extends SourceEventV1>(
  options: MirrorTransformerOptions<TEvent>,
): MirrorTransformer<TEvent> {
  const own: Record<string, FieldPolicyV1> = {};
  for (const definition of options.tables) {
    if (Object.keys(definition.policy).length) own[definition.table] = definition.policy;
  }
  const fieldPolicies = mergeFieldPolicies(own, options.fieldPolicies);
  const settings = options.settings ?? {};
  return {
    specificationVersion: 'v1',
    fieldPolicies,
    mirrorTables: options.tables,
    transform(event, context) {
      const definition = options.route(event);
      if (definition === null) return [];
      if (definition === undefined) {
        throw new TransformError({
          packageName: options.packageName,
          message: `event ${event.type} ${event.entityId} has an unknown entity ${JSON.stringify(event.entity)}`,
        });
      }
      // The effective policies (the runtime merges in the deployment's own) decide what the row and raw may hold.
      return definition.operations(event, { fieldPolicies: context.fieldPolicies ?? fieldPolicies, settings });
    },
    redact(event, context) {
      const effective = context.fieldPolicies ?? fieldPolicies;
      let definition: MirrorTable<TEvent> | null | undefined;
      try {
        definition = options.route(event);
      } catch {
        definition = undefined;
      }
      if (definition) return definition.redact(event, { fieldPolicies: effective });
      // No table to learn the fields from: every table's blocked paths go, so nothing blocked anywhere leaves.
      let payload = event.payload;
      for (const table of options.tables) payload = table.redact({ ...event, payload }, { fieldPolicies: effective });
      return payload;
    },
  };
}

/** The table's own field policy from `blocked` and `rules`; only the parts it has. */
function ownPolicy(
  table: string,
  blocked: ReadonlySet<string>,
  rules: Readonly<Record<string, MirrorColumnRule>>,
  columnNames: readonly string[],
): FieldPolicyV1 {
  const preserved: string[] = [];
  const preservedIfSet: string[] = [];
  const overrides: Record<string, readonly string[]> = {};
  const forwardOnly: Record<string, readonly string[]> = {};
  for (const [column, rule] of Object.entries(rules)) {
    // A rule for a column the table never writes is a typo that would silently protect nothing.
    if (!columnNames.includes(column)) throw new Error(`mirrorTable ${table}: rules name unknown column ${column}`);
    if (rule.write === 'preserve') preserved.push(column);
    if (rule.write === 'preserveIfSet') preservedIfSet.push(column);
    if (rule.overrides?.length) overrides[column] = [...rule.overrides];
    if (rule.forwardOnly) forwardOnly[column] = [...rule.forwardOnly];
  }
  return {
    ...(blocked.size ? { blocked: [...blocked] } : {}),
    ...(preserved.length ? { preserved } : {}),
    ...(preservedIfSet.length ? { preservedIfSet } : {}),
    ...(Object.keys(overrides).length ? { overrides } : {}),
    ...(Object.keys(forwardOnly).length ? { forwardOnly } : {}),
  };
}

function isObject(value: unknown): value is MirrorRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function has(record: MirrorRecord, path: readonly string[]): boolean {
  let current: unknown = record;
  for (const key of path) {
    if (!isObject(current) || !Object.hasOwn(current, key)) return false;
    current = current[key];
  }
  return true;
}

function get(record: MirrorRecord, path: readonly string[]): unknown {
  let current: unknown = record;
  for (const key of path) current = isObject(current) ? current[key] : undefined;
  return current;
}

/** Removes a path, copying nested objects only where something is removed (the record itself is never changed). */
function removePath(target: Record<string, unknown>, path: readonly string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || !Object.hasOwn(target, head)) return;
  if (rest.length === 0) {
    delete target[head];
    return;
  }
  const child = target[head];
  if (!isObject(child)) return;
  const copy = { ...child };
  removePath(copy, rest);
  target[head] = copy;
}
