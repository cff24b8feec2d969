/**
 * A fake Xero (the demo, the chaos harness and tests share it): id-only webhooks signed with the webhook key,
 * intent-to-receive, the Accounting API the worker fetches each record from,
 * the OAuth 2.0 token endpoint, and Xero's rate-limit headers and 429s.
 *
 * Everything here follows Xero's documentation
 * and the documented samples in packages/connector-xero/test/fixtures/:
 * - `x-xero-signature` = base64 HMAC-SHA256 of the raw body, keyed with the
 *   webhook key's text (https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/);
 * - bodies as Xero writes them, irregular whitespace included
 *   (`"firstEventSequence": 2,"lastEventSequence": 3, "entropy": …`,
 *   https://github.com/XeroAPI/xero-node/issues/563); events carry ids only,
 *   `eventDateUtc` without `Z`, several events per delivery and repeats of one
 *   resource (https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero-webhooks.yaml,
 *   calcinai/xero-php tests/WebhookTest.php); no DELETE events (voiding and
 *   archiving are updates);
 * - intent to receive: `events: []`, sequences 0, some deliberately mis-signed
 *   (off by one character) that must get 401;
 * - the API: `GET /{Collection}/{id}` answered as a one-element list,
 *   `GET /{Collection}` with `page`, `pageSize`, `order`, `If-Modified-Since`
 *   and a `pagination` object; `xero-tenant-id` on every call
 *   (https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero_accounting.yaml);
 * - limits per tenant: 60 calls a minute in a fixed window whose phase differs
 *   per tenant, 5,000 a day; 10,000 a minute per app; every answer carries
 *   `X-MinLimit-Remaining`, `X-DayLimit-Remaining`, `X-AppMinLimit-Remaining`,
 *   a breach is 429 with `X-Rate-Limit-Problem` and `Retry-After`
 *   (https://developer.xero.com/documentation/guides/oauth2/limits/);
 * - tokens: `POST /connect/token` with HTTP Basic client auth, access tokens
 *   for 30 minutes, refresh tokens rotating on every use with a 30-minute grace
 *   for the previous one (https://developer.xero.com/faq/oauth2).
 */
import type { ExpectedTable, FakeApiRequest, FakeApiResponse, FakeDelivery } from '@act/connector-kit/testing/fake';
import {
  createRandom,
  FakeProviderBase,
  FIRST_NAMES,
  readBody,
  requestHeader,
  sendJson,
} from '@act/connector-kit/testing/fake';
import { FIXTURES } from './fixtures';

type Json = Record<string, unknown>;
type Entity = 'contact' | 'invoice' | 'credit_note' | 'payment' | 'bank_transaction';
/** The entities a fake Xero holds. */
export type XeroFakeEntity = Entity;
const ENTITIES: readonly Entity[] = ['contact', 'invoice', 'credit_note', 'payment', 'bank_transaction'];

interface XeroRecord {
  entity: Entity;
  id: string;
  record: Json;
  updatedMs: number;
}

interface Tenant {
  records: Record<Entity, Map<string, XeroRecord>>;
  /** The fixed minute window of this tenant: its phase differs per tenant
   * (https://developer.xero.com/documentation/guides/oauth2/limits/). */
  minute: { start: number; used: number };
  day: number;
}

interface PendingEvent {
  tenantId: string;
  category: 'CONTACT' | 'INVOICE' | 'CREDITNOTE';
  /** CREDITNOTE events only: `{ Type, Status }`
   * (https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero-webhooks.yaml). */
  data?: { Type: string; Status: string };
  type: 'CREATE' | 'UPDATE';
  id: string;
  at: number;
}

const ENTITY_OF: Record<string, Entity> = {
  Contacts: 'contact',
  Invoices: 'invoice',
  CreditNotes: 'credit_note',
  Payments: 'payment',
  BankTransactions: 'bank_transaction',
};
const COLLECTION_OF: Record<PendingEvent['category'], string> = {
  CONTACT: 'Contacts',
  INVOICE: 'Invoices',
  CREDITNOTE: 'CreditNotes',
};
const LIMITS = { perMinute: 60, perDay: 5_000, appPerMinute: 10_000 };
const ACCESS_TOKEN_S = 1_800;
const REFRESH_GRACE_MS = 30 * 60_000;

const msJson = (ms: number) => `/Date(${ms}+0000)/`;
/** Webhook dates: ISO without the `Z` (the spec's example `2024-06-21T01:15:39.902`). */
const eventDate = (ms: number) => new Date(ms).toISOString().slice(0, -1);

/**
 * The `x-xero-signature` for `body`, synchronously (the fake signs while it
 * builds deliveries): node:crypto through `process.getBuiltinModule`, so the
 * module imports nothing from Node (use `signXeroBody` elsewhere).
 */
