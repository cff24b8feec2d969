// Writes src/trigger-fixtures.ts from the connectors' documented webhook
// fixtures (packages/connector-*/test/fixtures), byte for byte. The connectors' fixtures are not
// published (test files), so the CLI carries its own copy.
// test/trigger-fixtures.test.ts fails when the copy drifts; rerun this script
// (then \`pnpm biome check --write packages/cli\`) after a fixture changes.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const packages = join(here, '..', '..');

/** source → [event, fixture file, note?] */
const EVENTS = {
  ghl: [
    ['ContactCreate', 'contact-create.1.json'],
    ['ContactUpdate', 'contact-update.1.json'],
    ['ContactDelete', 'contact-delete.1.json'],
    ['ContactTagUpdate', 'contact-tag-update.1.json'],
    ['ContactDndUpdate', 'contact-dnd-update.1.json'],
    ['OpportunityCreate', 'opportunity-create.1.json'],
    ['OpportunityUpdate', 'opportunity-update.1.json'],
    ['OpportunityDelete', 'opportunity-delete.1.json'],
    ['OpportunityStatusUpdate', 'opportunity-status-update.1.json'],
    ['OpportunityStageUpdate', 'opportunity-stage-update.1.json'],
    ['OpportunityMonetaryValueUpdate', 'opportunity-monetary-value-update.1.json'],
    ['OpportunityAssignedToUpdate', 'opportunity-assigned-to-update.1.json'],
    ['AppointmentCreate', 'appointment-create.1.json'],
    ['AppointmentUpdate', 'appointment-update.1.json'],
    ['AppointmentDelete', 'appointment-delete.1.json'],
    ['TaskCreate', 'task-create.1.json'],
    ['TaskComplete', 'task-complete.1.json'],
    ['TaskDelete', 'task-delete.1.json'],
    ['NoteCreate', 'note-create.1.json'],
    ['NoteUpdate', 'note-update.1.json'],
    ['NoteDelete', 'note-delete.1.json'],
    ['INSTALL', 'app-install.1.json'],
    ['UNINSTALL', 'app-uninstall.1.json'],
    ['InboundMessage', 'inbound-message.1.json'],
    ['InvoiceCreate', 'invoice-create.1.json'],
  ],
  xero: [
    ['intent-to-receive', 'intent-to-receive.1.json'],
    ['CONTACT.UPDATE', 'contact-update.1.json'],
    ['INVOICE.UPDATE', 'invoice-update.1.json'],
    ['CREDITNOTE.CREATE', 'credit-note-create.1.json'],
  ],
};

let out = `// THIS FILE IS GENERATED - DO NOT EDIT. Written by scripts/embed-fixtures.mjs
// from packages/connector-ghl/test/fixtures and packages/connector-xero/test/fixtures
// (documented provider examples, verbatim; sources in those folders' README.md).
// test/trigger-fixtures.test.ts fails when this copy drifts from them.

export interface TriggerFixture {
  /** The event name \`act trigger\` takes. */
  event: string;
  /** The connector's fixture file it was copied from. */
  file: string;
  /** The documented body, byte for byte. */
  body: string;
}

export const TRIGGER_FIXTURES: Readonly<Record<'ghl' | 'xero', readonly TriggerFixture[]>> = {
`;
for (const [source, events] of Object.entries(EVENTS)) {
  out += `  ${source}: [\n`;
  for (const [event, file] of events) {
    const body = readFileSync(join(packages, `connector-${source}`, 'test', 'fixtures', file), 'utf8');
    out += `    { event: ${JSON.stringify(event)}, file: ${JSON.stringify(file)}, body: ${JSON.stringify(body)} },\n`;
  }
  out += '  ],\n';
}
out += '};\n';

writeFileSync(join(here, '..', 'src', 'trigger-fixtures.ts'), out);
