/**
 * A local imitation of the parts of Xero the connector calls, with faults:
 * - POST /connect/token (refresh_token grant, rotating refresh tokens);
 * - GET /api.xro/2.0/Invoices/{id} (fetch-on-notify) and /Payments (polling:
 *   If-Modified-Since, page, pageSize, order=UpdatedDateUTC ASC);
 * - X-MinLimit-Remaining / X-DayLimit-Remaining / X-AppMinLimit-Remaining on
 *   every answer; 429 with Retry-After and X-Rate-Limit-Problem.
 *
 * Faults: 429 storms (every tenant, a few seconds at a time, Retry-After 2),
 * random 500/503, slow answers longer than the client's timeout, access
 * tokens revoked early (401, as an expired token), 503 from the token
 * endpoint. It also enforces Xero's real limits (60 calls in any rolling
 * minute, 5 in flight, per tenant) and records every request, so the run
 * can prove the client never exceeded them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface XeroSimOptions {
  tenants: string[];
  clientId: string;
  clientSecret: string;
  /** Fault rates per API request. */
  serverErrorRate: number;
  slowRate: number;
  slowMs: number;
  /** A 429 storm every `stormEveryMs` for `stormMs` (all tenants). */
  stormEveryMs: number;
  stormMs: number;
  /** Revoke every access token this often (the client then sees 401s). */
  revokeEveryMs: number;
  tokenErrorRate: number;
  accessTokenSeconds: number;
  random: () => number;
}

interface TenantBook {
  invoices: Map<string, Record<string, unknown>>;
  payments: Map<string, Record<string, unknown>>;
  starts: number[];
  history: number[];
  inFlight: number;
  maxInFlight: number;
  maxPerMinute: number;
  violations: number;
  /** The shortest time between a request and the 60th before it (ms): under 60,000 means 61 in a rolling minute. */
  tightest61: number;
  requests: number;
  answered: Record<string, number>;
}

export const msDate = (ms: number) => `/Date(${ms}+0000)/`;

