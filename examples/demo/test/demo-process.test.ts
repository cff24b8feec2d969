/**
 * The long-running demo as a real child process (`node src/main.ts`):
 * - PGlite: a second demo on the same data directory fails at once naming the
 *   first; the JSON routes need the token and a known Host; 100 requests
 *   aborted mid-body print at most 100 lines;
 * - Postgres (DATABASE_URL): every backend of the demo's pool is killed with
 *   pg_terminate_backend (the 57P01 'error' a restart gives idle clients) and
 *   the process stays up and keeps committing events.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
/** The `act` command as built (pnpm build). */
const CLI = fileURLToPath(new URL('../../../packages/cli/dist/bin.js', import.meta.url));
const TOKEN = 'demo-process-test-token-0123456789';
const running: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve(undefined);
        }, 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function startDemo(cwd: string, env: Record<string, string> = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(GHL_|XERO_|SUPABASE_|DATABASE_URL$|ACT_)/.test(name)),
  );
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--rate', '5', '--poll-every', '3600'], {
    cwd,
    env: { ...clean, ACT_DASHBOARD_TOKEN: TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = async (): Promise<string> => {
    const until = Date.now() + 90_000;
    while (Date.now() < until) {
      const found = /dashboard {2}(http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout);
      // The backfill line comes last at start-up: the server is fully up.
      if (found && /backfill {3}\d+ records/.test(stdout)) return found[1] as string;
      if (child.exitCode !== null) throw new Error(`the demo exited (${child.exitCode}): ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the demo did not start: ${stdout}\n${stderr}`);
  };
  return { child, base, exited, stdout: () => stdout, stderr: () => stderr };
}

const auth = { authorization: `Bearer ${TOKEN}` };

/** A GET with a Host header of our choosing (fetch sets its own). */
function statusWithHost(base: string, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const call = request(`${base}${path}`, { headers: { ...auth, host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    call.on('error', reject);
    call.end();
  });
}

/** A POST that declares 1,000 bytes, sends 10 and hangs up. */
function abortedPost(base: string): Promise<void> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `POST /webhooks/template HTTP/1.1\r\nHost: ${hostname}:${port}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"id":"ev_`,
      );
      setTimeout(() => socket.destroy(), 20);
    });
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
}

