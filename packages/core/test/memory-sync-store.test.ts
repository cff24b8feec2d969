import { describe } from 'vitest';
import { createMemorySyncStore } from '../src/memory/memory-sync-store';
import { testSyncStore } from '../src/testing';

describe('memory sync store', () => {
  testSyncStore({ create: () => createMemorySyncStore() });
});
