/**
 * A fake GoHighLevel (LeadConnector API v2), shared by the demo, the chaos harness and tests: Marketplace
 * webhooks signed with Ed25519, and the API the connector's pollers call.
 *
 * Everything here follows GHL's documentation and the documented samples
 * embedded in ./fixtures (test/fixtures/README.md lists their sources):
 * - payloads are flat, `type` + `locationId` + the entity fields, plus the
 *   envelope's `timestamp` and `webhookId`
 *   (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/WebhookAuthentication.md);
 *   appointments nest under `appointment`; contact payloads carry no `dateUpdated`
 *   (https://github.com/GoHighLevel/highlevel-api-docs/tree/main/docs/webhook%20events);
 * - `x-ghl-signature`: base64 Ed25519 signature of the body bytes. GHL signs
 *   with its own key; the demo generates a key pair at start and configures
 *   the connector with the public half (`webhook.ed25519PublicKeys`);
 * - opportunity changes come in pairs with an `OpportunityUpdate`, including
 *   an update after a delete (https://github.com/GoHighLevel/highlevel-api-docs/issues/27);
 *   ContactDelete carries the full last snapshot;
 * - no ordering guarantee, duplicates to be deduped on `webhookId`;
 * - API: `POST /contacts/search`, `GET /opportunities/search` (meta.startAfter /
 *   startAfterId), `GET /opportunities/pipelines`, `GET /calendars/`,
 *   `GET /calendars/events` (https://github.com/GoHighLevel/highlevel-api-docs/tree/main/apps),
 *   with `Authorization: Bearer` and `Version`, and the `X-RateLimit-*`
 *   headers of 100 requests / 10 s and 200,000 / day per app and location
 *   (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/Authorization.md);
 *   past the burst budget the answer is 429.
 * The contact search body and answer are documented only on ClickUp; their
 * shapes here are the third-party reading the connector also follows (a third-party migration note on the Contacts Search API).
 */
import type { ExpectedTable, FakeApiRequest, FakeApiResponse, FakeDelivery } from '@act/connector-kit/testing/fake';
import { bytesToBase64, FakeProviderBase, readBody, requestHeader, sendJson } from '@act/connector-kit/testing/fake';
import { FIXTURES } from './fixtures';

type Json = Record<string, unknown>;

interface Contact {
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  tags: string[];
  dateAdded: string;
  /** The time of the last change: the API's `dateUpdated`, the webhook's `timestamp`. */
  updatedMs: number;
}

interface Opportunity {
  id: string;
  name: string;
  contactId: string;
  pipelineId: string;
  pipelineStageId: string;
  status: 'open' | 'won' | 'lost' | 'abandoned';
  monetaryValue: number;
  assignedTo: string;
  createdMs: number;
  updatedMs: number;
}

interface Appointment {
  id: string;
  calendarId: string;
  contactId: string;
  title: string;
  appointmentStatus: 'confirmed' | 'cancelled' | 'showed';
  startMs: number;
  dateAdded: string;
  updatedMs: number;
}

interface Location {
  contacts: Map<string, Contact>;
  deletedContacts: Map<string, number>;
  opportunities: Map<string, Opportunity>;
  deletedOpportunities: Map<string, number>;
  appointments: Map<string, Appointment>;
  pipeline: Json;
  stages: string[];
  calendar: Json;
}

const TAGS = ['lead', 'Customer', ' VIP ', 'newsletter', 'webinar-2026', 'vip'];
const OPPORTUNITY_STATUSES = ['open', 'won', 'lost', 'abandoned'] as const;
/** GHL documents 100 requests per 10 s per app and location
 * (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/Authorization.md). */
const BURST = { max: 100, intervalMs: 10_000 };
const DAILY = 200_000;

const iso = (ms: number) => new Date(ms).toISOString();
const normaliseTags = (tags: readonly string[]) =>
  [...new Set(tags.map((tag) => tag.trim().toLowerCase()).filter((tag) => tag !== ''))].sort();

export interface GhlFakeOptions {
  locations: readonly string[];
  random: () => number;
  /** The PIT the API accepts (`Authorization: Bearer …`). */
  token: string;
}

export class GhlFake extends FakeProviderBase {
  readonly source = 'ghl';
  readonly title = 'GoHighLevel (simulated)';
  private tooMany = 0;
  private readonly token: string;
  private readonly locations = new Map<string, Location>();
  private readonly budgets = new Map<string, { windowStart: number; used: number; day: number }>();
  private keys: CryptoKeyPair | undefined;
  /** The SPKI PEM of the demo's Ed25519 key: configure the connector with it. */
  publicKeyPem = '';

