import './style.css';
import { AdminApiError, adminFetch, segment, type Json } from './api.js';
import { byId, el } from './dom.js';
import type { App, Delivery, NodeInfo, Overview, Sample, Session, Tenant } from './model.js';
import { storedToken, storeToken } from './tokenStore.js';
import { render } from './views.js';

/** How often the open dashboard reads the server again. */
const refreshMs = 3_000;

let token: string | null = null;
let timer: number | undefined;
let overview: Overview | null = null;

const signInSection = byId('sign-in');
const dashboard = byId('dashboard');
const notice = byId('notice');

function call(method: string, path: string, body?: unknown): Promise<Json | null> {
  if (token === null) return Promise.reject(new Error('not signed in'));
  return adminFetch(token, method, path, body);
}

async function signIn(candidate: string): Promise<void> {
  const session = await adminFetch(candidate, 'GET', 'session');
  token = candidate;
  storeToken(candidate);
  byId('who').textContent = `signed in as ${String(session?.subject)}`;
  byId('who').hidden = false;
  byId('sign-out').hidden = false;
  signInSection.hidden = true;
  dashboard.hidden = false;
  await refresh();
  byId('main').focus();
}

function signOut(message = ''): void {
  token = null;
  storeToken(null);
  window.clearTimeout(timer);
  dashboard.hidden = true;
  signInSection.hidden = false;
  byId('who').hidden = true;
  byId('sign-out').hidden = true;
  byId('sign-in-error').textContent = message;
  byId('admin-token').focus();
}

async function readOverview(): Promise<Overview> {
  const failedOnly = byId<HTMLInputElement>('failed-only').checked;
  const [tenants, apps, documents, boards, nodes, metrics, webhooks] = await Promise.all([
    call('GET', 'tenants'),
    call('GET', 'apps'),
    call('GET', 'documents'),
    call('GET', 'boards'),
    call('GET', 'nodes'),
    call('GET', 'metrics'),
    call('GET', `webhooks/deliveries?limit=50${failedOnly ? '&failed=true' : ''}`),
  ]);
  return {
    tenants: tenants?.tenants as Tenant[],
    apps: apps?.apps as App[],
    documents: documents?.documents as Session[],
    boards: boards?.boards as Session[],
    nodes: nodes?.nodes as NodeInfo[],
    metrics: metrics as unknown as { nodeId: string; intervalMs: number; samples: Sample[] },
    webhooks: webhooks as unknown as { enabled: boolean; deliveries: Delivery[] },
  };
}

async function refresh(): Promise<void> {
  window.clearTimeout(timer);
  try {
    overview = await readOverview();
    render(overview, (session) => void endSession(session));
    fillChoices(overview);
  } catch (error) {
    if (error instanceof AdminApiError && (error.status === 401 || error.status === 403)) return signOut(error.message);
    say(`Could not read the server: ${(error as Error).message}`, true);
  }
  if (token !== null) timer = window.setTimeout(() => void refresh(), refreshMs);
}

/** Keeps the selects' choices in step with the tenants and apps, and what the user chose. */
function fillChoices(current: Overview): void {
  const options = (select: HTMLSelectElement, values: string[]) => {
    const chosen = select.value;
    select.replaceChildren(...values.map((value) => el('option', { value }, value)));
    if (values.includes(chosen)) select.value = chosen;
  };
  options(byId<HTMLSelectElement>('quota-tenant'), current.tenants.map((tenant) => tenant.tenantId));
  options(byId<HTMLSelectElement>('app-tenant'), current.tenants.map((tenant) => tenant.tenantId));
  options(byId<HTMLSelectElement>('mint-app'), current.apps.filter((app) => app.keyKind === 'hs256-secret').map((app) => `${app.tenantId}/${app.appId}`));
  const quota = byId<HTMLInputElement>('quota-max');
  if (quota.value === '') showCurrentQuota();
}

/** The quota form starts from the chosen tenant's current maxDocuments. */
function showCurrentQuota(): void {
  const tenantId = byId<HTMLSelectElement>('quota-tenant').value;
  const tenant = overview?.tenants.find((candidate) => candidate.tenantId === tenantId);
  if (tenant) byId<HTMLInputElement>('quota-max').value = String(tenant.maxDocuments);
}

function say(message: string, isError = false): void {
  notice.textContent = message;
  notice.classList.toggle('error', isError);
}

/** Runs one action and reports it; the server logs it with the signed-in subject. */
async function act(what: string, run: () => Promise<string | void>): Promise<void> {
  try {
    const done = await run();
    say(done ?? `${what}: done`);
    await refresh();
  } catch (error) {
    say(`${what} failed: ${(error as Error).message}`, true);
  }
}

