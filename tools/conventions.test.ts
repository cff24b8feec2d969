// Repository conventions, checked as a plain vitest test (our small "konsistent").
// The rules come from STYLE-ANCHORS §6.2/§6.7 and DESIGN.md's one-way dependency rule:
// connectors and sinks depend on @act/core, never on each other.
//
// Every assertion message starts with the package it is about, so a failure reads
// "@act/connector-ghl: missing files" rather than "expected [] to equal [...]".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = join(repoRoot, 'packages');

interface PackageJson {
  name?: string;
  private?: boolean;
  type?: string;
  sideEffects?: boolean | string[];
  exports?: Record<string, unknown> | string;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

interface WorkspacePackage {
  dir: string; // absolute
  folder: string; // e.g. "connector-ghl"
  label: string; // package name, or the folder when package.json is unreadable
  json: PackageJson;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function listPackages(): WorkspacePackage[] {
  if (!existsSync(packagesDir)) return [];
  return readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(packagesDir, entry.name, 'package.json')))
    .map((entry) => {
      const dir = join(packagesDir, entry.name);
      const json = readJson<PackageJson>(join(dir, 'package.json'));
      return { dir, folder: entry.name, label: json.name ?? `packages/${entry.name}`, json };
    })
    .sort((a, b) => a.folder.localeCompare(b.folder));
}

/** All files under `dir` (recursively), as paths relative to `dir` with forward slashes. */
function listFiles(dir: string, skip: (name: string) => boolean = () => false): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (skip(entry.name)) continue;
      const full = join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

const sourceExtension = /\.(?:[cm]?[jt]sx?)$/;