export function signXero(key: string, body: string): string {
  const node = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const crypto = node?.getBuiltinModule?.('node:crypto') as
    | {
        createHmac(
          algorithm: string,
          key: string,
        ): { update(data: string, encoding: string): { digest(encoding: string): string } };
      }
    | undefined;
  if (!crypto) throw new Error('XeroFake signs with node:crypto (Node >= 22.3); elsewhere sign with signXeroBody');
  return crypto.createHmac('sha256', key).update(body, 'utf8').digest('base64');
}

export interface XeroFakeOptions {
  tenants: readonly string[];
  random: () => number;
  webhookKey: string;
  clientId: string;
  clientSecret: string;
  /** Inject a 429 (minute) on about this share of API calls, as if another process of the app had used the minute. */
  throttleRate?: number;
  /**
   * How the per-tenant call limit is answered: `fixed-window` (default) a
   * minute window whose phase differs per tenant; `rolling` Xero's limits as
   * a strict check of the client: more than 60 calls in any rolling minute or
   * more than 5 in flight is answered 429 and counted in `audit` as a breach.
   */
  rateLimit?: 'fixed-window' | 'rolling';
  /** Faults to inject (the chaos harness): none by default. */
  faults?: XeroFakeFaults;
  /** Lifetime of the access tokens it issues, seconds (Xero's: 1,800). */
  accessTokenSeconds?: number;
}

/** Faults a fake Xero injects into its API and token endpoint. */
export interface XeroFakeFaults {
  /** Share of API calls answered 500 or 503. */
  serverErrorRate?: number;
  /** Share of API calls answered after `slowMs` (longer than the client's timeout, typically). */
  slowRate?: number;
  slowMs?: number;
  /** A 429 storm (`Retry-After: 2`) for `stormMs` every `stormEveryMs`, every tenant. */
  stormEveryMs?: number;
  stormMs?: number;
  /** Revoke every access token this often (the client then sees 401s and refreshes). */
  revokeEveryMs?: number;
  /** Share of token requests answered 503. */
  tokenErrorRate?: number;
}

/** What a fake Xero saw of one tenant's calls: proof the client kept Xero's limits. */
export interface XeroTenantAudit {
  requests: number;
  inFlight: number;
  maxInFlight: number;
  /** Most calls in any rolling minute. */
  maxPerMinute: number;
  /** Calls Xero would have refused for its limits (with `rateLimit: 'rolling'`). */
  violations: number;
  /** The shortest time between a call and the 60th before it (ms): under 60,000 means 61 in a rolling minute. */
  tightest61: number;
  /** Answers by status (`200`, `401`, `429-storm`, `429-limit`, `slow`, …). */
  answered: Record<string, number>;
  starts: number[];
  history: number[];
}

/** Fault counters of a fake Xero. */
export interface XeroFakeCounters {
  tokenRequests: number;
  tokenErrors: number;
  revocations: number;
  unauthorised: number;
  storms429: number;
  errors5xx: number;
  slow: number;
}

export class XeroFake extends FakeProviderBase {
  readonly source = 'xero';
  readonly title = 'Xero (simulated)';
  tokenRefreshes = 0;
  private tooMany = 0;
  /** Per tenant: every call the client made, for the limit checks. */
  readonly audit = new Map<string, XeroTenantAudit>();
  readonly counters: XeroFakeCounters = {
    tokenRequests: 0,
    tokenErrors: 0,
    revocations: 0,
    unauthorised: 0,
    storms429: 0,
    errors5xx: 0,
    slow: 0,
  };
  private readonly startedAt = Date.now();
  private revoker: ReturnType<typeof setInterval> | undefined;
  private sequence = 0;
  private held: FakeDelivery | undefined;
  /** The API's own randomness (429s, ids of answers), apart from the changes', so `--once` replays the same changes. */
  private readonly apiRandom: () => number;
  private readonly options: XeroFakeOptions;
  private readonly data = new Map<string, Tenant>();
  private appMinute = { start: 0, used: 0 };
  /** Valid access tokens → expiry; refresh tokens → until when they work (the current one: forever). */
  private readonly accessTokens = new Map<string, number>();
  private readonly refreshTokens = new Map<string, number>();
  private readonly samples = {
    contact: this.fixture<{ Contacts: Json[] }>('api-contact.1.json').Contacts[0] as Json,
    invoice: this.fixture<{ Invoices: Json[] }>('api-invoice.1.json').Invoices[0] as Json,
    payment: this.fixture<{ Payments: Json[] }>('api-payment.1.json').Payments[0] as Json,
    creditNote: this.fixture<{ CreditNotes: Json[] }>('api-credit-note.1.json').CreditNotes[0] as Json,
    bankTransaction: this.fixture<{ BankTransactions: Json[] }>('api-bank-transaction.1.json')
      .BankTransactions[0] as Json,
  };

