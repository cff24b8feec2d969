/**
 * Xero API faults during fetch-on-notify and polling. Webhooks (ids only)
 * go through a receiver into the inbox; two worker processes fetch each
 * record from the simulated Xero API, one of them also polls payments.
 * The API throws 429 storms with Retry-After, 5xx, answers slower than the
 * client's timeout and revokes access tokens early. Checked: Xero's limits
 * (60 calls in any rolling minute and 5 in flight, per tenant) are never
 * exceeded across both processes, and every invoice and payment ends in the
 * mirror at its newest version.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createXeroFake, signXero } from '@act/connector-xero/testing';
import type { BenchResult } from '../../src/lib.ts';
import { target } from '../../src/lib.ts';
import {
  type ChaosContext,
  checkMirror,
  createScratchDatabase,
  type ExpectedRow,
  inboxCounts,
  lanes,
  migrate,
  type Proc,
  rng,
  sleep,
  startReceiver,
  startWorker,
  waitDrained,
} from '../lib.ts';
import { deliver, newStats, RETRY_ALL_POLICY } from '../provider.ts';

const WEBHOOK_KEY = 'chaos-xero-webhook-key/0123456789+ABC==';

export async function apiFaults(context: ChaosContext): Promise<BenchResult> {
  const tenantCount = context.quick ? 2 : 4;
  const invoicesPerTenant = context.quick ? 12 : 40;
  const eventsPerTenant = context.quick ? 40 : 120;
  const paymentsPerTenant = context.quick ? 15 : 60;
  const pollIntervalMs = context.quick ? 8_000 : 10_000;
  const random = rng(505);
  const tenants = Array.from({ length: tenantCount }, (_, index) => `0000000${index}-chaos-tenant-0000-000000000000`);
  // The connector's own fake Xero, with faults, checking Xero's real limits (rolling minute, 5 in flight).
  const sim = createXeroFake({
    tenants,
    random,
    webhookKey: WEBHOOK_KEY,
    clientId: 'chaos-client',
    clientSecret: 'chaos-secret',
    throttleRate: 0,
    rateLimit: 'rolling',
    accessTokenSeconds: 300,
    faults: {
      serverErrorRate: 0.08,
      slowRate: 0.04,
      slowMs: 4_000,
      stormEveryMs: 10_000,
      stormMs: 2_000,
      revokeEveryMs: 5_000,
      tokenErrorRate: 0.15,
    },
  });
  const msDate = (ms: number) => `/Date(${ms}+0000)/`;
  const upsertInvoice = (tenant: string, id: string, step: number) =>
    sim.putRecord(tenant, 'invoice', id, {
      Type: 'ACCREC',
      InvoiceID: id,
      InvoiceNumber: `INV-${id.slice(-6)}`,
      Reference: `${id} v${step}`,
      Status: step % 3 === 2 ? 'PAID' : 'AUTHORISED',
      Contact: { ContactID: `c-${tenant}`, Name: 'Chaos Ltd' },
      Date: msDate(Date.UTC(2026, 0, 1)),
      DueDate: msDate(Date.UTC(2026, 1, 1)),
      LineAmountTypes: 'Exclusive',
      LineItems: [],
      SubTotal: 100 + step,
      TotalTax: 0,
      Total: 100 + step,
      AmountDue: 100 + step,
      AmountPaid: 0,
      CurrencyCode: 'NZD',
    });
  const upsertPayment = (tenant: string, id: string, step: number) =>
    sim.putRecord(tenant, 'payment', id, {
      PaymentID: id,
      Date: msDate(Date.UTC(2026, 0, 2)),
      Amount: 10 + step,
      BankAmount: 10 + step,
      CurrencyRate: 1,
      PaymentType: 'ACCRECPAYMENT',
      Status: 'AUTHORISED',
      Reference: `${id} v${step}`,
      IsReconciled: false,
      Account: { AccountID: 'acc-1', Code: '090' },
      Invoice: { InvoiceID: 'inv-x', Type: 'ACCREC' },
    });
  const simServer = createServer((request, response) => sim.handleApi(request, response, request.url ?? '/'));
  await new Promise<void>((resolve) => simServer.listen(0, '127.0.0.1', resolve));
  const simUrl = `http://127.0.0.1:${(simServer.address() as AddressInfo).port}`;
  const db = await createScratchDatabase(context.databaseUrl, 'apifaults');
  const procs: Proc[] = [];
  let unexpectedExits = 0;
  const pollErrors: Record<string, number> = {};
  let pollRuns = 0;
  const watch = (proc: Proc) => {
    procs.push(proc);
    proc.exited.then(({ code, signal }) => {
      if (!proc.killedOnPurpose) {
        unexpectedExits++;
        context.log(`  ${proc.name} exited unexpectedly (${code ?? signal})`);
      }
    });
    proc.child.on('message', (message: { type?: string; ok?: boolean; error?: string }) => {
      if (message?.type !== 'poll') return;
      pollRuns++;
      if (!message.ok) {
        const key = String(message.error)
          .replace(/[0-9a-f-]{36}/g, '<id>')
          .slice(0, 80);
        pollErrors[key] = (pollErrors[key] ?? 0) + 1;
      }
    });
  };
  const started = Date.now();
  try {
    await migrate(db.url, ['xero']);
    const { createPostgresState } = await import('@act/sink-supabase');
    const state = createPostgresState({ connectionString: db.url, poolOptions: { max: 2 } });
    for (const tenant of tenants) await state.credentials.put(`xero:${tenant}`, sim.connect());
    await state.close();

    // Source data before anything runs: invoices (changed later, announced by webhooks) and payments (polled).
    const invoiceIds = new Map<string, string[]>();
    const invoiceSteps = new Map<string, number>();
    const paymentSteps = new Map<string, number>();
    for (const tenant of tenants) {
      const ids = Array.from({ length: invoicesPerTenant }, (_, index) => `inv-${tenant.slice(0, 8)}-${index}`);
      invoiceIds.set(tenant, ids);
      for (let index = 0; index < paymentsPerTenant; index++) {
        const id = `pay-${tenant.slice(0, 8)}-${index}`;
        upsertPayment(tenant, id, 0);
        paymentSteps.set(`${tenant}|${id}`, 0);
      }
    }

    const receiver = await startReceiver('receiver-xero', {
      databaseUrl: db.url,
      connector: 'xero',
      env: { XERO_WEBHOOK_KEY: WEBHOOK_KEY },
    });
    watch(receiver.proc);
    const xero = {
      baseUrl: `${simUrl}/api.xro/2.0`,
      tokenUrl: `${simUrl}/connect/token`,
      clientId: 'chaos-client',
      clientSecret: 'chaos-secret',
      timeoutMs: 1_500,
    };
    const common = {
      databaseUrl: db.url,
      connector: 'xero',
      // Through the connector's own env parsing (loadXeroSettings), as an app configures it.
      env: {
        XERO_WEBHOOK_KEY: 'unused-by-the-worker',
        XERO_CLIENT_ID: xero.clientId,
        XERO_CLIENT_SECRET: xero.clientSecret,
        XERO_BASE_URL: xero.baseUrl,
        XERO_TOKEN_URL: xero.tokenUrl,
      },
      settings: {
        api: { timeoutMs: xero.timeoutMs, retry: { maxAttempts: 2, baseDelayMs: 200, maxDelayMs: 2_000 } },
        pollers: { entities: ['payment'], pageSize: 100 },
      },
      batchSize: 10,
      concurrency: 4,
      leaseMs: 20_000,
    };
    watch(await startWorker('worker-xero-0', { ...common, pollTenants: tenants, pollIntervalMs }));
    watch(await startWorker('worker-xero-1', common));

    // The changes: each bumps an invoice at the source, then Xero notifies (ids only), 1–3 events a delivery.
    const stats = newStats();
    let sequence = 1;
    const deliveries: { deliveryId: string; body: string }[] = [];
    const sign = (body: string) => ({ 'x-xero-signature': signXero(WEBHOOK_KEY, body) });
    const sendLanes: Promise<void>[] = [];
    const total = eventsPerTenant * tenantCount;
    let made = 0;
    while (made < total) {
      const tenant = tenants[Math.floor(random() * tenants.length)] as string;
      const ids = invoiceIds.get(tenant) as string[];
      const count = 1 + Math.floor(random() * 3);
      const events = [];
      for (let index = 0; index < count && made < total; index++, made++) {
        const id = ids[Math.floor(random() * ids.length)] as string;
        const step = (invoiceSteps.get(`${tenant}|${id}`) ?? -1) + 1;
        invoiceSteps.set(`${tenant}|${id}`, step);
        upsertInvoice(tenant, id, step);
        events.push({
          resourceUrl: `https://api.xero.com/api.xro/2.0/Invoices/${id}`,
          resourceId: id,
          eventDateUtc: new Date().toISOString(),
          eventType: step === 0 ? 'CREATE' : 'UPDATE',
          eventCategory: 'INVOICE',
          tenantId: tenant,
          tenantType: 'ORGANISATION',
        });
      }
      const body = JSON.stringify({
        events,
        firstEventSequence: sequence,
        lastEventSequence: sequence + events.length - 1,
        entropy: Math.floor(random() * 1e12)
          .toString(36)
          .toUpperCase(),
      });
      sequence += events.length;
      const delivery = { deliveryId: `seq-${sequence}`, body };
      deliveries.push(delivery);
      // Some payments change too, for the poller to find.
      if (random() < 0.2) {
        const t = tenants[Math.floor(random() * tenants.length)] as string;
        const id = `pay-${t.slice(0, 8)}-${Math.floor(random() * paymentsPerTenant)}`;
        const step = (paymentSteps.get(`${t}|${id}`) ?? 0) + 1;
        paymentSteps.set(`${t}|${id}`, step);
        upsertPayment(t, id, step);
      }
      sendLanes.push(
        deliver(
          { deliveryId: delivery.deliveryId, body, tenant, recordId: '', version: 0, step: 0, kind: 'update' },
          receiver.url,
          sign,
          RETRY_ALL_POLICY,
          stats,
        ).then(() => undefined),
      );
      await sleep(context.quick ? 250 : 200);
    }
    await Promise.all(sendLanes);
    void lanes;
    context.log(
      `  ${deliveries.length} webhook deliveries acknowledged (${stats.acked.size}); waiting for fetches and polls`,
    );

    // Converged: inbox drained and both mirrors at the source's newest versions.
    const expectedInvoices: ExpectedRow[] = [];
    for (const tenant of tenants) {
      for (const [id, invoice] of sim.records(tenant, 'invoice')) {
        expectedInvoices.push({
          tenant,
          id,
          version: invoice.updatedMs,
          deleted: false,
          marker: String(invoice.record.Reference),
        });
      }
    }
    const expectedPayments = (): ExpectedRow[] => {
      const rows: ExpectedRow[] = [];
      for (const tenant of tenants) {
        for (const [id, payment] of sim.records(tenant, 'payment')) {
          rows.push({
            tenant,
            id,
            version: payment.updatedMs,
            deleted: false,
            marker: String(payment.record.Reference),
          });
        }
      }
      return rows;
    };
    const invoiceTable = { name: 'xero_invoices', tenantColumn: 'tenant_id', markerColumn: 'reference' };
    const paymentTable = { name: 'xero_payments', tenantColumn: 'tenant_id', markerColumn: 'reference' };
    const deadline = Date.now() + (context.quick ? 150_000 : 300_000);
    let converged = false;
    let lastLog = 0;
    while (Date.now() < deadline) {
      const drained = await waitDrained(db.pool, 1_000);
      const invoices = await checkMirror(db.pool, invoiceTable, expectedInvoices);
      const payments = await checkMirror(db.pool, paymentTable, expectedPayments());
      const behind = invoices.lost + invoices.stale + payments.lost + payments.stale;
      if (drained && behind === 0) {
        converged = true;
        break;
      }
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        const counts = await inboxCounts(db.pool);
        context.log(
          `  converging: inbox ${counts.pending} pending / ${counts.processing} processing / ${counts.dead} dead; invoices behind ${invoices.lost + invoices.stale}, payments behind ${payments.lost + payments.stale}`,
        );
      }
      await sleep(1_000);
    }
    const seconds = (Date.now() - started) / 1000;
    const invoices = await checkMirror(db.pool, invoiceTable, expectedInvoices);
    const payments = await checkMirror(db.pool, paymentTable, expectedPayments());
    const counts = await inboxCounts(db.pool);
    const dead = await db.pool.query<{ last_error: string }>(
      "select last_error from act_deliveries where status = 'dead' limit 3",
    );

    const books = [...sim.audit.entries()];
    const maxPerMinute = Math.max(...books.map(([, book]) => book.maxPerMinute));
    const maxInFlight = Math.max(...books.map(([, book]) => book.maxInFlight));
    const violations = books.reduce((sum, [, book]) => sum + book.violations, 0);
    const figures = books.map(([tenant, book]) => ({
      tenant: tenant.slice(0, 8),
      requests: book.requests,
      'max/60s': book.maxPerMinute,
      'max in flight': book.maxInFlight,
      'limit breaches': book.violations,
      'tightest 61 ms': Number.isFinite(book.tightest61) ? book.tightest61 : null,
      'ok 200': book.answered['200'] ?? 0,
      '429 storm': book.answered['429-storm'] ?? 0,
      'err 5xx': (book.answered['500'] ?? 0) + (book.answered['503'] ?? 0),
      slow: book.answered.slow ?? 0,
      'expired 401': book.answered['401'] ?? 0,
      invoices: invoicesPerTenant,
      payments: paymentsPerTenant,
    }));
    const lost = invoices.lost + payments.lost;
    const stale = invoices.stale + payments.stale;
    const duplicated = invoices.duplicated + payments.duplicated;
    figures.push({
      tenant: 'all',
      requests: books.reduce((sum, [, book]) => sum + book.requests, 0),
      'max/60s': maxPerMinute,
      'max in flight': maxInFlight,
      'limit breaches': violations,
      lost,
      duplicated,
      stale,
      'dead letters': counts.dead,
      'token calls': sim.counters.tokenRequests,
      'token 503': sim.counters.tokenErrors,
      revocations: sim.counters.revocations,
      'poll runs': pollRuns,
      'poll errors': Object.values(pollErrors).reduce((a, b) => a + b, 0),
      seconds: Math.round(seconds),
    } as never);
    const targets = [
      target('chaos.api-faults.lost', lost, '<=', 0, 'invoices and payments the mirror lacks'),
      target('chaos.api-faults.duplicated', duplicated, '<=', 0),
      target('chaos.api-faults.stale', stale, '<=', 0, 'rows not at the source’s newest UpdatedDateUTC'),
      target(
        'chaos.api-faults.max_calls_per_rolling_minute',
        maxPerMinute,
        '<=',
        60,
        'per tenant, both worker processes together',
      ),
      target('chaos.api-faults.max_in_flight', maxInFlight, '<=', 5, 'per tenant'),
      target('chaos.api-faults.limit_breaches', violations, '<=', 0, 'requests Xero would have refused for the limits'),
      target('chaos.api-faults.dead_letters', counts.dead, '<=', 0),
      target('chaos.api-faults.converged', converged ? 1 : 0, '>=', 1, 'everything fetched within the time limit'),
      target('chaos.api-faults.unexpected_exits', unexpectedExits, '<=', 0),
    ];
    return {
      figures,
      parameters: {
        tenants: tenantCount,
        invoicesPerTenant,
        webhookEventsPerTenant: eventsPerTenant,
        webhookDeliveries: deliveries.length,
        paymentsPerTenant,
        pollIntervalMs,
        clientTimeoutMs: xero.timeoutMs,
        faults: {
          serverErrorRate: 0.08,
          slowRate: 0.04,
          slowMs: 4_000,
          storm: '2 s of 429 (Retry-After: 2, X-Rate-Limit-Problem: minute) every 10 s',
          accessTokensRevokedEveryMs: 5_000,
          tokenEndpoint503Rate: 0.15,
        },
        simCounters: sim.counters,
        pollErrors,
        deadLetterSamples: dead.rows.map((row) => row.last_error),
        webhookStatuses: stats.statuses,
      },
      targets,
    };
  } finally {
    for (const proc of procs) await proc.stop(8_000).catch(() => undefined);
    sim.close();
    simServer.closeAllConnections();
    await new Promise((resolve) => simServer.close(resolve));
    await db.drop();
  }
}
