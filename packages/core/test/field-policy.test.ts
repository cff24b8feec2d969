import { describe, expect, it } from 'vitest';
import { applyFieldPolicies, mergeFieldPolicies, stripBlockedFields } from '../src/pipeline/field-policy';
import type { SinkOperationV1 } from '../src/spec/v1';

describe('field policies', () => {
  const upsert: SinkOperationV1 = {
    kind: 'upsert',
    table: 'contacts',
    key: { tenant_id: 'loc', id: 'c1' },
    values: { name: 'Aroha', iwi: 'restricted', pipeline_stage: 'won' },
    version: 1,
  };

  it('drops blocked columns and marks preserved ones', () => {
    const [result] = applyFieldPolicies([upsert], { contacts: { blocked: ['iwi'], preserved: ['pipeline_stage'] } });
    expect(result).toEqual({
      ...upsert,
      values: { name: 'Aroha', pipeline_stage: 'won' },
      preserve: ['pipeline_stage'],
    });
  });

  it('leaves other tables and deletes alone', () => {
    const remove: SinkOperationV1 = { kind: 'delete', table: 'contacts', key: { tenant_id: 'loc', id: 'c1' } };
    const other = { ...upsert, table: 'notes' };
    expect(applyFieldPolicies([remove, other], { contacts: { blocked: ['iwi'] } })).toEqual([remove, other]);
  });

  it('refuses a policy that blocks a key column, naming the package', () => {
    expect(() => applyFieldPolicies([upsert], { contacts: { blocked: ['id'] } }, '@act/connector-ghl')).toThrow(
      '[@act/connector-ghl] field policy for table "contacts" blocks key column "id"',
    );
  });

  it('merges connector defaults with user policies as unions', () => {
    expect(
      mergeFieldPolicies(
        { contacts: { blocked: ['a'], preserved: ['p'] } },
        { contacts: { blocked: ['b', 'a'] }, deals: { preserved: ['q'] } },
        undefined,
      ),
    ).toEqual({ contacts: { blocked: ['a', 'b'], preserved: ['p'] }, deals: { blocked: [], preserved: ['q'] } });
  });

  it('strips blocked fields from outgoing records (write-back)', () => {
    expect(stripBlockedFields({ name: 'x', iwi: 'y' }, { blocked: ['iwi'] })).toEqual({ name: 'x' });
    expect(stripBlockedFields({ name: 'x' }, undefined)).toEqual({ name: 'x' });
  });
});