  constructor(options: XeroFakeOptions) {
    super({ ...options, fixtures: FIXTURES });
    this.options = options;
    this.apiRandom = createRandom(Math.floor(options.random() * 2 ** 32));
    for (const tenantId of options.tenants) {
      this.audit.set(tenantId, {
        requests: 0,
        inFlight: 0,
        maxInFlight: 0,
        maxPerMinute: 0,
        violations: 0,
        tightest61: Number.POSITIVE_INFINITY,
        answered: {},
        starts: [],
        history: [],
      });
    }
    const revokeEveryMs = options.faults?.revokeEveryMs;
    if (revokeEveryMs) {
      this.revoker = setInterval(() => {
        this.accessTokens.clear();
        this.counters.revocations += 1;
      }, revokeEveryMs);
      (this.revoker as { unref?: () => void }).unref?.();
    }
    for (const tenantId of options.tenants) {
      this.data.set(tenantId, {
        records: {
          contact: new Map(),
          invoice: new Map(),
          credit_note: new Map(),
          payment: new Map(),
          bank_transaction: new Map(),
        },
        minute: { start: Date.now() - Math.floor(this.random() * 60_000), used: 0 },
        day: 0,
      });
    }
  }

  /** A refresh token the demo stores as the tenant's credential (as if the tenant had just connected). */
  issueRefreshToken(random = this.random): string {
    const token = `demo-refresh-${this.uuid(random)}`;
    this.refreshTokens.set(token, Number.POSITIVE_INFINITY);
    return token;
  }

  /** A fresh credential for a tenant, as the app stores it at connect time (`act_credentials`, key `xero:<tenantId>`). */
  connect(): { accessToken: string; refreshToken: string; expiresAt: number } {
    const accessToken = `demo-access-${this.uuid(this.apiRandom)}`;
    const expiresAt = Date.now() + this.accessTokenSeconds() * 1000;
    this.accessTokens.set(accessToken, expiresAt);
    return { accessToken, refreshToken: this.issueRefreshToken(this.apiRandom), expiresAt };
  }

  /** Stops the fault timers. */
  close(): void {
    if (this.revoker) clearInterval(this.revoker);
    this.revoker = undefined;
  }

  /**
   * Put a record of your own at the fake (a scenario's), with its
   * `UpdatedDateUTC` at `at`: fetch-on-notify and listings answer it.
   * Entities: `contact`, `invoice`, `credit_note`, `payment`, `bank_transaction`.
   */
  putRecord(tenantId: string, entity: Entity, id: string, record: Json, at = this.now()): number {
    this.put(tenantId, entity, id.toLowerCase(), record, at);
    return at;
  }

  /** The records of one entity at a tenant, by id (what the mirror must converge to). */
  records(tenantId: string, entity: Entity): ReadonlyMap<string, { record: Json; updatedMs: number }> {
    return this.tenant(tenantId).records[entity];
  }

  private accessTokenSeconds(): number {
    return this.options.accessTokenSeconds ?? ACCESS_TOKEN_S;
  }

  private tenant(id: string): Tenant {
    return this.data.get(id) as Tenant;
  }

  // -- Records, shaped like the documented samples --------------------------------

  private put(tenantId: string, entity: Entity, id: string, record: Json, at: number): XeroRecord {
    const stored: XeroRecord = { entity, id, record: { ...record, UpdatedDateUTC: msJson(at) }, updatedMs: at };
    this.tenant(tenantId).records[entity].set(id, stored);
    return stored;
  }

  private createContact(tenantId: string, at: number): XeroRecord {
    const { first, last } = this.personName();
    const id = this.uuid();
    return this.put(
      tenantId,
      'contact',
      id,
      {
        ...this.samples.contact,
        ContactID: id,
        ContactNumber: `C-${id.slice(0, 6)}`,
        ContactStatus: 'ACTIVE',
        Name: `${first} ${last} Ltd`,
        FirstName: first,
        LastName: last,
        EmailAddress: `${first}@${last.replace(/-/g, '')}.Example.com`,
      },
      at,
    );
  }

  private createInvoice(tenantId: string, at: number): XeroRecord | undefined {
    const contacts = [...this.tenant(tenantId).records.contact.values()];
    if (contacts.length === 0) return undefined;
    const contact = this.pick(contacts).record;
    const id = this.uuid();
    const total = Math.round(this.random() * 500_000) / 100;
    return this.put(
      tenantId,
      'invoice',
      id,
      {
        ...this.samples.invoice,
        InvoiceID: id,
        InvoiceNumber: `INV-${String(this.sequence + 1000 + Math.floor(this.random() * 9000))}`,
        Reference: this.pick(['Tour', 'Retainer', 'Fit-out', 'Consulting']),
        Status: 'DRAFT',
        Contact: { ContactID: contact.ContactID, Name: contact.Name },
        Payments: [],
        SubTotal: total,
        TotalTax: 0,
        Total: total,
        AmountDue: total,
        AmountPaid: 0,
      },
      at,
    );
  }

