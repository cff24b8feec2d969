/**
 * A stand-in for the provider: it owns the "true" records, sends signed
 * webhooks about their changes (with the duplicates, reordering and bursts
 * real providers produce), and answers the listing API the poller calls.
 *
 * The provider is the connector gmail's fictional "Gmail"; its wire
 * format is whatever `@act/connector-gmail` documents, nothing more.
 */
import type {
  ExpectedTable,
  FakeApiRequest,
  FakeApiResponse,
  FakeDelivery,
  FakeDeliveryKind,
} from '@act/connector-kit/testing/fake';
import { FakeProviderBase, requestHeader } from '@act/connector-kit/testing/fake';
import { signGmailBody } from './signer';

export interface SimulatedRecord {
  id: string;
  name: string;
  email: string | null;
  status: 'active' | 'paused' | 'archived';
  updated_at: string;
}

const STATUSES = ['active', 'paused', 'archived'] as const;

type GmailDelivery = { body: string; account: string; kind: FakeDeliveryKind };

export class GmailFake extends FakeProviderBase {
  readonly source = 'gmail';
  readonly title = 'Gmail (simulated)';
  private readonly secret: string;
  /** account → record id → record; deleted records are removed. */
  readonly accounts = new Map<string, Map<string, SimulatedRecord>>();
  readonly deleted = new Map<string, Set<string>>();
  private clock: number;
  private sequence = 0;

  private readonly runId: string;

  constructor(accountIds: readonly string[], random: () => number, runId: string, secret: string, start = Date.now()) {
    super({ tenants: accountIds, random });
    this.secret = secret;
    this.runId = runId;
    this.clock = start;
    for (const account of accountIds) {
      this.accounts.set(account, new Map());
      this.deleted.set(account, new Set());
    }
  }

  private tick(): string {
    this.clock += 1_000 + Math.floor(this.random() * 1_000);
    return new Date(this.clock).toISOString();
  }

  private person(): Pick<SimulatedRecord, 'name' | 'email'> {
    const { first, last } = this.personName();
    // Mixed case and stray spaces on purpose: the connector normalises emails.
    const email = this.random() < 0.15 ? null : ` ${first}.${last}@Example.com `.replace(/-/g, '');
    return { name: `${first} ${last}`, email };
  }

  /** Records that exist before the demo starts: only the poller's backfill can find them. */
  protected seedRecords(account: string): void {
    this.create(account);
  }

  private create(account: string): SimulatedRecord {
    this.sequence += 1;
    const record: SimulatedRecord = {
      id: `rec_${this.runId}_${account.slice(-3)}_${String(this.sequence).padStart(4, '0')}`,
      ...this.person(),
      status: 'active',
      updated_at: this.tick(),
    };
    this.accounts.get(account)?.set(record.id, record);
    return record;
  }

  private envelope(account: string, type: string, record: SimulatedRecord, at: string): string {
    this.sequence += 1;
    return JSON.stringify({
      id: `evt_${this.runId}_${String(this.sequence).padStart(6, '0')}`,
      type,
      account_id: account,
      created_at: at,
      data: { object: record },
    });
  }

  /** The next change at the provider, as signed webhook deliveries. */
  async next(): Promise<FakeDelivery[]> {
    return Promise.all(
      this.nextChange().map(async (delivery) => ({
        source: this.source,
        body: delivery.body,
        headers: {
          'content-type': 'application/json',
          'x-gmail-signature': await signGmailBody(this.secret, delivery.body),
        },
        kind: delivery.kind,
      })),
    );
  }

