#!/usr/bin/env node
// Checks what we publish, not the working tree: every public package under packages/ is packed
// with `pnpm pack` (which rewrites `workspace:^` the way `pnpm publish` does), and the tarball is
// linted with publint (--strict: warnings fail too) and "Are the Types Wrong?" (esm-only profile,
// because the packages ship ESM only). Run `pnpm build` first: the tarballs contain dist/.
//
// Usage: pnpm check:packages [package-name-or-folder ...]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const packagesDir = join(repoRoot, 'packages');
const bin = (name) => join(repoRoot, 'node_modules', '.bin', name);
const only = process.argv.slice(2);

function run(command, args, cwd) {
  console.log(`$ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env: process.env });
  if (result.error) console.error(`[check:packages] could not run ${command}: ${result.error.message}`);
  return result.status === 0;
}

/** Does the package's manifest point at dist/ (exports, main, types or files)? */
function usesDist(json) {
  const fields = JSON.stringify([json.exports, json.main, json.module, json.types, json.files]);
  return /(^|[^\w])(\.\/)?dist(\/|")/.test(fields);
}

const packages = existsSync(packagesDir)
  ? readdirSync(packagesDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(packagesDir, entry.name, 'package.json')))
      .map((entry) => {
        const dir = join(packagesDir, entry.name);
        return { dir, folder: entry.name, json: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) };
      })
      .filter((pkg) => pkg.json.private !== true)
      .filter((pkg) => only.length === 0 || only.includes(pkg.json.name) || only.includes(pkg.folder))
      .sort((a, b) => a.folder.localeCompare(b.folder))
  : [];

if (packages.length === 0) {
  console.error(
    `[check:packages] no public package found under packages/${only.length ? ` matching ${only.join(', ')}` : ''}`,
  );
  process.exit(1);
}

for (const tool of ['publint', 'attw']) {
  if (!existsSync(bin(tool))) {
    console.error(`[check:packages] ${relative(repoRoot, bin(tool))} is missing: run \`pnpm install\` first`);
    process.exit(1);
  }
}

const results = [];
const workDir = mkdtempSync(join(tmpdir(), 'act-check-packages-'));
try {
  for (const pkg of packages) {
    const name = pkg.json.name ?? pkg.folder;
    console.log(`\n━━ ${name} (packages/${pkg.folder}) ━━`);
    const failures = [];

    if (usesDist(pkg.json) && !existsSync(join(pkg.dir, 'dist'))) {
      failures.push('dist/ is missing: run `pnpm build` first');
      console.error(`[check:packages] ${name}: dist/ is missing; run \`pnpm build\` first`);
      results.push({ name, failures });
      continue;
    }

    const destination = mkdtempSync(join(workDir, `${pkg.folder}-`));
    if (!run('pnpm', ['pack', '--pack-destination', destination], pkg.dir)) {
      failures.push('pnpm pack failed');
      results.push({ name, failures });
      continue;
    }
    const tarball = readdirSync(destination).find((file) => file.endsWith('.tgz'));
    if (!tarball) {
      failures.push('pnpm pack wrote no .tgz');
      results.push({ name, failures });
      continue;
    }
    const tarballPath = join(destination, tarball);

    if (!run(bin('publint'), ['run', tarballPath, '--strict'], pkg.dir)) failures.push('publint --strict');
    if (!run(bin('attw'), [tarballPath, '--profile', 'esm-only', '--no-emoji', '--no-color'], pkg.dir)) {
      failures.push('attw --profile esm-only');
    }
    results.push({ name, failures });
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

console.log('\n━━ check:packages summary ━━');
for (const { name, failures } of results) {
  console.log(failures.length === 0 ? `  ok    ${name}` : `  FAIL  ${name}: ${failures.join('; ')}`);
}
const failed = results.filter((result) => result.failures.length > 0).length;
if (failed > 0) {
  console.error(`\n[check:packages] ${failed} of ${results.length} package(s) failed`);
  process.exit(1);
}
console.log(`\n[check:packages] ${results.length} package(s) passed`);