  private contactRef(tenantId: string): Json | undefined {
    const contacts = [...this.tenant(tenantId).records.contact.values()];
    if (contacts.length === 0) return undefined;
    const contact = this.pick(contacts).record;
    return { ContactID: contact.ContactID, Name: contact.Name };
  }

  private createCreditNote(tenantId: string, at: number): XeroRecord | undefined {
    const contact = this.contactRef(tenantId);
    if (!contact) return undefined;
    const id = this.uuid();
    const total = Math.round(this.random() * 50_000) / 100;
    return this.put(
      tenantId,
      'credit_note',
      id,
      {
        ...this.samples.creditNote,
        CreditNoteID: id,
        ID: id,
        CreditNoteNumber: `CN-${1000 + Math.floor(this.random() * 9000)}`,
        Type: this.pick(['ACCRECCREDIT', 'ACCPAYCREDIT']),
        Status: 'DRAFT',
        Contact: contact,
        Payments: [],
        Allocations: [],
        SubTotal: total,
        TotalTax: 0,
        Total: total,
        RemainingCredit: total,
        UpdatedDateUTCString: undefined,
      },
      at,
    );
  }

  /** A bank transaction (no webhook category: only polling finds it). */
  private createBankTransaction(tenantId: string, at: number): XeroRecord | undefined {
    const contact = this.contactRef(tenantId);
    if (!contact) return undefined;
    const id = this.uuid();
    const total = Math.round(this.random() * 100_000) / 100;
    return this.put(
      tenantId,
      'bank_transaction',
      id,
      {
        ...this.samples.bankTransaction,
        BankTransactionID: id,
        Type: this.pick(['RECEIVE', 'SPEND']),
        PrepaymentID: undefined,
        BatchPayment: undefined,
        Contact: contact,
        SubTotal: total,
        TotalTax: 0,
        Total: total,
      },
      at,
    );
  }

  protected seedRecords(tenantId: string, index: number, at: number): void {
    this.createContact(tenantId, at);
    if (index % 2 === 0) this.createInvoice(tenantId, at);
    if (index % 4 === 0) this.createCreditNote(tenantId, at);
    if (index % 3 === 0) this.createBankTransaction(tenantId, at);
  }

  /** The next change at Xero; returns the webhook event it causes (payments cause none: they are polled). */
  private change(tenantId: string): PendingEvent | undefined {
    const records = this.tenant(tenantId).records;
    const roll = this.random();
    const at = this.now();
    const invoices = [...records.invoice.values()];
    if (records.contact.size < 3 || roll < 0.2) {
      const contact = this.createContact(tenantId, at);
      return { tenantId, category: 'CONTACT', type: 'CREATE', id: contact.id, at };
    }
    if (roll < 0.35) {
      // Contacts are never deleted, only archived, and archiving is an UPDATE
      // (https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero-webhooks.yaml).
      const contact = this.pick([...records.contact.values()]);
      const archive = this.random() < 0.2;
      const first = this.pick(FIRST_NAMES);
      this.put(
        tenantId,
        'contact',
        contact.id,
        archive
          ? { ...contact.record, ContactStatus: 'ARCHIVED' }
          : { ...contact.record, FirstName: first, EmailAddress: `${first}@Example.com`, ContactStatus: 'ACTIVE' },
        at,
      );
      return { tenantId, category: 'CONTACT', type: 'UPDATE', id: contact.id, at };
    }
    if (roll < 0.42) {
      const creditNotes = [...records.credit_note.values()];
      const existing = creditNotes.length > 0 && this.random() < 0.5 ? this.pick(creditNotes) : undefined;
      const note = existing
        ? this.put(
            tenantId,
            'credit_note',
            existing.id,
            { ...existing.record, Status: existing.record.Status === 'DRAFT' ? 'AUTHORISED' : 'VOIDED' },
            at,
          )
        : this.createCreditNote(tenantId, at);
      if (!note) return undefined;
      return {
        tenantId,
        category: 'CREDITNOTE',
        type: existing ? 'UPDATE' : 'CREATE',
        id: note.id,
        at,
        data: { Type: note.record.Type as string, Status: note.record.Status as string },
      };
    }
    if (roll < 0.46) {
      // Money in or out of a bank account: Xero sends no webhook for it; the next poll finds it.
      this.createBankTransaction(tenantId, at);
      return undefined;
    }
    if (roll < 0.6 || invoices.length === 0) {
      const invoice = this.createInvoice(tenantId, at);
      return invoice ? { tenantId, category: 'INVOICE', type: 'CREATE', id: invoice.id, at } : undefined;
    }
    const invoice = this.pick(invoices);
    const status = invoice.record.Status as string;
    let next: Json;
    if (status === 'DRAFT') next = { ...invoice.record, Status: this.random() < 0.15 ? 'DELETED' : 'AUTHORISED' };
    else if (status === 'AUTHORISED' && this.random() < 0.2) next = { ...invoice.record, Status: 'VOIDED' };
    else if (status === 'AUTHORISED') {
      // Paid in full: a payment appears (no webhook category: only polling finds it), and the invoice is updated.
      const id = this.uuid();
      const amount = invoice.record.Total as number;
      const payment = this.put(
        tenantId,
        'payment',
        id,
        {
          ...this.samples.payment,
          PaymentID: id,
          BatchPaymentID: undefined,
          BatchPayment: undefined,
          Date: msJson(at),
          Amount: amount,
          BankAmount: amount,
          Status: 'AUTHORISED',
          Invoice: { Type: 'ACCREC', InvoiceID: invoice.id, InvoiceNumber: invoice.record.InvoiceNumber },
          UpdatedDateUTCString: undefined,
        },
        at,
      );
      next = {
        ...invoice.record,
        Status: 'PAID',
        AmountDue: 0,
        AmountPaid: amount,
        Payments: [{ PaymentID: payment.id, Date: msJson(at), Amount: amount, CurrencyRate: 1 }],
      };
    } else {
      // Paid, voided or deleted: a reference edit, still an UPDATE.
      next = { ...invoice.record, Reference: `${String(invoice.record.Reference).split(' ·')[0]} · edited` };
    }
    this.put(tenantId, 'invoice', invoice.id, next, at);
    return { tenantId, category: 'INVOICE', type: 'UPDATE', id: invoice.id, at };
  }

