// The @act dashboard page: no framework, no build step. Every value that
// came from a provider or the database reaches the DOM through textContent
// or a numeric SVG attribute, never as HTML.

const FEED_LIMIT = 100;
const REFRESH_MS = 2000;
const SVG_NS = 'http://www.w3.org/2000/svg';

const $ = (id) => document.getElementById(id);

/** Build an element; `text` and attributes are set as text, never parsed. */
function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
  if (options.className) node.className = options.className;
  if (options.title) node.title = String(options.title);
  if (options.data) for (const [key, value] of Object.entries(options.data)) node.dataset[key] = String(value);
  for (const child of children) node.append(child);
  return node;
}

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

function duration(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

function clock(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '–' : date.toLocaleTimeString([], { hour12: false });
}

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

/** Run `task` at most once per `ms`, trailing calls folded into one. */
function throttle(task, ms) {
  let timer = null;
  let again = false;
  return () => {
    if (timer) {
      again = true;
      return;
    }
    task();
    timer = setTimeout(() => {
      timer = null;
      if (again) {
        again = false;
        task();
      }
    }, ms);
  };
}

// ---- live feed ----------------------------------------------------------

const feedBody = () => $('feed').tBodies[0];
const shown = new Set();

// Not the row id: events read from the log (the history) carry none.
function eventKey(event) {
  return [
    event.source,
    event.tenant,
    event.deliveryId,
    event.correlationId,
    event.type,
    event.entityId,
    event.createdAt,
  ].join('|');
}

function feedRow(event) {
  const entity = `${event.entity}:${event.entityId}`;
  const summary = event.summary ? JSON.stringify(event.summary) : '';
  return el(
    'tr',
    {
      className: `outcome-${event.outcome}`,
      data: {
        entityId: event.entityId,
        source: event.source,
        tenant: event.tenant,
        outcome: event.outcome,
        createdAt: event.createdAt,
        key: eventKey(event),
      },
    },
    [
      el('td', { text: clock(event.createdAt), title: event.createdAt }),
      el('td', { text: event.source }),
      el('td', { text: event.tenant }),
      el('td', { text: event.type }),
      el('td', { text: entity, title: summary, className: 'entity' }),
      el('td', { text: event.outcome, className: 'outcome' }),
      el('td', { text: duration(event.latencyMs), className: 'number' }),
      el('td', { text: event.triggeredBy }),
    ],
  );
}

function addEvent(event, { live }) {
  const key = eventKey(event);
  if (shown.has(key)) return;
  shown.add(key);
  const row = feedRow(event);
  if (live) row.classList.add('fresh');
  // Newest first: history and reconnect catch-up slot in by commit time.
  const body = feedBody();
  const at = Date.parse(event.createdAt);
  const before = [...body.rows].find((other) => Date.parse(other.dataset.createdAt) < at);
  body.insertBefore(row, before ?? null);
  while (body.rows.length > FEED_LIMIT) body.deleteRow(body.rows.length - 1);
  if (shown.size > FEED_LIMIT * 20) {
    shown.clear();
    for (const kept of body.rows) shown.add(kept.dataset.key);
  }
}

async function loadFeed() {
  const { events } = await getJson(`/dashboard/events?limit=${FEED_LIMIT}`);
  for (const event of events) addEvent(event, { live: false });
}

function connect() {
  const status = $('connection');
  const source = new EventSource('/dashboard/stream');
  source.addEventListener('ready', (message) => {
    const { mode } = JSON.parse(message.data);
    status.dataset.state = 'live';
    status.textContent = mode === 'poll' ? 'live (polling)' : 'live';
    // Whatever committed while we were away.
    loadFeed().catch(report);
  });
  source.addEventListener('integration', (message) => {
    addEvent(JSON.parse(message.data), { live: true });
    refreshSoon();
  });
  source.addEventListener('feed-error', () => {
    status.dataset.state = 'down';
    status.textContent = 'live feed unavailable';
  });
  source.addEventListener('error', () => {
    status.dataset.state = 'connecting';
    status.textContent = 'reconnecting…';
  });
}

// ---- freshness and inbox ------------------------------------------------

async function loadHealth() {
  const health = await getJson('/dashboard/health');
  $('inbox-pending').textContent = String(health.inbox.pending);
  $('inbox-processing').textContent = String(health.inbox.processing);
  $('inbox-dead').textContent = String(health.inbox.dead);
  $('inbox-oldest').textContent = duration(health.inbox.oldestPendingAgeMs);
  $('inbox-conflicts').textContent = String(health.inbox.conflicts ?? 0);
  const rows = health.rows.map((row) =>
    el('tr', { data: { source: row.source, tenant: row.tenant ?? '', status: row.status } }, [
      el('td', {}, [
        el('span', {
          className: `status status-${row.status}`,
          text: row.status,
          title: row.reason ?? 'within target',
        }),
      ]),
      el('td', { text: row.source }),
      el('td', { text: row.tenant ?? '—' }),
      el('td', { text: duration(row.lagMs), className: 'number' }),
      el('td', {
        text: duration(row.targetMs),
        className: 'number',
        title: row.targetFrom === 'connector' ? "the connector's target" : 'default target',
      }),
      el('td', {
        text: row.lastEventAgeMs === null ? '–' : `${duration(row.lastEventAgeMs)} ago`,
        className: 'number',
      }),
      el('td', { text: `${duration(row.latencyP50Ms)} / ${duration(row.latencyP95Ms)}`, className: 'number' }),
      el('td', { text: row.pending, className: 'number' }),
      el('td', { text: row.processing, className: 'number' }),
      el('td', { text: row.dead, className: 'number' }),
      el('td', { text: row.eventsLastHour, className: 'number' }),
    ]),
  );
  $('freshness').tBodies[0].replaceChildren(...rows);
  // Reconnect required (red), lost deliveries (amber): what the figures above cannot show.
  const signals = (health.signals ?? []).map((signal) =>
    el('li', { data: { source: signal.source, tenant: signal.tenant, code: signal.code } }, [
      el('span', { className: `status status-${signal.status}`, text: signal.status }),
      el('span', { text: ` ${signal.source} · ${signal.tenant}: ${signal.message}` }),
    ]),
  );
  $('signals').replaceChildren(...signals);
}

// ---- sync (the scheduler) ----------------------------------------------

const ago = (ms) => (ms === null || ms === undefined ? 'never' : `${duration(ms)} ago`);

async function loadSync() {
  const { enabled, rows } = await getJson('/dashboard/sync');
  $('sync-section').hidden = !enabled;
  if (!enabled) return;
  $('sync-empty').hidden = rows.length > 0;
  $('sync').hidden = rows.length === 0;
  const body = rows.map((row) =>
    el('tr', { data: { source: row.source, tenant: row.tenant, stream: row.stream, status: row.status } }, [
      el('td', {}, [
        el('span', { className: `status status-${row.status}`, text: row.status, title: row.reason ?? 'fresh' }),
      ]),
      el('td', { text: row.source }),
      el('td', { text: row.tenant }),
      el('td', { text: row.stream === '' ? '—' : row.stream }),
      el('td', {
        text: row.mode ?? 'polling only',
        title: row.mode === 'polling' ? 'webhooks quiet: the fallback pollers run' : '',
      }),
      el('td', { text: row.mode === null ? '–' : ago(row.lastWebhookAgeMs), className: 'number' }),
      el('td', { text: row.stream === '' ? '–' : ago(row.lastPollAgeMs), className: 'number' }),
      el('td', { text: ago(row.lastReconcileAgeMs), className: 'number' }),
      el('td', { text: duration(row.quietAfterMs), className: 'number' }),
    ]),
  );
  $('sync').tBodies[0].replaceChildren(...body);
}

// ---- dead letters -------------------------------------------------------

async function replay(id, button) {
  button.disabled = true;
  button.textContent = 'replaying…';
  try {
    const response = await fetch(`/dashboard/dead-letters/${encodeURIComponent(id)}/replay`, {
      method: 'POST',
      headers: { 'x-act-dashboard': 'replay' },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
    button.textContent = 'queued';
  } catch (error) {
    button.disabled = false;
    button.textContent = 'Replay';
    button.title = String(error.message ?? error);
  }
  await Promise.all([loadDead(), loadHealth()]).catch(report);
}

async function loadDead() {
  const { deadLetters } = await getJson('/dashboard/dead-letters?limit=50');
  const rows = deadLetters.map((dead) => {
    const button = el('button', { text: 'Replay', className: 'replay', data: { id: dead.id } });
    button.type = 'button';
    button.addEventListener('click', () => replay(dead.id, button));
    return el('tr', { data: { id: dead.id } }, [
      el('td', { text: dead.id }),
      el('td', { text: dead.source }),
      el('td', { text: dead.tenant }),
      el('td', { text: dead.eventTypes.join(', ') }),
      el('td', {
        text: `${dead.lastErrorClass ?? 'error'}: ${dead.lastError ?? ''}`,
        title: `${dead.attempts} attempt(s), correlation ${dead.correlationId}`,
        className: 'error',
      }),
      el('td', { text: clock(dead.receivedAt), title: dead.receivedAt }),
      el('td', {}, [button]),
    ]);
  });
  $('dead-letters').tBodies[0].replaceChildren(...rows);
  $('dead-empty').hidden = rows.length > 0;
  $('dead-letters').hidden = rows.length === 0;
}

// ---- outbox ---------------------------------------------------------------

async function replayOutbox(id, button) {
  button.disabled = true;
  button.textContent = 'replaying…';
  try {
    const response = await fetch(`/dashboard/outbox/${encodeURIComponent(id)}/replay`, {
      method: 'POST',
      headers: { 'x-act-dashboard': 'replay' },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
    button.textContent = 'queued';
  } catch (error) {
    button.disabled = false;
    button.textContent = 'Replay';
    button.title = String(error.message ?? error);
  }
  await loadOutbox().catch(report);
}

async function loadOutbox() {
  const { enabled, destinations, dead } = await getJson('/dashboard/outbox?limit=50');
  $('outbox-section').hidden = !enabled;
  if (!enabled) return;
  $('outbox-empty').hidden = destinations.length > 0;
  $('outbox').hidden = destinations.length === 0;
  $('outbox').tBodies[0].replaceChildren(
    ...destinations.map((row) =>
      el('tr', { data: { destination: row.destination, status: row.status } }, [
        el('td', {}, [
          el('span', { className: `status status-${row.status}`, text: row.status, title: row.reason ?? '' }),
        ]),
        el('td', { text: row.destination }),
        el('td', { text: row.pending, className: 'number' }),
        el('td', { text: row.processing, className: 'number' }),
        el('td', { text: row.dead, className: 'number' }),
        el('td', { text: duration(row.oldestWaitingAgeMs), className: 'number' }),
        el('td', {
          text: row.lastError ?? '–',
          title: row.lastErrorAt ?? '',
          className: row.lastError ? 'error' : '',
        }),
        el('td', { text: row.lastDoneAt ? clock(row.lastDoneAt) : '–', title: row.lastDoneAt ?? '' }),
      ]),
    ),
  );
  $('outbox-dead').hidden = dead.length === 0;
  $('outbox-dead').tBodies[0].replaceChildren(
    ...dead.map((message) => {
      const button = el('button', { text: 'Replay', className: 'replay', data: { id: message.id } });
      button.type = 'button';
      button.addEventListener('click', () => replayOutbox(message.id, button));
      return el('tr', { data: { id: message.id, destination: message.destination } }, [
        el('td', { text: message.id, title: message.key }),
        el('td', { text: message.destination }),
        el('td', { text: message.tenant ?? '–' }),
        el('td', { text: message.attempts, className: 'number' }),
        el('td', { text: `${message.lastErrorClass ?? 'error'}: ${message.lastError ?? ''}`, className: 'error' }),
        el('td', { text: clock(message.createdAt), title: message.createdAt }),
        el('td', {}, [button]),
      ]);
    }),
  );
}

// ---- conflicting redeliveries -------------------------------------------

async function loadConflicts() {
  const { conflicts } = await getJson('/dashboard/conflicts?limit=50');
  const rows = conflicts.map((conflict) =>
    el('tr', { data: { id: conflict.id, conflictOf: conflict.conflictOf ?? '' } }, [
      el('td', { text: conflict.id }),
      el('td', { text: conflict.conflictOf ?? '–' }),
      el('td', { text: conflict.source }),
      el('td', { text: conflict.tenant }),
      el('td', { text: conflict.eventTypes.join(', ') }),
      el('td', { text: conflict.status }),
      el('td', { text: clock(conflict.receivedAt), title: conflict.receivedAt }),
    ]),
  );
  $('conflicts').tBodies[0].replaceChildren(...rows);
  $('conflicts-empty').hidden = rows.length > 0;
  $('conflicts').hidden = rows.length === 0;
}

// ---- latency chart ------------------------------------------------------

async function loadLatency() {
  const view = await getJson('/dashboard/latency');
  const chart = $('latency');
  const width = 640;
  const height = 180;
  const pad = { left: 52, right: 10, top: 10, bottom: 24 };
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const end = Date.now();
  const start = end - view.windowMs;
  const max = Math.max(10, ...view.points.map((point) => point.p99Ms));
  const x = (iso) =>
    pad.left + Math.min(1, Math.max(0, (new Date(iso).getTime() + view.bucketMs / 2 - start) / view.windowMs)) * innerW;
  const y = (ms) => pad.top + innerH - (ms / max) * innerH;

  const nodes = [
    svg('line', { x1: pad.left, y1: pad.top + innerH, x2: width - pad.right, y2: pad.top + innerH, class: 'axis' }),
    svg('line', { x1: pad.left, y1: pad.top, x2: pad.left, y2: pad.top + innerH, class: 'axis' }),
  ];
  for (const fraction of [0, 0.5, 1]) {
    const label = svg('text', { x: pad.left - 6, y: y(max * fraction) + 4, 'text-anchor': 'end', class: 'tick' });
    label.textContent = duration(max * fraction);
    nodes.push(label);
  }
  const minutes = Math.round(view.windowMs / 60_000);
  const axis = svg('text', { x: pad.left, y: height - 6, class: 'tick' });
  axis.textContent = `last ${minutes} min, ${Math.round(view.bucketMs / 1000)} s buckets`;
  nodes.push(axis);
  for (const [key, className] of [
    ['p99Ms', 'p99'],
    ['p50Ms', 'p50'],
  ]) {
    if (view.points.length === 0) continue;
    const points = view.points.map((point) => `${x(point.at).toFixed(1)},${y(point[key]).toFixed(1)}`).join(' ');
    nodes.push(svg('polyline', { points, class: `line ${className}` }));
    for (const point of view.points) {
      const dot = svg('circle', {
        cx: x(point.at).toFixed(1),
        cy: y(point[key]).toFixed(1),
        r: 2.5,
        class: `dot ${className}`,
      });
      const title = svg('title');
      title.textContent = `${clock(point.at)}: ${className} ${duration(point[key])} (${point.count} events)`;
      dot.append(title);
      nodes.push(dot);
    }
  }
  if (view.points.length === 0) {
    const empty = svg('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'tick' });
    empty.textContent = 'no events in the window yet';
    nodes.push(empty);
  }
  chart.replaceChildren(...nodes);
}

// ---- wiring -------------------------------------------------------------

function report(error) {
  console.warn('[act dashboard]', error);
}

const refreshAll = () =>
  Promise.all([loadHealth(), loadSync(), loadOutbox(), loadDead(), loadConflicts(), loadLatency()]).catch(report);
const refreshSoon = throttle(refreshAll, 500);

connect();
refreshAll();
setInterval(refreshAll, REFRESH_MS);
