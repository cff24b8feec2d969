import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A private Postgres cluster with pg_cron preloaded, for the one test that
 * needs a real pg_cron: its own data directory under the temp dir, its own
 * port, listening on 127.0.0.1 only, trust auth, never the shared server on
 * 5432. pg_cron must be in shared_preload_libraries (it runs a background
 * worker), which a shared server cannot be asked to change.
 *
 * Debian/Ubuntu layout (`/usr/lib/postgresql/<major>/{bin,lib}`), the
 * package postgresql-<major>-cron (`.ci/run` installs it). `initdb` refuses
 * to run as root: as root the cluster belongs to the `postgres` OS user
 * (`runuser -u postgres --`).
 */

const run = promisify(execFile);

export interface PgCronCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres (pg_cron's cron.database_name). */
  readonly url: string;
  readonly port: number;
  /** Stop the server and delete its data directory. */
  stop(): Promise<void>;
}

interface Binaries {
  bin: string;
}

/** The newest Postgres on this machine that has pg_cron installed, or why there is none. */
export function findPgCron(): Binaries | { missing: string } {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const major of majors) {
    if (existsSync(join(root, major, 'lib', 'pg_cron.so')) && existsSync(join(root, major, 'bin', 'initdb'))) {
      return { bin: join(root, major, 'bin') };
    }
  }
  const tried = majors.length > 0 ? majors.map((major) => join(root, major, 'lib', 'pg_cron.so')).join(', ') : root;
  return {
    missing: `pg_cron is not installed (no ${tried}); install postgresql-<major>-cron, e.g. apt-get install -y postgresql-15-cron`,
  };
}

/**
 * Where `runuser` is: by its full path, since a CI's PATH often lacks the
 * sbin directories (`env -i PATH=/usr/local/bin:/usr/bin:/bin`).
 */
function runuserPath(): string | undefined {
  return ['/usr/sbin/runuser', '/sbin/runuser'].find((path) => existsSync(path));
}

/** Why the cluster cannot be started here, or undefined when it can. */
export function pgCronUnavailable(): string | undefined {
  const found = findPgCron();
  if ('missing' in found) return found.missing;
  if (userInfo().uid === 0) {
    if (!runuserPath()) {
      return 'running as root without runuser: initdb cannot run as root';
    }
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    } catch {
      return 'running as root and there is no postgres OS user to own the cluster (initdb cannot run as root)';
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function startPgCronCluster(): Promise<PgCronCluster> {
  const found = findPgCron();
  if ('missing' in found) throw new Error(found.missing);
  const asRoot = userInfo().uid === 0;
  // As root, every server-side command runs as the postgres OS user.
  const exec = (file: string, args: string[]) =>
    asRoot
      ? run(runuserPath() ?? 'runuser', ['-u', 'postgres', '--', join(found.bin, file), ...args])
      : run(join(found.bin, file), args);

  const dir = await mkdtemp(join(tmpdir(), 'act-pgcron-'));
  const data = join(dir, 'data');
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  let started = false;
  const cleanup = async () => {
    if (started) await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await exec('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
      '--no-instructions',
    ]);
    const port = await freePort();
    await appendFile(
      join(data, 'postgresql.conf'),
      [
        '',
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        "shared_preload_libraries = 'pg_cron'",
        "cron.database_name = 'postgres'",
        // pg_cron runs each job over a libpq connection to this host (trust, above).
        "cron.host = '127.0.0.1'",
        'fsync = off',
        '',
      ].join('\n'),
    );
    await exec('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    started = true;
    return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, stop: cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
