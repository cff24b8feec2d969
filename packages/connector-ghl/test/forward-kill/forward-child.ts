// An app process to SIGKILL between the commit of a forwarded GoHighLevel
// delivery and its send. test/ghl-forward-kill.test.ts bundles this file (with
// the packages' source) and runs it as a separate Node process:
//
//   node forward-child.mjs '<ForwardKillPlan as JSON>'
//
// It runs createAct's worker and outbox dispatcher on the state until both
// have nothing due, printing one JSON line per step with a synchronous write
// (a line printed before a SIGKILL reaches the test). With `hold`, the
// destination says `sending` and then never sends: the test kills it there.
import { writeSync } from 'node:fs';
import { createAct, httpDestination, type OutboxDestinationV1 } from '@act/core';
import { createPostgresState, type PostgresConnection } from '@act/sink-supabase';
import { createGhlConnector } from '../../src/index';

export interface ForwardKillPlan {
  connection: PostgresConnection;
  schema: string;
  owner: string;
  /** The Ed25519 public key (SPKI PEM) the deliveries are signed for. */
  publicPem: string;
  receiverUrl: string;
  secret: string;
  leaseMs: number;
  /** `hold`: announce the send and hang before it. `send`: deliver. */
  mode: 'hold' | 'send';
}

const plan = JSON.parse(process.argv[2] ?? '') as ForwardKillPlan;
const print = (line: Record<string, unknown>) => writeSync(1, `${JSON.stringify(line)}\n`);

const state = createPostgresState(plan.connection, { schema: plan.schema });
const http = httpDestination({ name: 'receiver', url: plan.receiverUrl, secret: plan.secret, timeoutMs: 60_000 });
const receiver: OutboxDestinationV1 = {
  ...http,
  async deliver(message, context) {
    print({ event: 'sending', key: message.key, attempt: context.attempt });
    if (plan.mode === 'hold') await new Promise(() => {});
    return http.deliver(message, context);
  },
};
const act = createAct({
  state,
  connectors: [createGhlConnector({ webhook: { ed25519PublicKeys: [plan.publicPem] } })],
  outbox: {
    destinations: [receiver],
    dispatcher: { owner: plan.owner, leaseMs: plan.leaseMs, circuitBreaker: false },
  },
  worker: { owner: plan.owner, leaseMs: plan.leaseMs, circuitBreaker: false },
});
print({ event: 'started' });
const applied = await act.worker.drain();
print({ event: 'applied', ...applied });
const drained = await act.outbox.drain();
print({ event: 'drained', ...drained });
await state.close();
process.exit(0);
