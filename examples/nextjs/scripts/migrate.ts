// Applies the @act tables (inbox, cursors, events, …) and the connectors'
// mirror tables (ghl_contacts, xero_invoices, …). Run it before `next start`,
// e.g. in the deploy step: `node scripts/migrate.ts`. Idempotent, and safe
// when several processes run it at once.

import { createGhlConnector } from '@act/connector-ghl';
import { createXeroConnector } from '@act/connector-xero';
import { migrate } from '@act/sink-supabase';

const databaseUrl = process.env.DATABASE_URL?.trim();
if (!databaseUrl) {
  console.error('DATABASE_URL is not set (a Postgres connection string, e.g. Supabase)');
  process.exit(1);
}
const schema = process.env.ACT_SCHEMA?.trim() || 'public';

// The migrations need only the connectors' ids and SQL: no credentials.
const connectors = [createGhlConnector({}), createXeroConnector({})];
const result = await migrate({ connectionString: databaseUrl }, { schema, connectors });
for (const name of result.applied) console.log(`applied  ${name}`);
console.log(`schema ${schema}: ${result.applied.length} applied, ${result.skipped.length} already applied`);