export function createXeroSim(options: XeroSimOptions) {
  const books = new Map<string, TenantBook>();
  for (const tenant of options.tenants) {
    books.set(tenant, {
      invoices: new Map(),
      payments: new Map(),
      starts: [],
      history: [],
      inFlight: 0,
      maxInFlight: 0,
      maxPerMinute: 0,
      violations: 0,
      tightest61: Number.POSITIVE_INFINITY,
      requests: 0,
      answered: {},
    });
  }
  const accessTokens = new Map<string, number>();
  const refreshTokens = new Set<string>();
  let tokenCounter = 0;
  let lastVersion = 0;
  const startedAt = Date.now();
  const counters = {
    tokenRequests: 0,
    tokenErrors: 0,
    revocations: 0,
    unauthorised: 0,
    storms429: 0,
    errors5xx: 0,
    slow: 0,
  };

  const issue = () => {
    const access = `at_${++tokenCounter}_${Math.floor(options.random() * 1e9)}`;
    const refresh = `rt_${tokenCounter}_${Math.floor(options.random() * 1e9)}`;
    accessTokens.set(access, Date.now() + options.accessTokenSeconds * 1000);
    refreshTokens.add(refresh);
    return { access, refresh };
  };
  const revoker = setInterval(() => {
    accessTokens.clear();
    counters.revocations++;
  }, options.revokeEveryMs);

  const nextVersion = () => {
    lastVersion = Math.max(Date.now(), lastVersion + 1);
    return lastVersion;
  };

  const inStorm = () => (Date.now() - startedAt) % options.stormEveryMs < options.stormMs;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.destroyed) return;
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(text);
  };

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });

  async function token(req: IncomingMessage, res: ServerResponse) {
    counters.tokenRequests++;
    const form = new URLSearchParams(await readBody(req));
    const expected = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`;
    if (req.headers.authorization !== expected && form.get('client_id') !== options.clientId) {
      return send(res, 401, { error: 'invalid_client' });
    }
    if (options.random() < options.tokenErrorRate) {
      counters.tokenErrors++;
      return send(res, 503, { error: 'temporarily_unavailable' });
    }
    // Rotated refresh tokens stay usable (Xero's 30-minute grace): a refresh is never refused here.
    if (form.get('grant_type') !== 'refresh_token' || !refreshTokens.has(form.get('refresh_token') ?? '')) {
      return send(res, 400, { error: 'invalid_grant' });
    }
    const { access, refresh } = issue();
    send(res, 200, {
      access_token: access,
      refresh_token: refresh,
      expires_in: options.accessTokenSeconds,
      token_type: 'Bearer',
      scope: 'offline_access accounting.invoices.read accounting.payments.read',
    });
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL) {
    const tenant = String(req.headers['xero-tenant-id'] ?? '');
    const book = books.get(tenant);
    if (!book) return send(res, 403, { Title: 'Forbidden', Detail: 'AuthenticationUnsuccessful' });
    const now = Date.now();
    // The truth about the client's behaviour: every request it makes counts.
    book.requests++;
    book.history.push(now);
    if (book.history.length > 60) {
      book.tightest61 = Math.min(book.tightest61, now - (book.history[book.history.length - 61] as number));
    }
    book.starts.push(now);
    while (book.starts.length > 0 && (book.starts[0] as number) <= now - 60_000) book.starts.shift();
    book.inFlight++;
    book.maxInFlight = Math.max(book.maxInFlight, book.inFlight);
    book.maxPerMinute = Math.max(book.maxPerMinute, book.starts.length);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      book.inFlight--;
    };
    res.on('close', release);
    req.on('close', () => {
      if (!res.writableEnded) release();
    });
    const count = (status: number | string) => {
      book.answered[status] = (book.answered[status] ?? 0) + 1;
    };
    const limitHeaders = () => ({
      'x-minlimit-remaining': String(Math.max(0, 60 - book.starts.length)),
      'x-daylimit-remaining': String(Math.max(0, 5_000 - book.requests)),
      'x-applimit-remaining': '9000',
      'x-appminlimit-remaining': '9000',
    });

    // Xero's real limits: a client that breaks them is answered like Xero would.
    if (book.inFlight > 5 || book.starts.length > 60) {
      book.violations++;
      count('429-limit');
      const problem = book.inFlight > 5 ? 'concurrent' : 'minute';
      return send(res, 429, undefined, { 'x-rate-limit-problem': problem, 'retry-after': '5', ...limitHeaders() });
    }
    const auth = String(req.headers.authorization ?? '');
    const expiry = accessTokens.get(auth.replace(/^Bearer /, ''));
    if (expiry === undefined || expiry < now) {
      counters.unauthorised++;
      count(401);
      return send(
        res,
        401,
        { Type: null, Title: 'Unauthorized', Status: 401, Detail: 'TokenExpired: token expired' },
        { 'www-authenticate': 'Bearer error="invalid_token"' },
      );
    }
    if (inStorm()) {
      counters.storms429++;
      count('429-storm');
      return send(res, 429, undefined, { 'x-rate-limit-problem': 'minute', 'retry-after': '2', ...limitHeaders() });
    }
    const roll = options.random();
    if (roll < options.serverErrorRate) {
      counters.errors5xx++;
      const status = roll < options.serverErrorRate / 2 ? 500 : 503;
      count(status);
      return send(res, status, { Title: 'Internal error', Status: status });
    }
    if (roll < options.serverErrorRate + options.slowRate) {
      counters.slow++;
      count('slow');
      await new Promise((resolve) => setTimeout(resolve, options.slowMs));
    }
    const path = url.pathname.replace(/^\/api\.xro\/2\.0\//, '');
    const single = /^Invoices\/([^/]+)$/.exec(path);
    if (single) {
      const invoice = book.invoices.get(decodeURIComponent(single[1] as string));
      if (!invoice) {
        count(404);
        return send(res, 404, undefined, limitHeaders());
      }
      count(200);
      return send(
        res,
        200,
        { Id: 'sim', Status: 'OK', DateTimeUTC: msDate(Date.now()), Invoices: [invoice] },
        limitHeaders(),
      );
    }
    if (path === 'Payments') {
      const since = req.headers['if-modified-since'] ? Date.parse(String(req.headers['if-modified-since'])) : 0;
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
      const pageSize = Math.max(1, Math.min(1000, Number(url.searchParams.get('pageSize') ?? 100)));
      const all = [...book.payments.values()]
        .filter((payment) => (payment._ms as number) >= since)
        .sort(
          (a, b) => (a._ms as number) - (b._ms as number) || String(a.PaymentID).localeCompare(String(b.PaymentID)),
        );
      const slice = all.slice((page - 1) * pageSize, page * pageSize).map(({ _ms, ...rest }) => rest);
      count(200);
      return send(
        res,
        200,
        {
          Id: 'sim',
          Status: 'OK',
          DateTimeUTC: msDate(Date.now()),
          pagination: {
            page,
            pageSize,
            pageCount: Math.max(1, Math.ceil(all.length / pageSize)),
            itemCount: all.length,
          },
          Payments: slice,
        },
        limitHeaders(),
      );
    }
    count(404);
    return send(res, 404, undefined, limitHeaders());
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const handle = url.pathname === '/connect/token' ? token(req, res) : api(req, res, url);
    handle.catch((error) => {
      console.error('xero-sim', error);
      send(res, 500, { error: 'sim' });
    });
  });

  return {
    books,
    counters,
    /** A fresh credential (what the app stores at connect time). */
    connect() {
      const { access, refresh } = issue();
      return { accessToken: access, refreshToken: refresh, expiresAt: Date.now() + options.accessTokenSeconds * 1000 };
    },
    upsertInvoice(tenant: string, id: string, step: number) {
      const version = nextVersion();
      const invoice = {
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
        UpdatedDateUTC: msDate(version),
      };
      books.get(tenant)?.invoices.set(id, invoice);
      return version;
    },
    upsertPayment(tenant: string, id: string, step: number) {
      const version = nextVersion();
      books.get(tenant)?.payments.set(id, {
        PaymentID: id,
        Date: msDate(Date.UTC(2026, 0, 2)),
        Amount: 10 + step,
        BankAmount: 10 + step,
        CurrencyRate: 1,
        PaymentType: 'ACCRECPAYMENT',
        Status: 'AUTHORISED',
        Reference: `${id} v${step}`,
        UpdatedDateUTC: msDate(version),
        IsReconciled: false,
        Account: { AccountID: 'acc-1', Code: '090' },
        Invoice: { InvoiceID: 'inv-x', Type: 'ACCREC' },
        _ms: version,
      });
      return version;
    },
    listen(): Promise<string> {
      return new Promise((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
      );
    },
    async close() {
      clearInterval(revoker);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
