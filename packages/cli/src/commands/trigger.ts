// `act trigger <source> <event> --to <url>`: send a correctly signed sample
// delivery (a documented example from the connector's fixtures) to any
// endpoint, like `stripe trigger`, to test your own wiring. The samples and
// the signing are each connector's own (`source.sampleDeliveries`,
// `source.signer`): the CLI names no provider.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { SignerOptionV1 } from '@act/core';
import { type CliIo, EXIT, line, usageError } from '../cli-io';
import { SOURCES } from '../cli-sources';
import { VERSION } from '../version';

function flag(name: string, option: SignerOptionV1): string {
  const left = `  --${name}${option.type === 'string' ? ' <value>' : ''}`;
  return `${left.padEnd(29)}${option.description}`;
}

export const TRIGGER_USAGE = `Usage: act trigger <source> <event> --to <url> [options]
       act trigger --list

Sends a correctly signed sample delivery (a documented example) to <url> and
prints the answer. Exit code 0 when the endpoint answered 2xx (401 with
--bad-signature), 1 otherwise.

  --to <url>                 the webhook endpoint to call
  --list                     list the sources and events
  --print                    print the body and headers instead of sending
  --bad-signature            sign wrongly, as a provider's own check or an attacker does: expect 401
${SOURCES.map(
  (source) =>
    `\n\n${source.name} (${source.id}):\n${Object.entries(source.entry.signer.options)
      .map(([name, option]) => flag(name, option))
      .join('\n')}`,
).join('')}`;

const OPTIONS = {
  // Every source's signer flags (a flag two sources share is one option).
  ...Object.fromEntries(
    SOURCES.flatMap((source) =>
      Object.entries(source.entry.signer.options).map(([name, option]) => [name, { type: option.type }]),
    ),
  ),
  to: { type: 'string' },
  list: { type: 'boolean' },
  print: { type: 'boolean' },
  'bad-signature': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as Record<string, { type: 'string' | 'boolean'; short?: string }>;

export async function trigger(args: string[], io: CliIo): Promise<number> {
  const parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const positionals = parsed.positionals;
  const to = typeof values.to === 'string' ? values.to : undefined;
  if (values.help) {
    line(io.stdout, TRIGGER_USAGE);
    return EXIT.ok;
  }
  if (values.list) {
    for (const source of SOURCES) {
      line(io.stdout, `${source.id}:`);
      for (const sample of source.entry.sampleDeliveries)
        line(io.stdout, `  ${sample.event.padEnd(32)} ${sample.file}`);
    }
    return EXIT.ok;
  }
  const [sourceId, eventName, ...extra] = positionals;
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"\n\n${TRIGGER_USAGE}`);
  if (!sourceId || !eventName) throw usageError(`trigger needs a source and an event\n\n${TRIGGER_USAGE}`);
  const source = SOURCES.find((candidate) => candidate.id === sourceId);
  if (!source) {
    throw usageError(`trigger knows no source "${sourceId}" (known: ${SOURCES.map((known) => known.id).join(', ')})`);
  }
  const samples = source.entry.sampleDeliveries;
  const fixture = samples.find((candidate) => candidate.event.toLowerCase() === eventName.toLowerCase());
  if (!fixture) {
    throw usageError(
      `${source.id} has no sample event "${eventName}" (act trigger --list): ${samples.map((f) => f.event).join(', ')}`,
    );
  }
  if (!to && !values.print) throw usageError('trigger needs --to <url> (or --print)');
  let url: URL | undefined;
  if (to) {
    try {
      url = new URL(to);
    } catch {
      throw usageError(`--to is not a URL: ${JSON.stringify(to)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError('--to must be an http(s) URL');
  }

  const badSignature = values['bad-signature'] === true;
  const cwd = io.cwd ?? process.cwd();
  const signed = await source.entry.signer.sign(fixture, {
    env: io.env,
    options: values,
    badSignature,
    now: Date.now(),
    notice: (message) => line(io.stderr, message),
    readFile: (path) => readFileSync(resolve(cwd, path), 'utf8'),
    writeFile: (path, content) => {
      const full = resolve(cwd, path);
      writeFileSync(full, content, { mode: 0o600 });
      return full;
    },
    configurationError: usageError,
  });

  if (values.print || !url) {
    for (const [name, value] of Object.entries(signed.headers)) line(io.stdout, `${name}: ${value}`);
    line(io.stdout);
    io.stdout.write(signed.body);
    return EXIT.ok;
  }

  line(
    io.stdout,
    `→ POST ${url.href}  ${source.id} ${fixture.event} (${Buffer.byteLength(signed.body)} bytes, ${signed.describe})`,
  );
  const fetchFn = io.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': `act-cli/${VERSION}`, ...signed.headers },
      body: signed.body,
      ...(io.signal ? { signal: io.signal } : {}),
    });
  } catch (error) {
    const reason =
      error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    line(io.stderr, `[@act/cli] POST ${url.href} failed: ${reason}`);
    return EXIT.failed;
  }
  const text = await response.text();
  line(io.stdout, `← ${response.status} ${response.statusText}`.trimEnd());
  line(io.stdout, text === '' ? '(empty body)' : text.length > 4000 ? `${text.slice(0, 4000)}…` : text);
  for (const [index, hint] of signed.hints(response.status).entries()) {
    line(io.stderr, index === 0 ? `[@act/cli] ${hint}` : hint);
  }
  const expected = badSignature ? response.status === 401 : response.ok;
  return expected ? EXIT.ok : EXIT.failed;
}
