import { ConfigurationError } from '../errors';

/**
 * Refuses a replay with no filter (it would put every dead row back at
 * once): `ids` (non-empty) or one of `filters` must be set. Shared by the
 * inbox and outbox stores, memory and SQL, so they refuse alike.
 *
 * @throws ConfigurationError `<what> needs at least one filter: ids, … or …`
 */
export function requireReplayFilter<TSelector extends { ids?: readonly string[] | undefined }>(
  selector: TSelector,
  filters: readonly (keyof TSelector & string)[],
  what: string,
  packageName: string,
): void {
  if (selector.ids !== undefined && selector.ids.length > 0) return;
  if (filters.some((name) => selector[name] !== undefined)) return;
  const names = ['ids', ...filters];
  throw new ConfigurationError({
    packageName,
    message: `${what} needs at least one filter: ${names.slice(0, -1).join(', ')} or ${names.at(-1)}`,
  });
}
