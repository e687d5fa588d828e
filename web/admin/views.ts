import { chart } from './chart.js';
import { byId, el, replace, table, type Column } from './dom.js';
import { ago, duration } from './format.js';
import type { Delivery, NodeInfo, Overview, Sample, Session, Tenant } from './model.js';

/** What a row's "End session" button asks for. */
export type EndSession = (session: Session) => void;

/** Redraws every table and chart from one overview; the forms are left as they are. */
export function render(overview: Overview, endSession: EndSession): void {
  renderCharts(overview.metrics.samples, overview.metrics.nodeId);
  replace(byId('documents'), sessionsTable('Live documents', overview.documents, 'document', endSession));
  replace(byId('boards'), sessionsTable('Live boards', overview.boards, 'board', null));
  replace(byId('tenants'), tenantsTable(overview.tenants));
  replace(byId('apps'), appsTable(overview));
  replace(byId('nodes'), nodesTable(overview.nodes));
  replace(byId('deliveries'), deliveriesTable(overview.webhooks));
}

function renderCharts(samples: readonly Sample[], nodeId: string): void {
  byId('figures-node').textContent = `(node ${nodeId}, last ${samples.length} samples)`;
  const series = (pick: (sample: Sample) => number) => samples.map((sample) => ({ at: sample.at, value: pick(sample) }));
  replace(
    byId('charts'),
    el(
      'div',
      { class: 'chart-grid' },
      chart('Connections', '', series((sample) => sample.connections)),
      chart('Updates', '/s', series((sample) => sample.updatesPerSecond)),
      chart('Event-loop delay', 'ms', series((sample) => sample.eventLoopDelayMs)),
      chart('Limit hits', '', series((sample) => sample.limitHits)),
    ),
  );
}

function sessionsTable(caption: string, sessions: readonly Session[], kind: 'document' | 'board', endSession: EndSession | null): HTMLElement {
  const columns: Column<Session>[] = [
    { title: 'App', cell: (row) => `${row.tenantId}/${row.appId}` },
    { title: kind === 'document' ? 'Document' : 'Board', cell: (row) => el('code', {}, row.name) },
    { title: 'Connections', numeric: true, cell: (row) => String(row.connections) },
    { title: 'Per node', cell: (row) => Object.entries(row.connectionsByNode).map(([node, count]) => `${node}: ${count}`).join(', ') || '-' },
    { title: 'Region', cell: (row) => row.region },
    { title: 'Age', cell: (row) => duration(row.ageMs) },
    { title: 'Last activity', cell: (row) => ago(row.lastActivityAt) },
  ];
  if (endSession) {
    columns.push({
      title: 'Action',
      cell: (row) => {
        const button = el('button', { type: 'button', class: 'danger', 'aria-label': `End the session of ${row.tenantId}/${row.appId} ${row.name}` }, 'End session');
        button.addEventListener('click', () => endSession(row));
        return button;
      },
    });
  }
  return table(caption, columns, sessions, (row) => `${row.tenantId}/${row.appId}/${row.name}`, kind === 'document' ? 'No live document.' : 'No live board.');
}

function tenantsTable(tenants: readonly Tenant[]): HTMLElement {
  return table(
    'Tenants',
    [
      { title: 'Tenant', cell: (row) => row.tenantId },
      {
        title: 'Quota',
        cell: (row) =>
          el(
            'span',
            { class: 'quota' },
            // A meter is a bar that screen readers announce as a value within its range.
            el('meter', { min: '0', max: String(Math.max(row.maxDocuments, 1)), value: String(row.liveDocuments), high: String(Math.max(row.maxDocuments, 1) * 0.8), 'aria-label': `${row.tenantId}: ${row.liveDocuments} of ${row.maxDocuments} documents` }),
            ` ${row.liveDocuments} / ${row.maxDocuments}`,
          ),
      },
      { title: 'Regions', cell: (row) => (row.regions ? row.regions.join(', ') : 'anywhere') },
    ],
    tenants,
    (row) => row.tenantId,
    'No tenant yet.',
  );
}

function appsTable(overview: Overview): HTMLElement {
  return table(
    'Apps',
    [
      { title: 'App', cell: (row) => `${row.tenantId}/${row.appId}` },
      { title: 'Key', cell: (row) => `${row.algorithm} (${row.keyKind}), version ${row.keyVersion}` },
      { title: 'Created', cell: (row) => ago(row.createdAt) },
      {
        title: 'Actions',
        cell: (row) => {
          const mint = el('button', { type: 'button', 'data-action': 'mint', 'aria-label': `Mint a token for ${row.tenantId}/${row.appId}` }, 'Mint a token');
          const rotate = el('button', { type: 'button', 'data-action': 'rotate', class: 'danger', 'aria-label': `Rotate the key of ${row.tenantId}/${row.appId}` }, 'Rotate key');
          mint.dataset.app = `${row.tenantId}/${row.appId}`;
          rotate.dataset.app = `${row.tenantId}/${row.appId}`;
          return el('span', { class: 'actions' }, mint, rotate);
        },
      },
    ],
    overview.apps,
    (row) => `${row.tenantId}/${row.appId}`,
    'No app yet.',
  );
}

function nodesTable(nodes: readonly NodeInfo[]): HTMLElement {
  return table(
    'Nodes',
    [
      { title: 'Node', cell: (row) => (row.self ? `${row.nodeId} (this one)` : row.nodeId) },
      { title: 'Region', cell: (row) => row.region },
      { title: 'Heartbeat', cell: (row) => `${duration(row.heartbeatAgeMs)} ago${row.live ? '' : ' (not live)'}` },
      { title: 'Connections', numeric: true, cell: (row) => String(row.connections) },
      { title: 'URL', cell: (row) => el('code', {}, row.url) },
    ],
    nodes,
    (row) => row.nodeId,
    'No node.',
  );
}

function deliveriesTable(webhooks: Overview['webhooks']): HTMLElement {
  if (!webhooks.enabled) return el('p', { class: 'muted' }, 'This server has no webhook outbox.');
  return table<Delivery>(
    'Webhook deliveries',
    [
      { title: 'When', cell: (row) => ago(new Date(row.createdAt).toISOString()) },
      { title: 'Event', cell: (row) => row.eventType },
      { title: 'App', cell: (row) => `${row.tenantId}/${row.appId}` },
      { title: 'Endpoint', cell: (row) => el('code', {}, row.url) },
      { title: 'Status', cell: (row) => el('span', { class: `status-${row.status}` }, row.status) },
      { title: 'Attempts', numeric: true, cell: (row) => String(row.attempts) },
      { title: 'Last answer', cell: (row) => [row.lastStatus === null ? '' : String(row.lastStatus), row.lastError ?? ''].filter(Boolean).join(' ') || '-' },
    ],
    webhooks.deliveries,
    (row) => row.deliveryId,
    'No delivery yet.',
  );
}
