import { describe, expect, it } from 'vitest';
import { VERSION } from '../src';

describe('@act/connector-kit', () => {
  it('reports its version (0.0.0-test when run from source)', () => {
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});