  // -- Deliveries -----------------------------------------------------------------

  /** The body as Xero writes it: compact events, then its irregular whitespace before the sequence numbers. */
  private body(events: readonly PendingEvent[], first: number, last: number): string {
    const entropy = Array.from({ length: 20 }, () => String.fromCharCode(65 + Math.floor(this.random() * 26))).join('');
    const json = events.map((event) =>
      JSON.stringify({
        resourceUrl: `https://api.xero.com/api.xro/2.0/${COLLECTION_OF[event.category]}/${event.id}`,
        resourceId: event.id,
        eventDateUtc: eventDate(event.at),
        eventType: event.type,
        eventCategory: event.category,
        tenantId: event.tenantId,
        tenantType: 'ORGANISATION',
        ...(event.data ? { data: event.data } : {}),
      }),
    );
    return `{"events":[${json.join(',')}],"firstEventSequence": ${first},"lastEventSequence": ${last}, "entropy": "${entropy}"}`;
  }

  private signed(
    body: string,
    kind: FakeDelivery['kind'],
    signature = signXero(this.options.webhookKey, body),
  ): FakeDelivery {
    return {
      source: this.source,
      body,
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-xero-signature': signature },
      kind,
    };
  }

  /**
   * Intent to receive: a correctly signed and a deliberately mis-signed empty
   * delivery (the wrong one differs in one character, like Xero's:
   * https://github.com/XeroAPI/XeroWebhooksReceiver/issues/1).
   */
  intentToReceive(): { valid: FakeDelivery; invalid: FakeDelivery } {
    const body = this.body([], 0, 0);
    const signature = signXero(this.options.webhookKey, body);
    const wrong = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    return { valid: this.signed(body, 'created'), invalid: this.signed(body, 'created', wrong) };
  }

  async next(): Promise<FakeDelivery[]> {
    const tenantId = this.pick(this.tenants);
    // One delivery holds one to three changes; now and then one resource twice (https://github.com/calcinai/xero-php/issues/351).
    const events: PendingEvent[] = [];
    const count = 1 + Math.floor(this.random() * this.random() * 3);
    for (let index = 0; index < count; index++) {
      const event = this.change(tenantId);
      if (event) events.push(event);
    }
    const repeat = events[0];
    if (repeat && repeat.type === 'UPDATE' && this.random() < 0.2) {
      const again = this.change(tenantId);
      if (again) events.push(again);
      const at = this.now();
      this.touch(repeat, at);
      events.push({ ...repeat, at });
    }
    if (events.length === 0) return [];
    const first = this.sequence + 1;
    this.sequence += events.length;
    const delivery = this.signed(
      this.body(events, first, this.sequence),
      events[0]?.type === 'CREATE' ? 'created' : 'updated',
    );
    const deliveries: FakeDelivery[] = [];
    if (this.held) {
      // The delivery held back last time arrives after this newer one.
      deliveries.push(delivery, { ...this.held, kind: 'out-of-order' });
      this.held = undefined;
    } else if (this.random() < 0.1) {
      this.held = delivery;
    } else deliveries.push(delivery);
    // Xero retries for up to 24 hours: the same delivery again.
    const firstDelivery = deliveries[0];
    if (firstDelivery && this.random() < 0.08) deliveries.push({ ...firstDelivery, kind: 'duplicate' });
    this.sentCount += deliveries.length;
    return deliveries;
  }