  constructor(options: GhlFakeOptions) {
    super({ tenants: options.locations, random: options.random, fixtures: FIXTURES });
    this.token = options.token;
    // Pipelines and calendars as the documented samples show them, one each per location.
    const pipeline = this.fixture<{ pipelines: Json[] }>('api-pipelines.1.json').pipelines[0] as Json;
    const calendar = this.fixture<{ calendars: Json[] }>('api-calendars.1.json').calendars[0] as Json;
    for (const locationId of options.locations) {
      this.locations.set(locationId, {
        contacts: new Map(),
        deletedContacts: new Map(),
        opportunities: new Map(),
        deletedOpportunities: new Map(),
        appointments: new Map(),
        pipeline: { ...pipeline, id: this.alphanumericId(), locationId },
        // The opportunity sample's stage id, and two more in the same (UUID) form.
        stages: ['e93ba61a-53b3-45e7-985a-c7732dbcdb69', this.uuid(), this.uuid()],
        calendar: { ...calendar, id: this.alphanumericId(), locationId },
      });
    }
  }

  /** Generate the demo's signing key pair (Web Crypto Ed25519). */
  async init(): Promise<void> {
    this.keys = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const spki = bytesToBase64(await crypto.subtle.exportKey('spki', this.keys.publicKey));
    this.publicKeyPem = `-----BEGIN PUBLIC KEY-----\n${spki}\n-----END PUBLIC KEY-----\n`;
  }

  private location(id: string): Location {
    return this.locations.get(id) as Location;
  }

  // -- The provider's records ------------------------------------------------

  private newContact(at: number): Contact {
    const { first, last } = this.personName();
    return {
      id: this.alphanumericId(),
      firstName: first,
      lastName: last,
      // Mixed case on purpose: the connector lower-cases emails.
      email: `${first}.${last.replace(/-/g, '')}@Example.com`,
      phone: `+1415${String(Math.floor(this.random() * 10_000_000)).padStart(7, '0')}`,
      tags: TAGS.filter(() => this.random() < 0.3),
      dateAdded: iso(at),
      updatedMs: at,
    };
  }

  /** A contact as the webhook sample shows it (ContactCreate.md), with this contact's values. */
  private contactPayload(locationId: string, contact: Contact): Json {
    const { type: _type, ...sample } = this.fixture('contact-create.1.json');
    return {
      ...sample,
      locationId,
      id: contact.id,
      name: `${contact.firstName} ${contact.lastName}`,
      firstName: contact.firstName,
      lastName: contact.lastName,
      email: contact.email,
      phone: contact.phone,
      tags: contact.tags,
      dateAdded: contact.dateAdded,
      assignedTo: null,
      customFields: [],
    };
  }

  private opportunityPayload(locationId: string, opportunity: Opportunity): Json {
    return {
      locationId,
      id: opportunity.id,
      assignedTo: opportunity.assignedTo,
      contactId: opportunity.contactId,
      monetaryValue: opportunity.monetaryValue,
      name: opportunity.name,
      pipelineId: opportunity.pipelineId,
      pipelineStageId: opportunity.pipelineStageId,
      source: 'demo form',
      status: opportunity.status,
      dateAdded: iso(opportunity.createdMs),
    };
  }

  private appointmentPayload(appointment: Appointment): Json {
    const sample = this.fixture<{ appointment: Json }>('appointment-create.1.json').appointment;
    return {
      ...sample,
      id: appointment.id,
      calendarId: appointment.calendarId,
      contactId: appointment.contactId,
      groupId: null,
      title: appointment.title,
      appointmentStatus: appointment.appointmentStatus,
      users: [],
      assignedUserId: null,
      startTime: iso(appointment.startMs),
      endTime: iso(appointment.startMs + 30 * 60_000),
      dateAdded: appointment.dateAdded,
      dateUpdated: iso(appointment.updatedMs),
    };
  }

  private createContact(locationId: string, at: number): Contact {
    const contact = this.newContact(at);
    this.location(locationId).contacts.set(contact.id, contact);
    return contact;
  }

