// A poller's cursor as JSON checked by a zod schema: the state store keeps an
// opaque string, and a saved cursor that does not parse (another version's,
// or hand-edited) must stop the poll loudly rather than restart a backfill
// or skip records silently.
import { ConfigurationError } from '@act/core';
import type { z } from 'zod';

export interface JsonCursor<T> {
  /** Where a stream with no saved cursor starts. */
  readonly start: T;
  /** The saved cursor as a position: `start` for `null`; throws `invalid(saved)` when it does not parse. */
  read(saved: string | null): T;
  /** The position as the string to save. */
  write(position: T): string;
}

export type JsonCursorOptions<T> = { start: T } & (
  | {
      /** The error for a saved cursor that is not JSON of the schema (say how to recover). */
      invalid(saved: string): Error;
    }
  | {
      /**
       * Or the standard ConfigurationError: `[<packageName>] saved cursor for
       * stream "<stream>" is not a <kind> cursor: <saved> (<recover>)`.
       */
      packageName: string;
      stream: string;
      /** `GHL contacts`, `Xero`. */
      kind: string;
      /** Default `delete it to backfill again`. */
      recover?: string;
    }
);

/** `jsonCursor(schema, { start, packageName, stream, kind })`: read and write a poller's cursor. */
export function jsonCursor<S extends z.ZodType>(
  schema: S,
  options: JsonCursorOptions<z.output<S>>,
): JsonCursor<z.output<S>> {
  const invalid =
    'invalid' in options
      ? options.invalid
      : (saved: string) =>
          new ConfigurationError({
            packageName: options.packageName,
            message: `saved cursor for stream "${options.stream}" is not a ${options.kind} cursor: ${saved.slice(0, 100)} (${options.recover ?? 'delete it to backfill again'})`,
          });
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
      if (!parsed.success) throw invalid(saved);
      return parsed.data;
    },
    write: (position: z.output<S>) => JSON.stringify(position),
  });
}
