import { describe, expect, it } from 'vitest';
import type { SinkOperationV1, SourceEventV1, TransformerV1 } from '../spec/v1';

export interface TransformerCase {
  name: string;
  event: SourceEventV1;
  /** Extra assertions, typically an inline snapshot of the operations. */
  check?: (operations: SinkOperationV1[]) => void;
}

export interface TestTransformerOptions {
  transformer: TransformerV1;
  cases: readonly TransformerCase[];
}

/**
 * The behaviour every `TransformerV1` must have: deterministic, well-formed
 * operations that carry the event's version. (Blocked fields are enforced by
 * the runtime after `transform`, whatever the transformer returns.)
 */
export function testTransformer(options: TestTransformerOptions): void {
  const { transformer } = options;
  describe('TransformerV1 contract', () => {
    it('declares specificationVersion v1', () => {
      expect(transformer.specificationVersion).toBe('v1');
      expect(options.cases.length).toBeGreaterThan(0);
    });

    for (const testCase of options.cases) {
      it(`${testCase.name}: deterministic, well-formed, versioned`, async () => {
        const first = await transformer.transform(structuredClone(testCase.event), {});
        const second = await transformer.transform(structuredClone(testCase.event), {});
        expect(second).toEqual(first);
        for (const operation of first) {
          expect(operation.table).toMatch(/^[a-z][a-z0-9_]*$/);
          expect(Object.keys(operation.key).length).toBeGreaterThan(0);
          for (const value of Object.values(operation.key))
            expect(value === '' || value === null || value === undefined).toBe(false);
          if (testCase.event.version !== undefined) expect(operation.version).toBe(testCase.event.version);
          if (operation.kind === 'upsert') expect(() => JSON.stringify(operation.values)).not.toThrow();
        }
        testCase.check?.(first);
      });
    }
  });
}