describe('the demo as a process', () => {
  it('PGlite: one demo per data directory, token and Host required, aborted requests one line each', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'act-demo-process-'));
    dirs.push(cwd);
    const first = startDemo(cwd);
    const base = await first.base();

    // A second demo on the same directory: refused at once, naming the first.
    const second = startDemo(cwd);
    const started = Date.now();
    expect(await second.exited).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(second.stderr()).toContain(
      `[@act/sink-supabase] PGlite data directory ${join(cwd, '.act-data', 'pglite')} is in use by pid ${first.child.pid} (started `,
    );

    // `act` beside it: --pglite is refused naming the demo; --app goes through the dashboard with the token.
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [CLI, ...args], {
        cwd,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', ACT_DASHBOARD_TOKEN: TOKEN },
        timeout: 30_000,
      });
    const refused = cli(['replay', '--id', '9', '--pglite', '.act-data/pglite']);
    expect(refused.status).toBe(1);
    expect(refused.stdout).not.toContain('replayed');
    expect(refused.stderr).toContain(`is in use by pid ${first.child.pid} (started `);
    const viaApp = cli(['health', '--app', base]);
    expect(viaApp.stderr).toBe('');
    expect(viaApp.stdout).toMatch(/^source +tenant +pending +dead +lag +target +status/);
    expect(viaApp.stdout).toMatch(/\ntemplate +acct_north /);
    const unknown = cli(['replay', '--id', '999999', '--app', base]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('[@act/cli] replay 999999: the app answered 404 (no such delivery)');
    // The demo's outbox (no destinations configured): empty through the dashboard, an unknown message refused.
    const outboxViaApp = cli(['outbox', '--app', base]);
    expect(outboxViaApp.stderr).toBe('');
    expect(outboxViaApp.stdout).toBe(`${base}: no outbox messages yet\n`);
    const unknownMessage = cli(['outbox', 'replay', '999999', '--app', base]);
    expect(unknownMessage.status).toBe(1);
    expect(unknownMessage.stderr).toContain(
      '[@act/cli] outbox replay 999999: the app answered 404 (no such outbox message)',
    );
    const noToken = spawnSync(process.execPath, [CLI, 'health', '--app', base], { encoding: 'utf8', env: {} });
    expect(noToken.status).toBe(2);
    expect(noToken.stderr).toContain('--app needs ACT_DASHBOARD_TOKEN');

    // The JSON routes: token and Host.
    expect((await fetch(`${base}/health`)).status).toBe(401);
    expect((await fetch(`${base}/events`)).status).toBe(401);
    expect((await fetch(`${base}/dashboard/health`)).status).toBe(401);
    expect((await fetch(`${base}/health`, { headers: auth })).status).toBe(200);
    expect(await statusWithHost(base, '/health', new URL(base).host)).toBe(200);
    expect(await statusWithHost(base, '/health', 'rebound.example:80')).toBe(421);
    expect(await statusWithHost(base, '/dashboard/events', 'rebound.example:80')).toBe(421);

    // 100 aborted requests: at most a line each.
    const before = first.stderr().split('\n').length;
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 10 }, () => abortedPost(base)));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const lines = first.stderr().split('\n').length - before;
    expect(lines).toBeLessThanOrEqual(100);
    // Still serving.
    expect((await fetch(`${base}/health`, { headers: auth })).status).toBe(200);
  }, 180_000);

  it.skipIf(!process.env.DATABASE_URL)(
    'Postgres: survives its pool connections being terminated (57P01, as on a restart) and keeps processing',
    async () => {
      const url = process.env.DATABASE_URL as string;
      const schema = `act_demo_ops_${Date.now().toString(36)}_${process.pid}`;
      const application = `act_demo_test_${process.pid}`;
      const demoUrl = new URL(url);
      demoUrl.searchParams.set('application_name', application);
      const admin = new pg.Pool({ connectionString: url, max: 1 });
      admin.on('error', () => {});
      const cwd = mkdtempSync(join(tmpdir(), 'act-demo-process-'));
      dirs.push(cwd);
      try {
        const demo = startDemo(cwd, { DATABASE_URL: demoUrl.toString(), ACT_DEMO_SCHEMA: schema });
        const base = await demo.base();
        const newest = async (): Promise<string | undefined> => {
          const response = await fetch(`${base}/events`, { headers: auth });
          expect(response.status).toBe(200);
          const events = (await response.json()) as { id: string; createdAt: string }[];
          return events
            .map((event) => String(event.createdAt))
            .sort()
            .at(-1);
        };
        await expect.poll(newest, { timeout: 30_000 }).toBeDefined();

        const killed = await admin.query<{ pid: number }>(
          'select pg_terminate_backend(pid), pid from pg_stat_activity where application_name = $1',
          [application],
        );
        expect(killed.rows.length).toBeGreaterThan(0);
        const killedAt = new Date().toISOString();

        await new Promise((resolve) => setTimeout(resolve, 3_000));
        expect(demo.child.exitCode).toBeNull();
        expect(demo.child.signalCode).toBeNull();
        // New events committed after the kill: deliveries still flow through the inbox into the mirror.
        await expect.poll(async () => ((await newest()) ?? '') > killedAt, { timeout: 30_000 }).toBe(true);
        expect(demo.child.exitCode).toBeNull();
      } finally {
        for (const child of running.splice(0)) {
          if (child.exitCode !== null || child.signalCode !== null) continue;
          child.kill('SIGTERM');
          await new Promise((resolve) => child.once('exit', resolve));
        }
        await admin.query(`drop schema if exists "${schema}" cascade`);
        await admin.end();
      }
    },
    180_000,
  );
});
