// A poller's cursor as JSON checked by a zod schema: the state store keeps an
// opaque string, and a saved cursor that does not parse (another version's,
// or hand-edited) must stop the poll loudly rather than restart a backfill
// or skip records silently.
import type { z } from 'zod';

export interface JsonCursor<T> {
  /** Where a stream with no saved cursor starts. */
  readonly start: T;
  /** The saved cursor as a position: `start` for `null`; throws `invalid(saved)` when it does not parse. */
  read(saved: string | null): T;
  /** The position as the string to save. */
  write(position: T): string;
}

export interface JsonCursorOptions<T> {
  start: T;
  /** The error for a saved cursor that is not JSON of the schema (say how to recover: delete it to backfill). */
  invalid(saved: string): Error;
}

/** `jsonCursor(schema, { start, invalid })`: read and write a poller's cursor. */
export function jsonCursor<S extends z.ZodType>(
  schema: S,
  options: JsonCursorOptions<z.output<S>>,
): JsonCursor<z.output<S>> {
  return Object.freeze({
    start: options.start,
    read(saved: string | null): z.output<S> {
      if (saved === null) return options.start;
      let json: unknown;
      try {
        json = JSON.parse(saved);
      } catch {
        json = undefined;
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw options.invalid(saved);
      return parsed.data;
    },
    write: (position: z.output<S>) => JSON.stringify(position),
  });
}