  /** Anything held back, sent now (the end of `--once`). */
  flush(): FakeDelivery[] {
    const held = this.held ? [{ ...this.held, kind: 'out-of-order' as const }] : [];
    this.held = undefined;
    this.sentCount += held.length;
    return held;
  }

  /** A second edit of the same resource (its reference), so a delivery repeats it with a later date. */
  private touch(event: PendingEvent, at: number): void {
    const entity = ENTITY_OF[COLLECTION_OF[event.category]] as Entity;
    const stored = this.tenant(event.tenantId).records[entity].get(event.id);
    if (!stored) return;
    const record: Json =
      entity === 'contact'
        ? { ...stored.record, Website: `https://example.com/${at}` }
        : { ...stored.record, Reference: `${String(stored.record.Reference).split(' ·')[0]} · edited` };
    if (event.data) event.data = { Type: record.Type as string, Status: record.Status as string };
    this.put(event.tenantId, entity, event.id, record, at);
  }

  // -- The API ---------------------------------------------------------------------

  handleApi(request: FakeApiRequest, response: FakeApiResponse, path: string): void {
    void this.answer(request, response, path).catch((error: unknown) => {
      sendJson(response, 500, { Type: null, Title: 'An error occurred', Status: 500, Detail: String(error) });
    });
  }

  private async answer(request: FakeApiRequest, response: FakeApiResponse, path: string): Promise<void> {
    const url = new URL(path, 'http://xero.invalid');
    if (url.pathname === '/connect/token' && request.method === 'POST') return this.token(request, response);
    const match = url.pathname.match(
      /^\/api\.xro\/2\.0\/(Contacts|Invoices|CreditNotes|Payments|BankTransactions)(?:\/([^/]+))?$/,
    );
    this.apiRequests += 1;
    const audit = this.audit.get(requestHeader(request, 'xero-tenant-id') ?? '');
    if (audit) {
      response = this.track(audit, response);
      const refused = this.checkCall(audit);
      if (refused) {
        sendJson(response, 429, undefined, refused);
        return;
      }
    }
    const faults = this.options.faults;
    const count = (status: number | string) => {
      if (audit) audit.answered[status] = (audit.answered[status] ?? 0) + 1;
    };
    const bearer = requestHeader(request, 'authorization')?.replace(/^Bearer /, '') ?? '';
    const expiry = this.accessTokens.get(bearer);
    if (expiry === undefined || expiry < Date.now()) {
      this.counters.unauthorised += 1;
      count(401);
      // Xero's 401 for an expired or unknown token; the connector refreshes and retries once.
      sendJson(response, 401, {
        Type: null,
        Title: 'Unauthorized',
        Status: 401,
        Detail: 'TokenExpired: token expired',
      });
      return;
    }
    if (faults?.stormEveryMs && (Date.now() - this.startedAt) % faults.stormEveryMs < (faults.stormMs ?? 0)) {
      this.counters.storms429 += 1;
      count('429-storm');
      sendJson(response, 429, undefined, { 'x-rate-limit-problem': 'minute', 'retry-after': '2' });
      return;
    }
    const roll = faults ? this.apiRandom() : 1;
    const errorRate = faults?.serverErrorRate ?? 0;
    if (roll < errorRate) {
      this.counters.errors5xx += 1;
      const status = roll < errorRate / 2 ? 500 : 503;
      count(status);
      sendJson(response, status, { Type: null, Title: 'An error occurred', Status: status });
      return;
    }
    if (roll < errorRate + (faults?.slowRate ?? 0)) {
      this.counters.slow += 1;
      count('slow');
      await new Promise((resolve) => setTimeout(resolve, faults?.slowMs ?? 0));
    }
    const tenantId = requestHeader(request, 'xero-tenant-id') ?? '';
    const tenant = this.data.get(tenantId);
    if (!tenant) {
      // Not documented: the connector always sends a connected tenant's id.
      sendJson(response, 403, { Type: null, Title: 'Forbidden', Status: 403, Detail: 'AuthenticationUnsuccessful' });
      return;
    }
    const limit = this.limits(tenant, audit);
    if (limit.problem) {
      this.tooMany += 1;
      response.writeHead(429, {
        ...limit.headers,
        'x-rate-limit-problem': limit.problem,
        'retry-after': String(limit.retryAfterS),
      });
      response.end();
      return;
    }
    if (!match || request.method !== 'GET') {
      sendJson(response, 404, { Type: null, Title: 'Not Found', Status: 404 }, limit.headers);
      return;
    }
    const collection = match[1] as string;
    const entity = ENTITY_OF[collection] as Entity;
    const records = tenant.records[entity];
    const envelope = {
      Id: this.uuid(this.apiRandom),
      Status: 'OK',
      ProviderName: 'act demo',
      DateTimeUTC: `/Date(${Date.now()})/`,
    };
    if (match[2]) {
      const stored = records.get(decodeURIComponent(match[2]).toLowerCase());
      count(stored ? 200 : 404);
      if (!stored) sendJson(response, 404, { Type: null, Title: 'Not Found', Status: 404 }, limit.headers);
      else sendJson(response, 200, { ...envelope, [collection]: [stored.record] }, limit.headers);
      return;
    }
    // A listing: If-Modified-Since (to the second), UpdatedDateUTC order, page / pageSize
    // (https://developer.xero.com/documentation/api/requests-and-responses).
    const sinceHeader = requestHeader(request, 'if-modified-since');
    const since = typeof sinceHeader === 'string' ? Math.floor(Date.parse(sinceHeader) / 1000) * 1000 : undefined;
    const pageSize = Math.min(1000, Number(url.searchParams.get('pageSize') ?? 100));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const listing = [...records.values()]
      .filter((stored) => since === undefined || Number.isNaN(since) || stored.updatedMs >= since)
      .sort((a, b) => a.updatedMs - b.updatedMs || a.id.localeCompare(b.id));
    const items = listing.slice((page - 1) * pageSize, page * pageSize).map((stored) => stored.record);
    count(200);
    sendJson(
      response,
      200,
      {
        ...envelope,
        pagination: { page, pageSize, pageCount: Math.ceil(listing.length / pageSize), itemCount: listing.length },
        [collection]: items,
      },
      limit.headers,
    );
  }