  private nextChange(): GmailDelivery[] {
    const account = this.pick(this.tenants);
    const records = this.accounts.get(account) as Map<string, SimulatedRecord>;
    const roll = this.random();
    const deliveries: GmailDelivery[] = [];
    if (records.size < 3 || roll < 0.3) {
      const record = this.create(account);
      deliveries.push({
        body: this.envelope(account, 'record.created', record, record.updated_at),
        account,
        kind: 'created',
      });
    } else if (roll < 0.92) {
      const current = this.pick([...records.values()]);
      const before = this.envelope(account, 'record.updated', { ...current }, current.updated_at);
      const updated: SimulatedRecord = {
        ...current,
        ...(this.random() < 0.5 ? this.person() : {}),
        status: this.pick(STATUSES),
        updated_at: this.tick(),
      };
      records.set(updated.id, updated);
      deliveries.push({
        body: this.envelope(account, 'record.updated', updated, updated.updated_at),
        account,
        kind: 'updated',
      });
      // Now and then an older update arrives after the newer one.
      if (this.random() < 0.12) deliveries.push({ body: before, account, kind: 'out-of-order' });
    } else {
      const victim = this.pick([...records.values()]);
      records.delete(victim.id);
      this.deleted.get(account)?.add(victim.id);
      const at = this.tick();
      deliveries.push({
        body: this.envelope(account, 'record.deleted', { ...victim, updated_at: at }, at),
        account,
        kind: 'deleted',
      });
    }
    // Providers redeliver: the same delivery id and body again.
    const first = deliveries[0] as GmailDelivery;
    if (this.random() < 0.1) deliveries.push({ ...first, kind: 'duplicate' });
    this.sentCount += deliveries.length;
    return deliveries;
  }

  expected(): ExpectedTable[] {
    const table: ExpectedTable = {
      table: 'gmail_records',
      keyColumns: ['account_id', 'id'],
      columns: ['name', 'email', 'status'],
      rows: [],
    };
    for (const [account, records] of this.accounts) {
      for (const record of records.values()) {
        table.rows.push({
          key: { account_id: account, id: record.id },
          // The connector trims and lower-cases emails.
          values: { name: record.name, email: record.email?.trim().toLowerCase() ?? null, status: record.status },
          deleted: false,
        });
      }
      for (const id of this.deleted.get(account) ?? [])
        table.rows.push({ key: { account_id: account, id }, values: {}, deleted: true });
    }
    return [table];
  }

  apiSummary(): string {
    return `${this.apiRequests} API requests`;
  }

  /**
   * The listing API the gmail poller calls:
   * `GET /v1/accounts/{account}/records?limit=&updated_since=&cursor=`, oldest first,
   * `next_cursor` for the next page, rate-limit headers on every answer.
   */
  handleApi(request: FakeApiRequest, response: FakeApiResponse, path: string): void {
    this.apiRequests += 1;
    const url = new URL(path, 'http://localhost');
    const match = url.pathname.match(/^\/v1\/accounts\/([^/]+)\/records(?:\/([^/]+))?$/);
    const send = (status: number, body: unknown) => {
      response.writeHead(status, {
        'content-type': 'application/json',
        'x-ratelimit-limit': '100',
        'x-ratelimit-remaining': '99',
      });
      response.end(JSON.stringify(body));
    };
    if (requestHeader(request, 'authorization') !== 'Bearer demo-token') {
      send(401, { error: 'unauthorized' });
      return;
    }
    const records = match ? this.accounts.get(decodeURIComponent(match[1] as string)) : undefined;
    if (!match || !records) {
      send(404, { error: 'not found' });
      return;
    }
    if (match[2]) {
      const record = records.get(decodeURIComponent(match[2]));
      if (record) send(200, record);
      else send(404, { error: 'record not found' });
      return;
    }
    const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 100));
    const since = url.searchParams.get('updated_since');
    const offset = Number(url.searchParams.get('cursor') ?? 0);
    const listing = [...records.values()]
      .filter((record) => !since || record.updated_at >= since)
      .sort((a, b) => a.updated_at.localeCompare(b.updated_at) || a.id.localeCompare(b.id));
    const page = listing.slice(offset, offset + limit);
    send(200, { records: page, next_cursor: offset + limit < listing.length ? String(offset + limit) : null });
  }
}

export interface GmailFakeOptions {
  accounts: readonly string[];
  random: () => number;
  /** Marks this run's records (names), so two runs against one database do not collide. */
  runId: string;
  /** The signing secret of its deliveries (the connector's GMAIL_WEBHOOK_SECRET). */
  secret: string;
  /** The fake's clock start, epoch ms. */
  start?: number;
}

/** A fake Gmail: its API answers `Authorization: Bearer demo-token`. */
export function createGmailFake(options: GmailFakeOptions): GmailFake {
  return new GmailFake(options.accounts, options.random, options.runId, options.secret, options.start);
}
