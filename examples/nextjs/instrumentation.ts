// Next.js calls register() once when a server process starts (`next start`,
// `next dev`, a standalone server). The worker and the scheduler's loop run
// there, beside the route handlers but outside any request, and only in the
// Node.js runtime: the edge runtime has no long-lived process to keep them
// running.
//
// Set ACT_WORKER=off for processes that should only receive (several web
// replicas and one worker process), ACT_SCHEDULER=off for processes that
// should leave the recurring work to others; on serverless hosts set both and
// call /api/act/tick from a cron instead (see the README).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  if (process.env.NEXT_PHASE === 'phase-production-build') return; // `next build` is not a server
  if (process.env.ACT_WORKER !== 'off') {
    const { startWorker } = await import('./lib/worker');
    startWorker();
  }
  if (process.env.ACT_SCHEDULER !== 'off') {
    const { startScheduler } = await import('./lib/scheduler');
    startScheduler();
  }
}