  private createOpportunity(locationId: string, at: number): Opportunity | undefined {
    const location = this.location(locationId);
    const contacts = [...location.contacts.values()];
    if (contacts.length === 0) return undefined;
    const contact = this.pick(contacts);
    const opportunity: Opportunity = {
      id: this.alphanumericId(),
      name: `${contact.firstName} ${contact.lastName} – ${this.pick(['Website', 'Retainer', 'Audit', 'Workshop'])}`,
      contactId: contact.id,
      pipelineId: location.pipeline.id as string,
      pipelineStageId: location.stages[0] as string,
      status: 'open',
      monetaryValue: Math.round(this.random() * 5000),
      assignedTo: this.alphanumericId(),
      createdMs: at,
      updatedMs: at,
    };
    location.opportunities.set(opportunity.id, opportunity);
    return opportunity;
  }

  private createAppointment(locationId: string, at: number): Appointment | undefined {
    const location = this.location(locationId);
    const contacts = [...location.contacts.values()];
    if (contacts.length === 0) return undefined;
    const contact = this.pick(contacts);
    const appointment: Appointment = {
      id: this.alphanumericId(),
      calendarId: location.calendar.id as string,
      contactId: contact.id,
      title: `Call with ${contact.firstName} ${contact.lastName}`,
      appointmentStatus: 'confirmed',
      // Within the appointments poller's window (30 days back, 365 ahead).
      startMs: at + Math.floor(1 + this.random() * 14) * 86_400_000,
      dateAdded: iso(at),
      updatedMs: at,
    };
    location.appointments.set(appointment.id, appointment);
    return appointment;
  }

  protected seedRecords(locationId: string, index: number, at: number): void {
    this.createContact(locationId, at);
    if (index % 2 === 0) this.createOpportunity(locationId, at);
    if (index % 3 === 0) this.createAppointment(locationId, at);
  }

  // -- Deliveries ---------------------------------------------------------------

  private async deliver(
    type: string,
    locationId: string,
    fields: Json,
    at: number,
    kind: FakeDelivery['kind'],
  ): Promise<FakeDelivery> {
    const body = JSON.stringify({
      type,
      ...fields,
      locationId,
      // The envelope fields of WebhookAuthentication.md.
      timestamp: iso(at),
      webhookId: this.uuid(),
    });
    const signature = await crypto.subtle.sign(
      'Ed25519',
      (this.keys as CryptoKeyPair).privateKey,
      new TextEncoder().encode(body),
    );
    return {
      source: this.source,
      body,
      headers: { 'content-type': 'application/json', 'x-ghl-signature': bytesToBase64(signature) },
      kind,
    };
  }

