import { isRetryableConflict, toActError } from '../errors';
import {
  ACT_FUNCTIONS,
  type ActBackend,
  type ActFunctionArgs,
  type ActFunctionName,
  type ArgType,
  quoteIdent,
  type Row,
  type SqlDriver,
} from './driver';

/** Attempts for a call that hit a deadlock or serialization failure (each call is one transaction). */
const CONFLICT_ATTEMPTS = 4;

function encodeArg(type: ArgType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'jsonb':
      return JSON.stringify(value);
    case 'timestamptz':
      return value instanceof Date ? value.toISOString() : value;
    case 'bigint':
      return typeof value === 'bigint' ? value.toString() : value;
    default:
      return value;
  }
}

/**
 * An `ActBackend` over a SQL driver: each call is one statement,
 * `select * from "<schema>".act_x(p_a => $1::type, …) as result`, which
 * Postgres runs as one transaction.
 */
export function createSqlBackend(driver: SqlDriver, schema: string): ActBackend {
  const qualifiedSchema = quoteIdent(schema);
  const statements = new Map<string, string>();

  const statement = (name: ActFunctionName, argNames: readonly string[]): string => {
    const cacheKey = `${name}(${argNames.join(',')})`;
    let text = statements.get(cacheKey);
    if (!text) {
      const types = ACT_FUNCTIONS[name] as Record<string, ArgType>;
      const args = argNames.map((arg, index) => `${arg} => $${index + 1}::${types[arg]}`).join(', ');
      text = `select * from ${qualifiedSchema}.${name}(${args}) as result`;
      statements.set(cacheKey, text);
    }
    return text;
  };

  return {
    kind: driver.kind,
    schema,
    sql: driver,
    async call<F extends ActFunctionName>(name: F, args: ActFunctionArgs<F>): Promise<Row[]> {
      const types = ACT_FUNCTIONS[name] as Record<string, ArgType>;
      const entries = Object.entries(args as Record<string, unknown>).filter(([, value]) => value !== undefined);
      for (const [arg] of entries) {
        if (!(arg in types)) throw new TypeError(`${name} has no argument ${arg}`);
      }
      const text = statement(
        name,
        entries.map(([arg]) => arg),
      );
      const params = entries.map(([arg, value]) => encodeArg(types[arg] as ArgType, value));
      for (let attempt = 1; ; attempt++) {
        try {
          return await driver.query(text, params);
        } catch (error) {
          if (attempt < CONFLICT_ATTEMPTS && isRetryableConflict(error)) {
            await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20 * attempt));
            continue;
          }
          throw toActError(error, name);
        }
      }
    },
    close: () => driver.close(),
  };
}
