import { createRandom } from '@act/core/testing/fake';

/**
 * A deterministic pseudo-random generator (mulberry32): the same seed gives
 * the same sequence on every run and runtime, so a failing shuffle, load plan
 * or simulated scenario can be replayed from its seed. Returns numbers in
 * [0, 1), like `Math.random`. Not for anything secret. The one PRNG of the
 * repository: `@act/core/testing/fake`'s `createRandom`, under the kit's name.
 */
export const seededRandom: (seed: number) => () => number = createRandom;

/** Shuffles `items` in place (Fisher–Yates) with `random`, and returns it. */
export function shuffle<T>(items: T[], random: () => number = Math.random): T[] {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [items[index], items[other]] = [items[other] as T, items[index] as T];
  }
  return items;
}