  async next(): Promise<FakeDelivery[]> {
    if (!this.keys) await this.init();
    const locationId = this.pick(this.tenants);
    const location = this.location(locationId);
    const roll = this.random();
    const deliveries: FakeDelivery[] = [];
    const contacts = [...location.contacts.values()];
    const opportunities = [...location.opportunities.values()];

    if (contacts.length < 3 || roll < 0.2) {
      const at = this.now();
      const contact = this.createContact(locationId, at);
      deliveries.push(
        await this.deliver('ContactCreate', locationId, this.contactPayload(locationId, contact), at, 'created'),
      );
    } else if (roll < 0.45) {
      // A contact edited twice in quick succession; now and then GHL delivers the two out of order.
      const contact = this.pick(contacts);
      const edits: FakeDelivery[] = [];
      const times = this.random() < 0.15 ? 2 : 1;
      for (let edit = 0; edit < times; edit++) {
        const at = this.now();
        const tagEdit = this.random() < 0.4;
        if (tagEdit) contact.tags = TAGS.filter(() => this.random() < 0.35);
        else {
          const fresh = this.newContact(at);
          contact.firstName = fresh.firstName;
          contact.lastName = fresh.lastName;
          contact.email = fresh.email;
        }
        contact.updatedMs = at;
        const type = tagEdit ? 'ContactTagUpdate' : 'ContactUpdate';
        edits.push(await this.deliver(type, locationId, this.contactPayload(locationId, contact), at, 'updated'));
      }
      if (edits.length === 2) {
        edits.reverse();
        (edits[1] as FakeDelivery).kind = 'out-of-order';
      }
      deliveries.push(...edits);
    } else if (roll < 0.55) {
      const at = this.now();
      const opportunity = this.createOpportunity(locationId, at);
      if (opportunity) {
        const payload = this.opportunityPayload(locationId, opportunity);
        // A create arrives as OpportunityCreate + OpportunityUpdate (docs issue #27).
        deliveries.push(await this.deliver('OpportunityCreate', locationId, payload, at, 'created'));
        deliveries.push(await this.deliver('OpportunityUpdate', locationId, payload, at, 'updated'));
      }
    } else if (roll < 0.78 && opportunities.length > 0) {
      const opportunity = this.pick(opportunities);
      const at = this.now();
      const change = this.pick(['status', 'stage', 'value'] as const);
      let type: string;
      if (change === 'status') {
        opportunity.status = this.pick(OPPORTUNITY_STATUSES);
        type = 'OpportunityStatusUpdate';
      } else if (change === 'stage') {
        opportunity.pipelineStageId = this.pick(location.stages);
        type = 'OpportunityStageUpdate';
      } else {
        opportunity.monetaryValue = Math.round(this.random() * 5000);
        type = 'OpportunityMonetaryValueUpdate';
      }
      opportunity.updatedMs = at;
      const payload = this.opportunityPayload(locationId, opportunity);
      const pair = [
        await this.deliver(type, locationId, payload, at, 'updated'),
        await this.deliver('OpportunityUpdate', locationId, payload, at, 'updated'),
      ];
      if (this.random() < 0.5) pair.reverse();
      deliveries.push(...pair);
    } else if (roll < 0.88) {
      const appointments = [...location.appointments.values()];
      const at = this.now();
      if (appointments.length > 0 && this.random() < 0.6) {
        const appointment = this.pick(appointments);
        appointment.appointmentStatus = this.pick(['confirmed', 'cancelled', 'showed'] as const);
        appointment.updatedMs = at;
        const payload = { appointment: this.appointmentPayload(appointment) };
        deliveries.push(await this.deliver('AppointmentUpdate', locationId, payload, at, 'updated'));
      } else {
        const appointment = this.createAppointment(locationId, at);
        if (appointment) {
          const payload = { appointment: this.appointmentPayload(appointment) };
          deliveries.push(await this.deliver('AppointmentCreate', locationId, payload, at, 'created'));
        }
      }
    } else if (roll < 0.94 && opportunities.length > 0) {
      // A delete arrives as OpportunityDelete + OpportunityUpdate, the update possibly after it (docs issue #27).
      const opportunity = this.pick(opportunities);
      const at = this.now();
      location.opportunities.delete(opportunity.id);
      location.deletedOpportunities.set(opportunity.id, at);
      const payload = this.opportunityPayload(locationId, opportunity);
      deliveries.push(await this.deliver('OpportunityDelete', locationId, payload, at, 'deleted'));
      deliveries.push(await this.deliver('OpportunityUpdate', locationId, payload, at, 'out-of-order'));
    } else {
      // ContactDelete carries the full last snapshot.
      const contact = this.pick(contacts);
      const at = this.now();
      location.contacts.delete(contact.id);
      location.deletedContacts.set(contact.id, at);
      deliveries.push(
        await this.deliver('ContactDelete', locationId, this.contactPayload(locationId, contact), at, 'deleted'),
      );
    }
    // Redeliveries: the same webhookId and body again, deduped by the inbox.
    const first = deliveries[0];
    if (first && this.random() < 0.08) deliveries.push({ ...first, kind: 'duplicate' });
    this.sentCount += deliveries.length;
    return deliveries;
  }

  // -- The API ------------------------------------------------------------------

  /** Count a request against the location's budgets and answer the `X-RateLimit-*` headers
   * (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/Authorization.md). */
  private budget(locationId: string): { headers: Record<string, string>; exceeded: boolean } {
    const at = Date.now();
    let budget = this.budgets.get(locationId);
    if (!budget || at - budget.windowStart >= BURST.intervalMs) {
      budget = { windowStart: at, used: 0, day: budget?.day ?? 0 };
      this.budgets.set(locationId, budget);
    }
    const exceeded = budget.used >= BURST.max;
    if (!exceeded) {
      budget.used += 1;
      budget.day += 1;
    }
    return {
      exceeded,
      headers: {
        'x-ratelimit-limit-daily': String(DAILY),
        'x-ratelimit-daily-remaining': String(DAILY - budget.day),
        'x-ratelimit-interval-milliseconds': String(BURST.intervalMs),
        'x-ratelimit-max': String(BURST.max),
        'x-ratelimit-remaining': String(BURST.max - budget.used),
      },
    };
  }

  handleApi(request: FakeApiRequest, response: FakeApiResponse, path: string): void {
    void this.answer(request, response, path).catch((error: unknown) => {
      sendJson(response, 500, { statusCode: 500, message: String(error) });
    });
  }

