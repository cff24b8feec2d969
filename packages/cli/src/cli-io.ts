import type { OutboxStoreV1, SyncStoreV1 } from '@act/core';

/** Where the CLI writes: `process.stdout` / `process.stderr`, or a collector in tests. */
export interface CliStream {
  write(chunk: string): unknown;
  /** A terminal gets a live progress bar; anything else gets plain lines. */
  isTTY?: boolean;
  columns?: number;
}

/** Everything the CLI touches outside itself, so tests run it in-process. */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  /** The environment (`process.env`). */
  env: Readonly<Record<string, string | undefined>>;
  /** `fetch` for outgoing calls (trigger, provider APIs); defaults to the global one. */
  fetch?: typeof globalThis.fetch;
  /** Aborts long commands (the bin wires it to Ctrl-C). */
  signal?: AbortSignal;
  /** The working directory relative paths resolve against; defaults to `process.cwd()`. */
  cwd?: string;
  /**
   * The sync store `act connections` and `act jobs` use instead of the
   * database's (`state.sync`): tests, or an app running the CLI in-process
   * on its own state.
   */
  sync?: SyncStoreV1;
  /** The outbox `act outbox` uses instead of the database's (`state.outbox`): tests, or an app in-process. */
  outbox?: OutboxStoreV1;
}

export const PACKAGE_NAME = '@act/cli';

/** Exit codes, documented in the README. */
export const EXIT = Object.freeze({
  ok: 0,
  /** A command ran and failed: a red source, a non-2xx answer, a database or provider error. */
  failed: 1,
  /** Usage or configuration: a missing variable, an unknown flag, a bad value. */
  usage: 2,
  /** Interrupted (Ctrl-C); a backfill resumes from its saved cursor. */
  interrupted: 130,
});

/** An error the CLI reports as one line and an exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.usage) {
    super(message.startsWith('[') ? message : `[${PACKAGE_NAME}] ${message}`);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A usage or configuration problem (exit code 2). */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT.usage);
}

export function line(stream: CliStream, text = ''): void {
  stream.write(`${text}\n`);
}

/** `1.2 s`, `3 min 4 s`, `2 h 5 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** Left-aligned columns; the header row is underlined. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [render(header), render(widths.map((width) => '-'.repeat(width))), ...rows.map(render)].join('\n');
}