function showSecret(label: string, value: string): void {
  byId('secret-label').textContent = label;
  const output = byId<HTMLTextAreaElement>('secret-output');
  output.value = value;
  byId('secret-box').hidden = false;
  output.focus();
  output.select();
}

function splitList(text: string): string[] | undefined {
  const items = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  return items.length === 0 ? undefined : items;
}

async function endSession(session: Session): Promise<void> {
  const name = `${session.tenantId}/${session.appId} ${session.name}`;
  if (!window.confirm(`End the session of ${name}? Its ${session.connections} clients are closed (4410).`)) return;
  await act(`End ${name}`, async () => {
    await call('DELETE', `documents/${segment(session.tenantId)}/${segment(session.appId)}/${segment(session.name)}`);
    return `Ended ${name}.`;
  });
}

function onSubmit(id: string, handler: (data: FormData, form: HTMLFormElement) => Promise<void>): void {
  const form = byId<HTMLFormElement>(id);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void handler(new FormData(form), form);
  });
}

function wireForms(): void {
  onSubmit('sign-in-form', async (data) => {
    const candidate = String(data.get('token') ?? '').trim();
    try {
      await signIn(candidate);
      byId<HTMLTextAreaElement>('admin-token').value = '';
    } catch (error) {
      byId('sign-in-error').textContent = error instanceof AdminApiError ? `Refused: ${error.message}` : `Could not sign in: ${(error as Error).message}`;
    }
  });
  byId('sign-out').addEventListener('click', () => signOut());
  onSubmit('create-tenant', (data, form) =>
    act('Create tenant', async () => {
      const tenantId = String(data.get('tenantId'));
      await call('POST', 'tenants', { tenantId, maxDocuments: Number(data.get('maxDocuments')), regions: splitList(String(data.get('regions') ?? '')) ?? null });
      form.reset();
      return `Created tenant ${tenantId}.`;
    }),
  );
  onSubmit('set-quota', (data) =>
    act('Set quota', async () => {
      const tenantId = String(data.get('tenantId'));
      await call('PATCH', `tenants/${segment(tenantId)}`, { maxDocuments: Number(data.get('maxDocuments')) });
      return `Tenant ${tenantId}: maxDocuments ${String(data.get('maxDocuments'))}.`;
    }),
  );
  onSubmit('create-app', (data, form) =>
    act('Create app', async () => {
      const answer = await call('POST', 'apps', { tenantId: String(data.get('tenantId')), appId: String(data.get('appId')) });
      form.reset();
      showSecret('HS256 secret of the new app', String(answer?.secret));
      return 'Created the app: its secret is shown once below.';
    }),
  );
  onSubmit('mint-token', (data) =>
    act('Mint token', async () => {
      const [tenantId, appId] = String(data.get('app')).split('/');
      const answer = await call('POST', `apps/${segment(tenantId ?? '')}/${segment(appId ?? '')}/tokens`, {
        userId: String(data.get('userId')),
        ttl: String(data.get('ttl')),
        access: String(data.get('access')),
        ...(splitList(String(data.get('docs') ?? '')) ? { docs: splitList(String(data.get('docs'))) } : {}),
      });
      showSecret(`Token for ${tenantId}/${appId}, until ${String(answer?.expiresAt)}`, String(answer?.token));
      return `Minted a token for ${tenantId}/${appId}.`;
    }),
  );
  // The apps table's buttons: "Mint a token" fills the form; "Rotate key" asks, then rotates.
  byId('apps').addEventListener('click', (event) => {
    const button = (event.target as HTMLElement).closest('button');
    const app = button?.dataset.app;
    if (!button || !app) return;
    if (button.dataset.action === 'mint') {
      byId<HTMLSelectElement>('mint-app').value = app;
      byId('mint-user').focus();
      return;
    }
    if (!window.confirm(`Rotate the key of ${app}? Its tokens and sockets with the old key stop working at once.`)) return;
    const [tenantId, appId] = app.split('/');
    void act(`Rotate key of ${app}`, async () => {
      const answer = await call('POST', `apps/${segment(tenantId ?? '')}/${segment(appId ?? '')}/rotate-key`, {});
      showSecret(`New HS256 secret of ${app}`, String(answer?.secret));
      return `Rotated the key of ${app}.`;
    });
  });
  byId('secret-copy').addEventListener('click', () => {
    void navigator.clipboard?.writeText(byId<HTMLTextAreaElement>('secret-output').value).then(() => say('Copied.'));
  });
  byId('failed-only').addEventListener('change', () => void refresh());
  byId('quota-tenant').addEventListener('change', showCurrentQuota);
}

wireForms();
const saved = storedToken();
if (saved !== null) signIn(saved).catch(() => signOut());
else signInSection.hidden = false;