  private async answer(request: FakeApiRequest, response: FakeApiResponse, path: string): Promise<void> {
    this.apiRequests += 1;
    const url = new URL(path, 'http://ghl.invalid');
    if (requestHeader(request, 'authorization') !== `Bearer ${this.token}`) {
      // The API's UnauthorizedDTO example (api-error-401.1.json).
      sendJson(response, 401, this.fixture('api-error-401.1.json'));
      return;
    }
    const body = request.method === 'POST' ? (JSON.parse((await readBody(request)) || '{}') as Json) : {};
    const locationId =
      (body.locationId as string | undefined) ??
      url.searchParams.get('locationId') ??
      url.searchParams.get('location_id') ??
      '';
    const location = this.locations.get(locationId);
    if (!location) {
      // Not documented (the connector only asks for the locations it is given): the error DTO's shape.
      sendJson(response, 403, {
        statusCode: 403,
        message: 'The token does not have access to this location',
        error: 'Forbidden',
      });
      return;
    }
    const { headers, exceeded } = this.budget(locationId);
    if (exceeded) {
      this.tooMany += 1;
      // Past the burst budget: 429 with the headers showing it spent (no Retry-After is documented:
      // https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/Authorization.md).
      sendJson(response, 429, { statusCode: 429, message: 'Too Many Requests', error: 'Too Many Requests' }, headers);
      return;
    }
    const route = `${request.method} ${url.pathname}`;
    if (route === 'POST /contacts/search') sendJson(response, 200, this.searchContacts(location, body), headers);
    else if (route === 'GET /opportunities/search')
      sendJson(response, 200, this.searchOpportunities(location, url), headers);
    else if (route === 'GET /opportunities/pipelines')
      sendJson(response, 200, { pipelines: [location.pipeline] }, headers);
    else if (route === 'GET /calendars/') sendJson(response, 200, { calendars: [location.calendar] }, headers);
    else if (route === 'GET /calendars/events')
      sendJson(response, 200, this.calendarEvents(locationId, location, url), headers);
    else sendJson(response, 404, { statusCode: 404, message: `Cannot ${route}`, error: 'Not Found' }, headers);
  }

  /**
   * `POST /contacts/search`: `pageLimit`, `filters` (`dateUpdated` range `gte`),
   * `sort` by `dateUpdated` ascending, `searchAfter` paging; answers
   * `{ contacts, total, searchAfter }` (the third-party reading of the shapes, as the connector reads them).
   */
  private searchContacts(location: Location, body: Json): Json {
    const limit = Math.min(500, Number(body.pageLimit ?? 20));
    const filters = (body.filters as Json[] | undefined) ?? [];
    const since = filters
      .filter((filter) => filter.field === 'dateUpdated' && filter.operator === 'range')
      .map((filter) => Date.parse(String((filter.value as Json | undefined)?.gte)))
      .find((ms) => Number.isFinite(ms));
    const after = Array.isArray(body.searchAfter) ? (body.searchAfter as [number, string]) : undefined;
    const listing = [...location.contacts.values()]
      .filter((contact) => since === undefined || contact.updatedMs >= since)
      .sort((a, b) => a.updatedMs - b.updatedMs || a.id.localeCompare(b.id))
      .filter(
        (contact) =>
          !after || contact.updatedMs > after[0] || (contact.updatedMs === after[0] && contact.id > after[1]),
      );
    const page = listing.slice(0, limit);
    const last = page[page.length - 1];
    const locationId = this.locationOf(location) as string;
    return {
      contacts: page.map((contact) => ({
        ...this.contactPayload(locationId, contact),
        dateUpdated: iso(contact.updatedMs),
      })),
      total: listing.length,
      ...(last ? { searchAfter: [last.updatedMs, last.id] } : {}),
    };
  }

  private locationOf(location: Location): string | undefined {
    for (const [id, candidate] of this.locations) if (candidate === location) return id;
    return undefined;
  }