/** `ghl` → `Ghl`, `google-calendar` → `GoogleCalendar`. */
function pascalCase(id: string): string {
  return id
    .split(/[-_]/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Removes // and /* comments while keeping string, template and regex literals intact, so that
 * the regexes below never match commented-out code or prose. A small hand scanner, not a parser:
 * good enough for our own source files.
 */
function stripComments(source: string): string {
  let out = '';
  let i = 0;
  let lastSignificant = '';
  while (i < source.length) {
    const ch = source[i] as string;
    const next = source[i + 1];
    if (ch === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (ch === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      // keep line breaks so positions in error messages stay roughly right
      out += source.slice(i, stop).replace(/[^\n]/g, '');
      i = stop;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      let j = i + 1;
      while (j < source.length && source[j] !== ch) {
        if (source[j] === '\\') j++;
        j++;
      }
      out += source.slice(i, j + 1);
      i = j + 1;
      lastSignificant = ch;
      continue;
    }
    if (ch === '/' && (lastSignificant === '' || '(,=:[!&|?{};+-*%<>~^'.includes(lastSignificant))) {
      // a regex literal
      let j = i + 1;
      let inClass = false;
      while (j < source.length && source[j] !== '\n') {
        const c = source[j];
        if (c === '\\') j++;
        else if (c === '[') inClass = true;
        else if (c === ']') inClass = false;
        else if (c === '/' && !inClass) break;
        j++;
      }
      out += source.slice(i, j + 1);
      i = j + 1;
      lastSignificant = '/';
      continue;
    }
    out += ch;
    if (!/\s/.test(ch)) lastSignificant = ch;
    i++;
  }
  return out;
}

/** Module specifiers of static imports, re-exports, side-effect imports, dynamic imports and require(). */
function importSpecifiers(source: string): string[] {
  const code = stripComments(source);
  const patterns = [
    /\bfrom\s*(['"])([^'"\n]+)\1/g,
    /\bimport\s*(['"])([^'"\n]+)\1/g,
    /\bimport\s*\(\s*(['"`])([^'"`\n]+)\1\s*\)/g,
    /\brequire\s*\(\s*(['"`])([^'"`\n]+)\1\s*\)/g,
  ];
  const found = new Set<string>();
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) found.add(match[2] as string);
  }
  return [...found];
}

interface Exported {
  values: Set<string>;
  types: Set<string>;
  star: string[];
}

/** The names a module exports, read by regex from its source text. */
function exportedNames(source: string): Exported {
  const code = stripComments(source);
  const values = new Set<string>();
  const types = new Set<string>();
  const star = [...code.matchAll(/\bexport\s+(?:type\s+)?\*[^;\n]*/g)].map((m) => m[0].trim());

  for (const match of code.matchAll(/\bexport\s+(type\s+)?\{([^}]*)\}/g)) {
    const wholeBlockIsType = Boolean(match[1]);
    for (const raw of (match[2] as string).split(',')) {
      const item = raw.trim();
      if (!item) continue;
      const isType = wholeBlockIsType || /^type\s/.test(item);
      const name = item
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop()
        ?.trim();
      if (!name) continue;
      (isType ? types : values).add(name);
    }
  }
  const declaration =
    /\bexport\s+(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(async\s+function\*?|function\*?|const|let|var|class|enum|const\s+enum|type|interface)\s+([A-Za-z_$][\w$]*)/g;
  for (const match of code.matchAll(declaration)) {
    const keyword = (match[1] as string).replace(/\s+/g, ' ');
    const name = match[2] as string;
    if (keyword === 'type' || keyword === 'interface') types.add(name);
    else {
      values.add(name);
      if (keyword === 'class' || keyword.endsWith('enum')) types.add(name);
    }
  }
  return { values, types, star };
}

/** Is `name` mentioned in `text` as a whole file name (not as part of a longer one)? */
function mentions(text: string, name: string): boolean {
  return new RegExp(`(?<![\\w.-])${escapeRegExp(name)}(?![\\w-]|\\.\\w)`).test(text);
}

const packages = listPackages();
// The kit is what connectors are built from, not a connector.
const connectors = packages.filter((pkg) => pkg.folder.startsWith('connector-') && pkg.folder !== 'connector-kit');

describe('workspace packages', () => {
  it('packages/ holds at least @act/core', () => {
    expect(
      packages.map((pkg) => pkg.label),
      'packages/: no package found',
    ).toContain('@act/core');
  });

  for (const pkg of packages) {
    describe(pkg.label, () => {
      // Private packages (the template, tools) are never published; only public ones are held to this.
      if (pkg.json.private !== true)
        it('is a public @act/* package with a README.md', () => {
          expect(pkg.json.name ?? '', `packages/${pkg.folder}: package name must start with "@act/"`).toMatch(
            /^@act\//,
          );
          expect(existsSync(join(pkg.dir, 'README.md')), `${pkg.label}: missing README.md`).toBe(true);
        });

      it('is referenced from the root tsconfig.json (so `pnpm typecheck` covers it)', () => {
        const root = readJson<{ references?: { path: string }[] }>(join(repoRoot, 'tsconfig.json'));
        const referenced = (root.references ?? []).map((ref) => resolve(repoRoot, ref.path));
        expect(
          referenced,
          `${pkg.label}: add { "path": "packages/${pkg.folder}" } to the root tsconfig.json references`,
        ).toContain(pkg.dir);
      });
    });
  }
});

describe('@act/core', () => {
  const coreSrc = join(packagesDir, 'core', 'src');
  const nodeBuiltins = new Set(builtinModules);

  it('keeps Node built-ins out of its runtime-neutral entry (only src/node/ and src/testing/ may use them)', () => {
    const offenders: string[] = [];
    for (const file of listFiles(coreSrc)) {
      if (!sourceExtension.test(file)) continue;
      if (file.startsWith('node/') || file.startsWith('testing/')) continue;
      for (const specifier of importSpecifiers(readFileSync(join(coreSrc, file), 'utf8'))) {
        if (specifier.startsWith('node:') || nodeBuiltins.has(specifier)) {
          offenders.push(`src/${file} imports '${specifier}'`);
        }
      }
    }
    expect(offenders, '@act/core: Node built-in imports outside src/node/ and src/testing/').toEqual([]);
  });
});

describe('connector packages', () => {
  it('at least one packages/connector-* exists (packages/connector-template at minimum)', () => {
    expect(
      connectors.map((pkg) => pkg.folder),
      'packages/: no connector-* package found',
    ).not.toEqual([]);
  });

  for (const pkg of connectors) {
    const id = pkg.folder.slice('connector-'.length);
    const Id = pascalCase(id);
    const name = `@act/connector-${id}`;

    describe(name, () => {
      it('has the required files', () => {
        const required = [
          'README.md',
          'CHANGELOG.md',
          'package.json',
          'tsup.config.ts',
          'tsconfig.json',
          'vitest.config.ts',
          'src/index.ts',
          `src/${id}-connector.ts`,
          `src/${id}-settings.ts`,
          `src/${id}-webhook.ts`,
          `src/${id}-signature.ts`,
          `src/${id}-events.ts`,
          `src/${id}-transform.ts`,
          'src/version.ts',
          'test/fixtures/README.md',
        ];
        const missing = required.filter((file) => !existsSync(join(pkg.dir, file)));
        expect(missing, `${name}: missing files`).toEqual([]);
      });

      it('lists every fixture in test/fixtures/README.md', () => {
        const fixturesDir = join(pkg.dir, 'test', 'fixtures');
        const readmePath = join(fixturesDir, 'README.md');
        expect(existsSync(readmePath), `${name}: missing test/fixtures/README.md`).toBe(true);
        const readme = readFileSync(readmePath, 'utf8');
        const unlisted = listFiles(fixturesDir, (entry) => entry.startsWith('.'))
          .filter((file) => file !== 'README.md')
          .filter((file) => !mentions(readme, file));
        expect(unlisted, `${name}: fixtures not listed (with their source) in test/fixtures/README.md`).toEqual([]);
      });

      it(`exports create${Id}Connector, VERSION and the types ${Id}Connector, ${Id}ConnectorSettings from src/index.ts`, () => {
        const indexPath = join(pkg.dir, 'src', 'index.ts');
        expect(existsSync(indexPath), `${name}: missing src/index.ts`).toBe(true);
        const exported = exportedNames(readFileSync(indexPath, 'utf8'));
        expect(exported.star, `${name}: src/index.ts must use named exports only (no \`export *\`)`).toEqual([]);
        const missingValues = [`create${Id}Connector`, 'VERSION'].filter((value) => !exported.values.has(value));
        expect(missingValues, `${name}: src/index.ts does not export the value(s)`).toEqual([]);
        const missingTypes = [`${Id}Connector`, `${Id}ConnectorSettings`].filter((type) => !exported.types.has(type));
        expect(missingTypes, `${name}: src/index.ts does not export the type(s)`).toEqual([]);
      });

      it('has a conforming package.json', () => {
        const json = pkg.json;
        const problems: string[] = [];
        if (json.name !== name) problems.push(`name is ${JSON.stringify(json.name)}, expected "${name}"`);
        if (json.type !== 'module') problems.push('"type" must be "module"');
        const root =
          typeof json.exports === 'object' ? (json.exports['.'] as Record<string, unknown> | undefined) : undefined;
        if (!root || typeof root !== 'object') problems.push('"exports" must have a "." entry with conditions');
        else {
          if (typeof root.types !== 'string') problems.push('exports["."] has no "types" condition');
          if (typeof root.default !== 'string') problems.push('exports["."] has no "default" condition');
        }
        if (!/^>=\s*22(?:\.\d+){0,2}$/.test(json.engines?.node ?? '')) {
          problems.push(`engines.node is ${JSON.stringify(json.engines?.node)}, expected ">=22"`);
        }
        if (json.sideEffects !== false) problems.push('"sideEffects" must be false');
        if (json.dependencies?.['@act/core'] !== 'workspace:^') {
          problems.push(
            `dependencies["@act/core"] is ${JSON.stringify(json.dependencies?.['@act/core'])}, expected "workspace:^"`,
          );
        }
        const runtimeDeps = { ...json.dependencies, ...json.peerDependencies, ...json.optionalDependencies };
        for (const dep of Object.keys(runtimeDeps)) {
          if (/^@act\/(?:connector|sink)-/.test(dep) && dep !== '@act/connector-kit') {
            problems.push(`must not depend on ${dep} (connectors depend only on @act/core and @act/connector-kit)`);
          }
        }
        expect(problems, `${name}: package.json problems`).toEqual([]);
      });

      it('imports no other connector and no sink from src/', () => {
        const srcDir = join(pkg.dir, 'src');
        const offenders: string[] = [];
        for (const file of listFiles(srcDir)) {
          if (!sourceExtension.test(file)) continue;
          const filePath = join(srcDir, file);
          for (const specifier of importSpecifiers(readFileSync(filePath, 'utf8'))) {
            if (/^@act\/(?:connector|sink)-/.test(specifier) && !/^@act\/connector-kit(?:\/|$)/.test(specifier)) {
              offenders.push(`src/${file} imports '${specifier}'`);
            } else if (specifier.startsWith('.')) {
              const target = resolve(dirname(filePath), specifier);
              if (target !== pkg.dir && !target.startsWith(pkg.dir + sep)) {
                offenders.push(
                  `src/${file} imports '${specifier}', which leaves the package (${relative(repoRoot, target)})`,
                );
              }
            }
          }
        }
        expect(offenders, `${name}: forbidden imports (connectors depend only on @act/core)`).toEqual([]);
      });
    });
  }
});

/**
 * What is wrong with one source entry (SourceEntryV1) of package `name`:
 * `id` is the one it must have (the package's own for `source`).
 */
function sourceEntryProblems(value: unknown, name: string, id: string): string[] {
  if (typeof value !== 'object' || value === null) return ['not an object'];
  const entry = value as Record<string, unknown>;
  const problems: string[] = [];
  if (entry.specificationVersion !== 'v1') problems.push('specificationVersion is not "v1"');
  if (entry.id !== id) problems.push(`id is ${JSON.stringify(entry.id)}, expected "${id}"`);
  if (entry.packageName !== name) problems.push(`packageName is ${JSON.stringify(entry.packageName)}`);
  if (typeof entry.displayName !== 'string' || entry.displayName === '') problems.push('no displayName');
  for (const fn of ['settingsFromEnv', 'createConnector', 'missingApiCredentials']) {
    if (typeof entry[fn] !== 'function') problems.push(`${fn} is not a function`);
  }
  const samples = entry.sampleDeliveries as { event?: unknown; file?: unknown; body?: unknown }[] | undefined;
  if (!Array.isArray(samples) || samples.length === 0) problems.push('no sampleDeliveries');
  for (const sample of samples ?? []) {
    if (typeof sample.event !== 'string' || typeof sample.file !== 'string' || typeof sample.body !== 'string') {
      problems.push(`sample ${JSON.stringify(sample.event)} lacks event, file or body`);
    }
  }
  const signer = entry.signer as { sign?: unknown; options?: unknown } | undefined;
  if (typeof signer?.sign !== 'function' || typeof signer.options !== 'object') problems.push('no signer');
  if (problems.length === 0) {
    // Without settings: a quiet receiver (migrations, freshness targets) of this source.
    const receiver = (entry.createConnector as () => { source?: unknown; specificationVersion?: unknown })();
    if (receiver.source !== id || receiver.specificationVersion !== 'v1') {
      problems.push('createConnector() is not a v1 connector of this source');
    }
  }
  return problems;
}

// Each connector describes itself (`source`, SourceEntryV1; `sources` for a package holding several) and ships a
// `./testing` subpath (signer, documented fixtures, a fake of its API), so the
// CLI, the demo and the benchmarks iterate connectors instead of naming them.
describe('each connector describes itself', () => {
  const toolDirs = ['packages/cli', 'examples', 'bench'];
  /**
   * Files that still name a connector's internals, by the connector they
   * name. Shrink it; never grow it: a tool that names a connector must be
   * edited for every new one.
   */
  const stillNaming: Record<string, string[]> = {
    // The benchmarks measure named connectors' receive paths and verifiers on purpose.
    'bench/src/backfill-runner.ts': ['template'],
    'bench/src/backfill.ts': ['template'],
    'bench/src/freshness.ts': ['template'],
    // Gmail push → row against the connector's five-minute promise: drives Gmail's own simulation.
    'bench/src/gmail.ts': ['gmail'],
    'bench/src/ingest.ts': ['ghl', 'template'],
    'bench/src/server.ts': ['ghl', 'template'],
    'bench/src/verify.ts': ['ghl', 'template', 'xero'],
    // The chaos harness: its processes build connectors from their source entries; the fuzz targets and the
    // pre-auth server build GHL's processor with options by hand; the API-faults scenario is about Xero's limits
    // and drives the connector's own fake (with faults).
    'bench/chaos/fuzz-targets.ts': ['ghl', 'template', 'xero'],
    'bench/chaos/procs/pre-auth-server.ts': ['ghl'],
    // Signs with the connectors' own signers (./testing), but still chooses them by name.
    'bench/chaos/provider.ts': ['ghl', 'template'],
    'bench/chaos/scenarios/api-faults.ts': ['xero'],
    // The demo's tests (the demo itself runs every installed connector's createSimulation).
    'examples/demo/test/dashboard.browser.test.ts': ['template'],
    'examples/demo/test/demo.test.ts': ['ghl', 'gmail', 'template', 'xero'],
    // Cross-source identity is about two named sources: a Xero contact linked to a GHL contact by email.
    'examples/demo/test/identity.test.ts': ['ghl', 'xero'],
    // Apps: an example shows how an app wires the connectors it uses (never the template).
    'examples/express/src/app.ts': ['ghl', 'xero'],
    'examples/nextjs/lib/act.ts': ['ghl', 'xero'],
    'examples/nextjs/scripts/migrate.ts': ['ghl', 'xero'],
    'examples/supabase-edge/supabase/functions/act-webhooks/index.ts': ['ghl', 'xero'],
  };

  for (const pkg of connectors) {
    const id = pkg.folder.slice('connector-'.length);
    const Id = pascalCase(id);
    const name = `@act/connector-${id}`;

    describe(name, () => {
      it('exports `source` (SourceEntryV1) from its main entry, and `sources` when it holds several', async () => {
        const main = (await import(join(pkg.dir, 'src', 'index.ts'))) as { source?: unknown; sources?: unknown };
        expect(main.source, `${name}: src/index.ts does not export \`source\``).toBeTypeOf('object');
        const problems = sourceEntryProblems(main.source, name, id);
        if (main.sources !== undefined) {
          // A package with several connectors (Gmail and Google Calendar): each is checked as `source` is.
          const sources = main.sources as unknown[];
          if (!Array.isArray(sources) || sources[0] !== main.source)
            problems.push('`sources` must list `source` first');
          const ids = (Array.isArray(sources) ? sources : []).map((entry) => (entry as { id?: unknown })?.id);
          if (new Set(ids).size !== ids.length) problems.push(`\`sources\` repeats an id: ${ids.join(', ')}`);
          for (const entry of (Array.isArray(sources) ? sources : []).slice(1)) {
            const entryId = String((entry as { id?: unknown })?.id);
            problems.push(...sourceEntryProblems(entry, name, entryId).map((problem) => `${entryId}: ${problem}`));
          }
        }
        expect(problems, `${name}: source entry problems`).toEqual([]);
      });

      it('has a ./testing subpath exporting its signer, its fixtures, a fake and its simulation', async () => {
        const problems: string[] = [];
        const exports = typeof pkg.json.exports === 'object' ? pkg.json.exports : {};
        const testing = exports['./testing'] as Record<string, unknown> | undefined;
        if (testing?.['@act/source'] !== './src/testing/index.ts')
          problems.push('exports["./testing"] has no @act/source');
        if (testing?.types !== './dist/testing/index.d.ts' || testing?.default !== './dist/testing/index.js') {
          problems.push('exports["./testing"] must point at dist/testing/index.{js,d.ts}');
        }
        const tsup = readFileSync(join(pkg.dir, 'tsup.config.ts'), 'utf8');
        if (!tsup.includes("'testing/index': 'src/testing/index.ts'"))
          problems.push('tsup.config.ts builds no testing entry');
        const module = (await import(join(pkg.dir, 'src', 'testing', 'index.ts'))) as Record<string, unknown>;
        if (typeof module.FIXTURES !== 'object') problems.push('no FIXTURES');
        if (!Array.isArray(module.SAMPLE_DELIVERIES)) problems.push('no SAMPLE_DELIVERIES');
        const signer = module[`${id.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}Signer`] as
          | { sign?: unknown }
          | undefined;
        if (typeof signer?.sign !== 'function') problems.push(`no ${id}Signer`);
        if (typeof module[`create${Id}Fake`] !== 'function') problems.push(`no create${Id}Fake`);
        // The demo runs every installed connector through it (real or simulated), naming none.
        if (typeof module.createSimulation !== 'function') problems.push('no createSimulation (CreateSimulationV1)');
        // A package with several sources simulates each: `simulations[<id>]` (the main one may be `createSimulation`).
        const { source, sources } = (await import(join(pkg.dir, 'src', 'index.ts'))) as {
          source?: unknown;
          sources?: unknown;
        };
        const simulations = (module.simulations ?? {}) as Record<string, unknown>;
        for (const entry of Array.isArray(sources) ? sources : []) {
          const entryId = (entry as { id?: unknown })?.id;
          if (entry === source || typeof entryId !== 'string') continue;
          if (typeof simulations[entryId] !== 'function')
            problems.push(`no simulations.${entryId} (CreateSimulationV1)`);
        }
        expect(problems, `${name}: ./testing problems`).toEqual([]);
      });

      it('embeds its documented fixtures byte for byte (node tools/embed-fixtures.mjs)', async () => {
        const { FIXTURES, SAMPLE_DELIVERIES } = (await import(join(pkg.dir, 'src', 'testing', 'fixtures.ts'))) as {
          FIXTURES: Record<string, string>;
          SAMPLE_DELIVERIES: { file: string; body: string }[];
        };
        const fixturesDir = join(pkg.dir, 'test', 'fixtures');
        const files = listFiles(fixturesDir).filter((file) => file.endsWith('.json'));
        expect(Object.keys(FIXTURES).sort(), `${name}: embedded fixtures differ from test/fixtures`).toEqual(files);
        const drifted = files.filter((file) => FIXTURES[file] !== readFileSync(join(fixturesDir, file), 'utf8'));
        expect(drifted, `${name}: embedded fixtures drifted (run node tools/embed-fixtures.mjs)`).toEqual([]);
        const wrong = SAMPLE_DELIVERIES.filter((sample) => sample.body !== FIXTURES[sample.file]);
        expect(wrong, `${name}: sample deliveries differ from their fixture`).toEqual([]);
      });
    });
  }

  it('no tool names a connector: packages/cli, examples/ and bench/ (the template is the sample)', () => {
    // A connector's internals: its package (any subpath) and every name its main entry exports but `source`.
    const internals = connectors.map((pkg) => {
      const id = pkg.folder.slice('connector-'.length);
      const exported = exportedNames(readFileSync(join(pkg.dir, 'src', 'index.ts'), 'utf8'));
      const names = [...exported.values, ...exported.types].filter(
        (n) => n !== 'source' && n !== 'sources' && n !== 'VERSION',
      );
      return {
        id,
        pattern: new RegExp(
          `(?:@act/${escapeRegExp(pkg.folder)}\\b|packages/${escapeRegExp(pkg.folder)}/|\\b(?:${names.map(escapeRegExp).join('|')})\\b)`,
        ),
      };
    });
    const found: Record<string, string[]> = {};
    for (const dir of toolDirs) {
      for (const file of listFiles(
        join(repoRoot, dir),
        (entry) => entry === 'node_modules' || entry === 'dist' || entry.startsWith('.'),
      )) {
        if (!sourceExtension.test(file) && !file.endsWith('.mjs')) continue;
        const code = stripComments(readFileSync(join(repoRoot, dir, file), 'utf8'));
        const named = internals.filter((connector) => connector.pattern.test(code)).map((connector) => connector.id);
        if (named.length > 0) found[`${dir}/${file}`] = named;
      }
    }
    // The CLI's shipped code names none (its tests may: they exercise real connectors).
    const cli = Object.keys(found).filter(
      (file) => file.startsWith('packages/cli/') && !file.startsWith('packages/cli/test/'),
    );
    expect(cli, '@act/cli: names a connector (use the discovered source entries)').toEqual([]);
    const template = Object.keys(found).filter(
      (file) => found[file]?.includes('template') && !stillNaming[file]?.includes('template'),
    );
    expect(template, 'tools name the template connector: a new connector would need an edit there').toEqual([]);
    const grown = Object.entries(found)
      .filter(([file]) => !file.startsWith('packages/cli/test/'))
      .filter(([file, ids]) => ids.some((named) => !stillNaming[file]?.includes(named)))
      .map(([file, ids]) => `${file}: ${ids.join(', ')}`);
    expect(grown, 'tools name connectors beyond the known list in this test').toEqual([]);
    const shrunk = Object.entries(stillNaming)
      .filter(([file, ids]) => ids.some((named) => !found[file]?.includes(named)))
      .map(([file, ids]) => `${file}: ${ids.filter((named) => !found[file]?.includes(named)).join(', ')}`);
    expect(shrunk, 'these no longer name a connector: take them off the list in this test').toEqual([]);
  });
});

// Guard against the scanners above silently matching nothing.
describe('convention scanners', () => {
  it('read import specifiers and skip comments', () => {
    const source = [
      "import { a } from '@act/core';",
      'import type { B } from "./b";',
      "export { c } from '../c';",
      "import './side-effect';",
      "const d = await import('@act/sink-supabase');",
      "const e = require('node:fs');",
      "// import { x } from '@act/connector-commented';",
      "/* export * from '@act/connector-block'; */",
      "const url = 'https://example.com/a'; const re = /\\/\\//;",
    ].join('\n');
    expect(importSpecifiers(source).sort()).toEqual(
      ['../c', './b', './side-effect', '@act/core', '@act/sink-supabase', 'node:fs'].sort(),
    );
  });

  it('read named exports and flag export *', () => {
    const exported = exportedNames(
      [
        "export { createGhlConnector, type GhlConnector } from './ghl-connector';",
        "export type { GhlConnectorSettings as GhlConnectorSettings } from './ghl-settings';",
        "export { VERSION } from './version';",
        'export const other = 1;',
        'export interface Extra {}',
        "// export * from './commented';",
      ].join('\n'),
    );
    expect([...exported.values].sort()).toEqual(['VERSION', 'createGhlConnector', 'other']);
    expect([...exported.types].sort()).toEqual(['Extra', 'GhlConnector', 'GhlConnectorSettings']);
    expect(exported.star).toEqual([]);
    expect(exportedNames("export * from './all';").star).toEqual(["export * from './all'"]);
    expect(exportedNames("export type * as T from './t';").star).toHaveLength(1);
  });

  it('match fixture names as whole words', () => {
    expect(mentions('- `contact-create.1.json` — https://example.com', 'contact-create.1.json')).toBe(true);
    expect(mentions('- contact-create.1.json.', 'contact-create.1.json')).toBe(true);
    expect(mentions('- contact-create.10.json', 'contact-create.1.json')).toBe(false);
    expect(pascalCase('google-calendar')).toBe('GoogleCalendar');
  });
});
