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

  it('marks preservedIfSet and forwardOnly, and overrides only for the event types that own the column', () => {
    const policies = {
      contacts: {
        preservedIfSet: ['pipeline_stage'],
        overrides: { pipeline_stage: ['lead.unsubscribed', 'email.bounced'] },
        forwardOnly: { pipeline_stage: ['lead', 'contacted', 'unsubscribed'] },
      },
    };
    const [synced] = applyFieldPolicies([upsert], policies, '@act/x', 'lead.updated');
    expect(synced).toEqual({
      ...upsert,
      preserveIfSet: ['pipeline_stage'],
      forwardOnly: { pipeline_stage: ['lead', 'contacted', 'unsubscribed'] },
    });
    const [unsubscribed] = applyFieldPolicies([upsert], policies, '@act/x', 'lead.unsubscribed');
    expect(unsubscribed).toMatchObject({ preserveIfSet: ['pipeline_stage'], overrides: ['pipeline_stage'] });
    // Without the event's type no override is granted.
    expect(applyFieldPolicies([upsert], policies)[0]).not.toHaveProperty('overrides');
  });

  it('merges overrides per column as unions, and a later forwardOnly order replaces an earlier one', () => {
    expect(
      mergeFieldPolicies(
        { t: { preservedIfSet: ['s'], overrides: { s: ['a'] }, forwardOnly: { s: ['x', 'y'] } } },
        { t: { overrides: { s: ['b', 'a'] }, forwardOnly: { s: ['y', 'z'] } } },
      ),
    ).toEqual({
      t: {
        blocked: [],
        preserved: [],
        preservedIfSet: ['s'],
        overrides: { s: ['a', 'b'] },
        forwardOnly: { s: ['y', 'z'] },
      },
    });
  });

  it('refuses rules it cannot enforce, naming the package', () => {
    const refuse = (policy: object, message: string) =>
      expect(() => applyFieldPolicies([upsert], { contacts: policy }, '@act/connector-bison')).toThrow(
        `[@act/connector-bison] field policy for table "contacts" ${message}`,
      );
    refuse({ forwardOnly: { pipeline_stage: [] } }, 'has an empty forwardOnly order for "pipeline_stage"');
    refuse({ forwardOnly: { pipeline_stage: ['a', 'b', 'a'] } }, 'lists "a" twice in the forwardOnly order');
    refuse({ blocked: ['iwi'], overrides: { iwi: ['x'] } }, 'overrides blocked column "iwi"');
  });

  it('strips blocked fields from outgoing records (write-back)', () => {
    expect(stripBlockedFields({ name: 'x', iwi: 'y' }, { blocked: ['iwi'] })).toEqual({ name: 'x' });
    expect(stripBlockedFields({ name: 'x' }, undefined)).toEqual({ name: 'x' });
  });
});