  /** `GET /opportunities/search`: `limit` ≤ 100, `order=added_asc`, the `startAfter`/`startAfterId` cursor, `meta` as in the sample. */
  private searchOpportunities(location: Location, url: URL): Json {
    const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 20));
    const startAfter = url.searchParams.get('startAfter');
    const startAfterId = url.searchParams.get('startAfterId');
    const listing = [...location.opportunities.values()].sort(
      (a, b) => a.createdMs - b.createdMs || a.id.localeCompare(b.id),
    );
    const from = startAfterId
      ? listing.filter(
          (item) =>
            item.createdMs > Number(startAfter) || (item.createdMs === Number(startAfter) && item.id > startAfterId),
        )
      : listing;
    const page = from.slice(0, limit);
    const last = page[page.length - 1];
    const more = from.length > page.length;
    const locationId = this.locationOf(location) as string;
    const currentPage = Math.floor((listing.length - from.length) / limit) + 1;
    return {
      opportunities: page.map((item) => ({
        ...this.opportunityPayload(locationId, item),
        createdAt: iso(item.createdMs),
        updatedAt: iso(item.updatedMs),
      })),
      meta: {
        total: listing.length,
        nextPageUrl:
          more && last
            ? `${url.origin}${url.pathname}?location_id=${locationId}&startAfter=${last.createdMs}&startAfterId=${last.id}&limit=${limit}`
            : null,
        startAfterId: last?.id ?? null,
        startAfter: last?.createdMs ?? null,
        currentPage,
        nextPage: more ? currentPage + 1 : null,
        prevPage: currentPage > 1 ? currentPage - 1 : null,
      },
      aggregations: {},
    };
  }

  /** `GET /calendars/events`: the calendar's events whose start is in `startTime`…`endTime` (epoch ms), flat. */
  private calendarEvents(locationId: string, location: Location, url: URL): Json {
    const start = Number(url.searchParams.get('startTime'));
    const end = Number(url.searchParams.get('endTime'));
    const calendarId = url.searchParams.get('calendarId');
    const events = [...location.appointments.values()]
      .filter((item) => item.calendarId === calendarId && item.startMs >= start && item.startMs <= end)
      .map((item) => ({ ...this.appointmentPayload(item), locationId }));
    return { events };
  }

  // -- Truth --------------------------------------------------------------------

  expected(): ExpectedTable[] {
    const contacts: ExpectedTable = {
      table: 'ghl_contacts',
      keyColumns: ['location_id', 'id'],
      columns: ['first_name', 'last_name', 'email', 'tags'],
      rows: [],
    };
    const opportunities: ExpectedTable = {
      table: 'ghl_opportunities',
      keyColumns: ['location_id', 'id'],
      columns: ['name', 'status', 'pipeline_stage_id', 'monetary_value'],
      rows: [],
    };
    const appointments: ExpectedTable = {
      table: 'ghl_appointments',
      keyColumns: ['location_id', 'id'],
      columns: ['calendar_id', 'title', 'status'],
      rows: [],
    };
    const pipelines: ExpectedTable = {
      table: 'ghl_pipelines',
      keyColumns: ['location_id', 'id'],
      columns: ['name'],
      rows: [],
    };
    for (const [locationId, location] of this.locations) {
      const key = (id: string) => ({ location_id: locationId, id });
      for (const contact of location.contacts.values()) {
        contacts.rows.push({
          key: key(contact.id),
          values: {
            first_name: contact.firstName,
            last_name: contact.lastName,
            email: contact.email.trim().toLowerCase(),
            tags: normaliseTags(contact.tags),
          },
          version: contact.updatedMs,
          deleted: false,
        });
      }
      for (const id of location.deletedContacts.keys()) contacts.rows.push({ key: key(id), values: {}, deleted: true });
      for (const item of location.opportunities.values()) {
        opportunities.rows.push({
          key: key(item.id),
          values: {
            name: item.name,
            status: item.status,
            pipeline_stage_id: item.pipelineStageId,
            monetary_value: item.monetaryValue,
          },
          version: item.updatedMs,
          deleted: false,
        });
      }
      for (const id of location.deletedOpportunities.keys())
        opportunities.rows.push({ key: key(id), values: {}, deleted: true });
      for (const item of location.appointments.values()) {
        appointments.rows.push({
          key: key(item.id),
          values: { calendar_id: item.calendarId, title: item.title, status: item.appointmentStatus },
          version: item.updatedMs,
          deleted: false,
        });
      }
      pipelines.rows.push({
        key: key(location.pipeline.id as string),
        values: { name: location.pipeline.name },
        deleted: false,
      });
    }
    return [contacts, opportunities, appointments, pipelines];
  }

  apiSummary(): string {
    return `${this.apiRequests} API requests (X-RateLimit-* on each, ${this.tooMany}×429)`;
  }
}

/** A fake GoHighLevel: call `await fake.init()` for its signing key (`fake.publicKeyPem` for the connector). */
export function createGhlFake(options: GhlFakeOptions): GhlFake {
  return new GhlFake(options);
}
