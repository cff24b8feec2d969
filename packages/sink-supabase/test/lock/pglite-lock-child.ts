// A separate Node process on a PGlite data directory, for test/pglite-lock.test.ts
// (bundled from source with tsup, as test/crash.test.ts does):
//
//   node pglite-lock-child.mjs hold <dataDir>   migrate, store one delivery, print {"ready":true,"id":…};
//                                               then per stdin line: "read" → {"read": <getDelivery(id)>}, "close" → exit
//   node pglite-lock-child.mjs open <dataDir> <id>   replay the delivery (as `act replay --id` does), print the outcome
import { createInterface } from 'node:readline';
import { makeTestDelivery } from '@act/core/testing';
import { createPostgresState } from '../../src';

const [mode, dataDir, id] = process.argv.slice(2) as [string, string, string | undefined];
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const state = createPostgresState({ pglite: { dataDir } });

if (mode === 'hold') {
  await state.migrate();
  const { id: stored } = await state.store.enqueue(
    makeTestDelivery({ source: 'test', tenant: 't1', dedupeKey: 'd-9', body: new TextEncoder().encode('{"n":9}') }),
  );
  print({ ready: true, id: stored });
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'read') {
      const delivery = await state.store.getDelivery(stored);
      print({ read: delivery ? { id: delivery.id, status: delivery.status } : null });
    } else if (line === 'close') {
      await state.close();
      print({ closed: true });
      process.exit(0);
    }
  }
} else {
  const started = Date.now();
  try {
    const replayed = await state.store.replay({ ids: [id as string], statuses: ['dead', 'done'] });
    print({ ok: true, replayed, ms: Date.now() - started });
    await state.close();
    process.exit(0);
  } catch (error) {
    print({ ok: false, error: error instanceof Error ? error.message : String(error), ms: Date.now() - started });
    process.exit(1);
  }
}
