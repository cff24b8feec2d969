// `act trigger <source> <event> --to <url>`: send a correctly signed sample
// delivery (a documented example from the connector's fixtures) to any
// endpoint, like `stripe trigger`, to test your own wiring.
//
// Signing, as the connectors verify it (fact sheet shared/providers/ghl-xero.md):
// - Xero: `x-xero-signature` = base64 HMAC-SHA256 of the raw body, keyed with
//   the webhook key's text (B5; `signXeroBody` from @act/connector-xero).
// - GoHighLevel: `x-ghl-signature` = base64 Ed25519 signature of the raw body
//   (A1.1). GHL signs with its private key, which nobody else has, so the CLI
//   signs with a key you give it (or one it generates) and the receiver must
//   list that key's public half in GHL_WEBHOOK_ED25519_PUBLIC_KEYS. The
//   documented examples carry no `timestamp`/`webhookId`, which real
//   deliveries do (A1.3) and the receiver checks: they are added in front of
//   the documented body, fresh each time, as the connector's tests do.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { signXeroBody } from '@act/connector-xero';
import { type CliIo, EXIT, line, usageError } from '../cli-io';
import { TRIGGER_FIXTURES, type TriggerFixture } from '../trigger-fixtures';
import { VERSION } from '../version';

export const TRIGGER_USAGE = `Usage: act trigger <source> <event> --to <url> [options]
       act trigger --list

Sends a correctly signed sample delivery (a documented example) to <url> and
prints the answer. Exit code 0 when the endpoint answered 2xx (401 with
--bad-signature), 1 otherwise.

  --to <url>                 the webhook endpoint to call
  --list                     list the sources and events
  --print                    print the body and headers instead of sending

Xero:
  --secret <key>             the webhook key (default: XERO_WEBHOOK_KEY, its first key)
  --bad-signature            sign wrongly, as Xero's intent-to-receive check does: expect 401

GoHighLevel (Ed25519, x-ghl-signature):
  --private-key <pem file>   sign with this Ed25519 private key (default: ACT_GHL_SIGNING_KEY,
                             a PEM or a path to one); without one a key pair is generated
  --save-key <file>          write the generated private key here (reuse it with --private-key)
  --bad-signature            sign the body with a different key: expect 401`;