  /** Counts the call in flight until its answer ends. */
  private track(audit: XeroTenantAudit, response: FakeApiResponse): FakeApiResponse {
    audit.inFlight += 1;
    audit.maxInFlight = Math.max(audit.maxInFlight, audit.inFlight);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      audit.inFlight -= 1;
    };
    // A Node response may also close without an answer (the client gave up): release then too.
    (response as { on?: (event: string, listener: () => void) => void }).on?.('close', release);
    const wrapped: FakeApiResponse = {
      writeHead: (status, headers) => response.writeHead(status, headers),
      end: (body) => {
        release();
        return response.end(body);
      },
    };
    return wrapped;
  }

  /** Records a call against Xero's real limits; with `rateLimit: 'rolling'`, the headers of a 429 for a breach. */
  private checkCall(audit: XeroTenantAudit): Record<string, string> | undefined {
    const now = Date.now();
    audit.requests += 1;
    audit.history.push(now);
    if (audit.history.length > 60) {
      audit.tightest61 = Math.min(audit.tightest61, now - (audit.history[audit.history.length - 61] as number));
    }
    audit.starts.push(now);
    while (audit.starts.length > 0 && (audit.starts[0] as number) <= now - 60_000) audit.starts.shift();
    audit.maxPerMinute = Math.max(audit.maxPerMinute, audit.starts.length);
    if (this.options.rateLimit !== 'rolling') return undefined;
    if (audit.inFlight <= 5 && audit.starts.length <= LIMITS.perMinute) return undefined;
    audit.violations += 1;
    audit.answered['429-limit'] = (audit.answered['429-limit'] ?? 0) + 1;
    return {
      'x-rate-limit-problem': audit.inFlight > 5 ? 'concurrent' : 'minute',
      'retry-after': '5',
      'x-minlimit-remaining': String(Math.max(0, LIMITS.perMinute - audit.starts.length)),
    };
  }

  /** Count a call: per tenant a fixed minute window and a day, per app a minute
   * (https://developer.xero.com/documentation/guides/oauth2/limits/). */
  private limits(
    tenant: Tenant,
    audit?: XeroTenantAudit,
  ): { headers: Record<string, string>; problem?: string; retryAfterS?: number } {
    const at = Date.now();
    while (at - tenant.minute.start >= 60_000) tenant.minute = { start: tenant.minute.start + 60_000, used: 0 };
    if (at - this.appMinute.start >= 60_000) this.appMinute = { start: at, used: 0 };
    const headers = () => ({
      'x-minlimit-remaining': String(
        Math.max(
          0,
          LIMITS.perMinute - (this.options.rateLimit === 'rolling' && audit ? audit.starts.length : tenant.minute.used),
        ),
      ),
      'x-daylimit-remaining': String(Math.max(0, LIMITS.perDay - tenant.day)),
      'x-appminlimit-remaining': String(Math.max(0, LIMITS.appPerMinute - this.appMinute.used)),
    });
    const untilNextMinute = Math.max(1, Math.ceil((tenant.minute.start + 60_000 - at) / 1000));
    if (this.options.rateLimit !== 'rolling' && tenant.minute.used >= LIMITS.perMinute) {
      return { headers: headers(), problem: 'minute', retryAfterS: untilNextMinute };
    }
    if (this.apiRandom() < (this.options.throttleRate ?? 0.03)) {
      // As if another process of the same app had just used the tenant's minute: a short Retry-After.
      return { headers: { ...headers(), 'x-minlimit-remaining': '0' }, problem: 'minute', retryAfterS: 1 };
    }
    tenant.minute.used += 1;
    tenant.day += 1;
    this.appMinute.used += 1;
    return { headers: headers() };
  }

  /** `POST /connect/token`, `grant_type=refresh_token`, HTTP Basic client auth;
   * rotating refresh tokens (https://developer.xero.com/faq/oauth2). */
  private async token(request: FakeApiRequest, response: FakeApiResponse): Promise<void> {
    this.counters.tokenRequests += 1;
    const form = new URLSearchParams(await readBody(request));
    const basic = `Basic ${btoa(`${this.options.clientId}:${this.options.clientSecret}`)}`;
    if (requestHeader(request, 'authorization') !== basic) {
      sendJson(response, 400, { error: 'invalid_client' });
      return;
    }
    if (this.apiRandom() < (this.options.faults?.tokenErrorRate ?? 0)) {
      this.counters.tokenErrors += 1;
      sendJson(response, 503, { error: 'temporarily_unavailable' });
      return;
    }
    const presented = form.get('refresh_token') ?? '';
    const validUntil = this.refreshTokens.get(presented);
    if (form.get('grant_type') !== 'refresh_token' || validUntil === undefined || validUntil < Date.now()) {
      // RFC 6749 §5.2, as the connector expects (xero-oauth.ts).
      sendJson(response, 400, { error: 'invalid_grant' });
      return;
    }
    this.tokenRefreshes += 1;
    // The used refresh token keeps working for 30 minutes, in case this answer is lost (https://developer.xero.com/faq/oauth2).
    this.refreshTokens.set(presented, Math.min(validUntil, Date.now() + REFRESH_GRACE_MS));
    const accessToken = `demo-access-${this.uuid(this.apiRandom)}`;
    this.accessTokens.set(accessToken, Date.now() + this.accessTokenSeconds() * 1000);
    const sample = this.fixture('api-token.1.json');
    sendJson(response, 200, {
      ...sample,
      access_token: accessToken,
      expires_in: this.accessTokenSeconds(),
      refresh_token: this.issueRefreshToken(this.apiRandom),
    });
  }

  // -- Truth ------------------------------------------------------------------------

  expected(): ExpectedTable[] {
    const tables: Record<Entity, ExpectedTable> = {
      contact: {
        table: 'xero_contacts',
        keyColumns: ['tenant_id', 'id'],
        columns: ['name', 'email', 'contact_status'],
        rows: [],
      },
      invoice: {
        table: 'xero_invoices',
        keyColumns: ['tenant_id', 'id'],
        columns: ['invoice_number', 'reference', 'status', 'total', 'amount_due'],
        rows: [],
      },
      credit_note: {
        table: 'xero_credit_notes',
        keyColumns: ['tenant_id', 'id'],
        columns: ['credit_note_number', 'type', 'status', 'total'],
        rows: [],
      },
      payment: {
        table: 'xero_payments',
        keyColumns: ['tenant_id', 'id'],
        columns: ['status', 'amount', 'invoice_id'],
        rows: [],
      },
      bank_transaction: {
        table: 'xero_bank_transactions',
        keyColumns: ['tenant_id', 'id'],
        columns: ['type', 'status', 'total'],
        rows: [],
      },
    };
    for (const [tenantId, tenant] of this.data) {
      for (const entity of ENTITIES) {
        for (const stored of tenant.records[entity].values()) {
          const r = stored.record;
          const values: Record<Entity, Json> = {
            contact: {
              name: r.Name,
              email: String(r.EmailAddress).trim().toLowerCase(),
              contact_status: r.ContactStatus,
            },
            invoice: {
              invoice_number: r.InvoiceNumber,
              reference: r.Reference,
              status: r.Status,
              total: r.Total,
              amount_due: r.AmountDue,
            },
            credit_note: { credit_note_number: r.CreditNoteNumber, type: r.Type, status: r.Status, total: r.Total },
            payment: { status: r.Status, amount: r.Amount, invoice_id: (r.Invoice as Json | undefined)?.InvoiceID },
            bank_transaction: { type: r.Type, status: r.Status, total: r.Total },
          };
          tables[entity].rows.push({
            key: { tenant_id: tenantId, id: stored.id },
            values: values[entity],
            version: stored.updatedMs,
            deleted: false,
          });
        }
      }
    }
    return Object.values(tables);
  }

  apiSummary(): string {
    return `${this.apiRequests} API requests (X-MinLimit/DayLimit/AppMinLimit-Remaining on each, ${this.tooMany}×429 with Retry-After), ${this.tokenRefreshes} token refreshes`;
  }
}

/** A fake Xero: webhooks signed with `options.webhookKey`, the API and the token endpoint of `options.clientId`. */
export function createXeroFake(options: XeroFakeOptions): XeroFake {
  return new XeroFake(options);
}
