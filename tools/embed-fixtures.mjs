// Writes each connector's src/generated/fixtures.ts from its documented
// fixtures (packages/connector-*/test/fixtures), byte for byte: the published
// package cannot read test/, so `@act/connector-<id>/testing` (and the
// connector's `source.sampleDeliveries`) carry a copy, re-exported by its
// src/testing/fixtures.ts. Which fixtures are sample webhook deliveries, and
// under which event name, is the connector's own
// src/testing/sample-deliveries.json.
//
// Every connector is found by its folder: adding one needs no edit here.
// tools/conventions.test.ts fails when a copy drifts; rerun
// `node tools/embed-fixtures.mjs` after a fixture changes.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packages = fileURLToPath(new URL('../packages/', import.meta.url));

/** The generated file's text for one connector folder (exported for the conventions test). */
export function fixturesModule(dir) {
  const fixtures = join(dir, 'test', 'fixtures');
  const files = readdirSync(fixtures)
    .filter((file) => file.endsWith('.json'))
    .sort();
  const samples = JSON.parse(readFileSync(join(dir, 'src', 'testing', 'sample-deliveries.json'), 'utf8'));
  let out = `// THIS FILE IS GENERATED - DO NOT EDIT. Written by tools/embed-fixtures.mjs from
// test/fixtures (documented provider examples, verbatim; sources in test/fixtures/README.md)
// and src/testing/sample-deliveries.json. The conventions test fails when it drifts.
import type { SampleDeliveryV1 } from '@act/core';

/** Every documented fixture, by file name, byte for byte. */
export const FIXTURES: Readonly<Record<string, string>> = {
`;
  for (const file of files) {
    out += `  ${JSON.stringify(file)}: ${JSON.stringify(readFileSync(join(fixtures, file), 'utf8'))},\n`;
  }
  out += `};

/** The documented webhook deliveries, by the event name tools take. */
export const SAMPLE_DELIVERIES: readonly SampleDeliveryV1[] = [
`;
  for (const { event, file, headers } of samples) {
    if (!files.includes(file)) throw new Error(`${dir}: sample ${event} names a missing fixture ${file}`);
    const extra = headers ? `, headers: ${JSON.stringify(headers)}` : '';
    out += `  { event: ${JSON.stringify(event)}, file: ${JSON.stringify(file)}${extra}, body: FIXTURES[${JSON.stringify(file)}] as string },\n`;
  }
  out += '];\n';
  return out;
}

/** Connector folders with documented fixtures and a sample list. */
export function connectorDirs() {
  return readdirSync(packages)
    .filter((name) => name.startsWith('connector-'))
    .map((name) => join(packages, name))
    .filter((dir) => existsSync(join(dir, 'src', 'testing', 'sample-deliveries.json')));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const dir of connectorDirs()) {
    const file = join(dir, 'src', 'generated', 'fixtures.ts');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, fixturesModule(dir));
    console.log(`wrote ${file}`);
  }
}