const OPTIONS = {
  to: { type: 'string' },
  list: { type: 'boolean' },
  print: { type: 'boolean' },
  secret: { type: 'string' },
  'private-key': { type: 'string' },
  'save-key': { type: 'string' },
  'bad-signature': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const SOURCES = Object.keys(TRIGGER_FIXTURES) as (keyof typeof TRIGGER_FIXTURES)[];

export async function trigger(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    line(io.stdout, TRIGGER_USAGE);
    return EXIT.ok;
  }
  if (values.list) {
    for (const source of SOURCES) {
      line(io.stdout, `${source}:`);
      for (const fixture of TRIGGER_FIXTURES[source]) line(io.stdout, `  ${fixture.event.padEnd(32)} ${fixture.file}`);
    }
    return EXIT.ok;
  }
  const [sourceId, eventName, ...extra] = positionals;
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"\n\n${TRIGGER_USAGE}`);
  if (!sourceId || !eventName) throw usageError(`trigger needs a source and an event\n\n${TRIGGER_USAGE}`);
  const source = SOURCES.find((candidate) => candidate === sourceId);
  if (!source) throw usageError(`trigger knows no source "${sourceId}" (known: ${SOURCES.join(', ')})`);
  const fixture = TRIGGER_FIXTURES[source].find(
    (candidate) => candidate.event.toLowerCase() === eventName.toLowerCase(),
  );
  if (!fixture) {
    throw usageError(
      `${source} has no sample event "${eventName}" (act trigger --list): ${TRIGGER_FIXTURES[source].map((f) => f.event).join(', ')}`,
    );
  }
  if (!values.to && !values.print) throw usageError('trigger needs --to <url> (or --print)');
  let url: URL | undefined;
  if (values.to) {
    try {
      url = new URL(values.to);
    } catch {
      throw usageError(`--to is not a URL: ${JSON.stringify(values.to)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError('--to must be an http(s) URL');
  }

  const badSignature = values['bad-signature'] === true;
  const signed =
    source === 'xero'
      ? await signXero(fixture, io, values.secret, badSignature)
      : signGhl(fixture, io, { privateKey: values['private-key'], saveKey: values['save-key'], badSignature });

  if (values.print || !url) {
    for (const [name, value] of Object.entries(signed.headers)) line(io.stdout, `${name}: ${value}`);
    line(io.stdout);
    io.stdout.write(signed.body);
    return EXIT.ok;
  }

  line(
    io.stdout,
    `→ POST ${url.href}  ${source} ${fixture.event} (${Buffer.byteLength(signed.body)} bytes, ${signed.describe})`,
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
  for (const hint of signed.hints(response.status)) line(io.stderr, hint);
  const expected = badSignature ? response.status === 401 : response.ok;
  return expected ? EXIT.ok : EXIT.failed;
}

interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
  describe: string;
  hints(status: number): string[];
}

async function signXero(
  fixture: TriggerFixture,
  io: CliIo,
  secret: string | undefined,
  badSignature: boolean,
): Promise<SignedDelivery> {
  const key = secret ?? io.env.XERO_WEBHOOK_KEY?.split(',')[0]?.trim();
  if (!key) {
    throw usageError(
      'XERO_WEBHOOK_KEY is not set (the webhook key your receiver verifies with, from the Xero developer portal; or pass --secret <key>)',
    );
  }
  let signature = await signXeroBody(fixture.body, key);
  // Off by one character, like the deliberately wrong signatures of intent-to-receive (fact sheet B2/B5).
  if (badSignature) signature = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
  return {
    body: fixture.body,
    headers: { 'x-xero-signature': signature },
    describe: badSignature ? 'x-xero-signature deliberately wrong' : 'x-xero-signature with the webhook key',
    hints: (status) => {
      if (badSignature && status !== 401) {
        return ['[@act/cli] a wrongly signed request must get 401, or Xero’s intent-to-receive check fails'];
      }
      if (!badSignature && status === 401) {
        return ['[@act/cli] 401: the receiver’s XERO_WEBHOOK_KEY differs from the key used here (--secret)'];
      }
      return [];
    },
  };
}

function signGhl(
  fixture: TriggerFixture,
  io: CliIo,
  options: { privateKey: string | undefined; saveKey: string | undefined; badSignature: boolean },
): SignedDelivery {
  const cwd = io.cwd ?? process.cwd();
  const given = options.privateKey ?? io.env.ACT_GHL_SIGNING_KEY?.trim();
  let privateKey: KeyObject;
  let generated = false;
  if (given) {
    const pem = given.includes('-----BEGIN') ? given.replaceAll('\\n', '\n') : readKeyFile(resolve(cwd, given));
    try {
      privateKey = createPrivateKey(pem);
    } catch (error) {
      throw usageError(`the GHL signing key is not a PEM private key: ${(error as Error).message}`);
    }
    if (privateKey.asymmetricKeyType !== 'ed25519') {
      throw usageError(`the GHL signing key is ${privateKey.asymmetricKeyType ?? 'not asymmetric'}, not Ed25519`);
    }
  } else {
    privateKey = generateKeyPairSync('ed25519').privateKey;
    generated = true;
    if (options.saveKey) {
      const path = resolve(cwd, options.saveKey);
      writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
      line(
        io.stderr,
        `[@act/cli] saved the generated private key to ${path} (sign with it again: --private-key ${path})`,
      );
    }
  }
  const publicPem = (createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string).trim();
  if (generated) {
    line(io.stderr, '[@act/cli] no GHL signing key given (--private-key or ACT_GHL_SIGNING_KEY): generated one.');
    line(io.stderr, 'Configure its public key on the receiving side (local testing only):');
    line(io.stderr, publicPem);
    line(io.stderr, `  GHL_WEBHOOK_ED25519_PUBLIC_KEYS="${publicPem.replaceAll('\n', '\\n')}"`);
    line(
      io.stderr,
      '  (or settings.webhook.ed25519PublicKeys; it replaces GHL’s published key, GHL_ED25519_PUBLIC_KEY: list both if the receiver also takes real deliveries)',
    );
  }

  // Envelope fields of every real delivery (fact sheet A1.3), in front of the documented body.
  let body = fixture.body;
  const envelope = `"timestamp": ${JSON.stringify(new Date().toISOString())},\n  "webhookId": ${JSON.stringify(randomUUID())}`;
  const open = body.indexOf('{');
  body = `${body.slice(0, open + 1)}\n  ${envelope},${body.slice(open + 1)}`;
  // Two documented examples carry the wrong type (AppointmentUpdate and -Delete say "AppointmentCreate", fact sheet A4 #7).
  if (fixture.event.startsWith('Appointment') && fixture.event !== 'AppointmentCreate') {
    body = body.replace('"type": "AppointmentCreate"', `"type": ${JSON.stringify(fixture.event)}`);
  }

  const signingKey = options.badSignature ? generateKeyPairSync('ed25519').privateKey : privateKey;
  const signature = sign(null, Buffer.from(body, 'utf8'), signingKey).toString('base64');
  return {
    body,
    headers: { 'x-ghl-signature': signature },
    describe: options.badSignature ? 'x-ghl-signature by a different key' : 'x-ghl-signature, Ed25519',
    hints: (status) => {
      if (options.badSignature || status !== 401) return [];
      return [
        '[@act/cli] 401: the receiver does not know this key. Set GHL_WEBHOOK_ED25519_PUBLIC_KEYS to:',
        publicPem,
        generated ? 'then send again with the same key (--save-key now, --private-key next time).' : '',
      ].filter(Boolean);
    },
  };
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw usageError(`cannot read the GHL signing key ${path}: ${(error as Error).message}`);
  }
}
