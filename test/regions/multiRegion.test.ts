import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { WebsocketProvider } from 'y-websocket';
import { hopHeader, hopLifetimeMs, signHop } from '../../src/regions/hopSignature.js';
import { startRegionCluster, staleOnce, testClusterSecret, type RegionCluster } from '../helpers/regionCluster.js';
import { redisServerInstalled } from '../sync/redisTestSupport.js';
import { postgresGate, PostgresSchemas, urlWithSchema } from '../helpers/postgresTestDatabase.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.js';
import { RawBoardClient } from '../helpers/rawBoardClient.js';

/** Every sequence a board client learnt about: from its acks and from the others' mutations. */
function boardSequencesSeen(client: RawBoardClient): number[] {
  const seen: number[] = [];
  for (const ack of client.of('ack')) for (let offset = ack.applied - 1; offset >= 0; offset--) seen.push(ack.sequence - offset);
  for (const message of client.of('mutations')) for (let offset = message.mutations.length - 1; offset >= 0; offset--) seen.push(message.sequence - offset);
  return seen.sort((x, y) => x - y);
}

/** The only place this file reads the environment: in CI a missing redis-server is a failure. */
const ci = process.env.CI === 'true';
const installed = await redisServerInstalled();
const postgres = await postgresGate();

type Opened = { kind: 'open'; socket: WebSocket } | { kind: 'http'; status: number } | { kind: 'closed'; code: number };

/** A raw socket with the stock client's subprotocols; resolves on open, an HTTP refusal or an early close. */
function openRaw(url: string, name: string, token: string, headers: Record<string, string> = {}): Promise<Opened> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${url}/${encodeURIComponent(name)}`, ['Bearer', token], { headers });
    socket.once('open', () => resolve({ kind: 'open', socket }));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ kind: 'http', status: response.statusCode ?? 0 });
      socket.terminate();
    });
    socket.once('close', (code) => resolve({ kind: 'closed', code }));
    socket.on('error', () => undefined);
  });
}

function nextCloseCode(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}

/** The routing store every node shares: a libSQL file (undefined: the first node's) or a PostgreSQL schema. */
interface SharedStore {
  dbUrl: string | undefined;
  dispose(): Promise<void>;
}

regionSuite('a libSQL file', installed || ci ? false : 'redis-server is not installed', async () => ({ dbUrl: undefined, dispose: async () => undefined }));
regionSuite('PostgreSQL', installed || ci ? postgres.skip : 'redis-server is not installed', async () => {
  postgres.assertAvailable();
  const schemas = new PostgresSchemas(postgres.url ?? '');
  return { dbUrl: urlWithSchema(postgres.url ?? '', await schemas.fresh()), dispose: () => schemas.dropAll() };
});

function regionSuite(storeName: string, skip: string | false, openStore: () => Promise<SharedStore>): void {
  describe(`regions: two regions share one routing store (${storeName}), each on its own Redis (issue 15)`, { skip }, () => {
    let cluster: RegionCluster;
    let store: SharedStore | undefined;
    const providers: WebsocketProvider[] = [];
    const sockets: WebSocket[] = [];
    const tcpProxies: TcpProxy[] = [];
    const boardClients: RawBoardClient[] = [];
    const url = (name: string) => cluster.node(name).server.url;
    const token = (options = {}) => cluster.node('a1').server.token(options);
    const keyOf = (name: string) => cluster.node('a1').server.key(name);

    before(async () => {
      store = await openStore();
      cluster = await startRegionCluster({ a1: 'a', a2: 'a', b1: 'b', b2: 'b' }, ['a', 'b'], store.dbUrl);
    });
    after(async () => {
      destroyAll(providers);
      for (const socket of sockets) socket.terminate();
      for (const client of boardClients) client.close();
      for (const proxy of tcpProxies) await proxy.close();
      await cluster?.close();
      await store?.dispose();
    });

    it('REGION-2: 100 concurrent first connects over four nodes of two regions give one row, one region, one epoch', async () => {
      const name = `race-${randomUUID()}`;
      const names = ['a1', 'a2', 'b1', 'b2'];
      const credential = await token();
      const opened = await Promise.all(Array.from({ length: 100 }, (_, index) => openRaw(url(names[index % 4]), name, credential)));
      for (const outcome of opened) if (outcome.kind === 'open') sockets.push(outcome.socket);
      assert.deepEqual(opened.map((outcome) => outcome.kind).filter((kind) => kind !== 'open'), [], 'every connect is served');
      const route = await cluster.node('a1').server.stores.routing.getRoute(keyOf(name));
      assert.ok(route);
      assert.equal(route.epoch, 1);
      const loser = route.region === 'a' ? 'b' : 'a';
      await eventually(async () => (await cluster.redisKeysOf(route.region, keyOf(name))).length > 0, 5_000, 'the owner region holds the document');
      assert.deepEqual(await cluster.redisKeysOf(loser, keyOf(name)), [], 'the other region holds no key of it');
      const serving = cluster.nodes.filter((node) => node.server.server.documents.getSession(keyOf(name)) !== null).map((node) => node.region);
      assert.ok(serving.length > 0 && serving.every((region) => region === route.region), `sessions only in ${route.region}: ${serving}`);
    });

    it('REGION-3: stock clients on all four nodes converge; awareness crosses regions; the other region holds no key', async () => {
      const name = `converge-${randomUUID()}`;
      const credential = await token();
      const first = connectClient(url('b1'), name, { token: credential });
      providers.push(first.provider);
      await waitForSync(first.provider);
      const clients = [first, ...['a1', 'a2', 'b2'].map((node) => connectClient(url(node), name, { token: credential }))];
      providers.push(...clients.slice(1).map((client) => client.provider));
      await Promise.all(clients.map((client) => waitForSync(client.provider)));
      clients.forEach((client, index) => client.doc.getText('t').insert(0, `[${index}]`));
      const texts = () => clients.map((client) => client.doc.getText('t').toString());
      await eventually(() => new Set(texts()).size === 1 && texts()[0].length === 12, 5_000, 'convergence');
      clients[3].provider.awareness.setLocalStateField('user', { name: 'on b2' });
      await eventually(() => [...clients[1].provider.awareness.getStates().values()].some((state) => state.user?.name === 'on b2'), 5_000, 'awareness b2 -> a1');
      assert.deepEqual(await cluster.redisKeysOf('a', keyOf(name)), []);
      assert.ok((await cluster.redisKeysOf('b', keyOf(name))).length > 0);
      for (const node of ['a1', 'a2']) assert.equal(cluster.node(node).server.server.documents.getSession(keyOf(name)), null, `${node} holds no session`);
    });

    it("REGION-3: a proxied client sees the owner's close codes exactly (a text frame -> 4400)", async () => {
      const name = `codes-${randomUUID()}`;
      const credential = await token();
      const owner = connectClient(url('b1'), name, { token: credential });
      providers.push(owner.provider);
      await waitForSync(owner.provider);
      const opened = await openRaw(url('a1'), name, credential);
      assert.equal(opened.kind, 'open');
      assert.ok(opened.kind === 'open');
      assert.equal(opened.socket.protocol, 'Bearer');
      const closed = nextCloseCode(opened.socket);
      opened.socket.send('not binary');
      assert.equal(await closed, 4400);
    });

    it('REGION-4: a forged, expired or foreign hop header is refused with 403 and logged', async () => {
      const name = `forged-${randomUUID()}`;
      const credential = await token();
      const owner = connectClient(url('b1'), name, { token: credential });
      providers.push(owner.provider);
      await waitForSync(owner.provider);
      const b2 = cluster.node('b2');
      const hop = (fields: { docKey?: string; epoch?: number; expiresAt?: number; secret?: string }) =>
        signHop({ docKey: fields.docKey ?? keyOf(name), epoch: fields.epoch ?? 1, expiresAt: fields.expiresAt ?? Date.now() + hopLifetimeMs }, fields.secret ?? testClusterSecret);
      const forged = [
        'v1.1.99999999999.AAAA',
        hop({ secret: 'another-secret-of-at-least-32-characters' }),
        hop({ expiresAt: Date.now() - 1 }),
        hop({ docKey: keyOf('another document') }),
      ];
      for (const header of forged) assert.deepEqual(await openRaw(b2.server.url, name, credential, { [hopHeader]: header }), { kind: 'http', status: 403 }, header);
      const refusals = b2.logs.lines.filter((line) => line.code === 'HOP_INVALID');
      assert.equal(refusals.length, forged.length);
      assert.ok(refusals.every((line) => line.level === 40), 'logged as warnings');
      const valid = await openRaw(b2.server.url, name, credential, { [hopHeader]: hop({}) });
      assert.equal(valid.kind, 'open', 'a genuine hop is served');
      if (valid.kind === 'open') sockets.push(valid.socket);
      const wrongEpoch = await openRaw(b2.server.url, name, credential, { [hopHeader]: hop({ epoch: 2 }) });
      assert.deepEqual(wrongEpoch, { kind: 'http', status: 421 }, 'a hop naming another claim is answered "not the owner"');
    });

    it('REGION-5: a stale route is answered 421 by the region, and the edge retries once with a fresh route', async () => {
      const name = `stale-${randomUUID()}`;
      const credential = await token();
      // A claim before, purged: the owner's is epoch 2, so the stale read (one behind) names a real claim.
      const routing = cluster.node('a1').server.stores.routing;
      await routing.pinDocument({ docKey: keyOf(name), tenantId: cluster.node('a1').server.app.tenantId, region: 'b', nodeId: 'b1' });
      await routing.unpinDocument(keyOf(name));
      const owner = connectClient(url('b1'), name, { token: credential });
      providers.push(owner.provider);
      await waitForSync(owner.provider);
      owner.doc.getText('t').insert(0, 'from b');
      const edge = await cluster.addNode('a-stale', 'a', { wrapRouting: staleOnce(keyOf(name)) });
      const client = connectClient(edge.server.url, name, { token: credential });
      providers.push(client.provider);
      await waitForSync(client.provider);
      await eventually(() => client.doc.getText('t').toString() === 'from b', 5_000, 'the proxied client reads the owner');
      assert.equal(edge.logs.lines.filter((line) => String(line.msg).includes('retrying with a fresh route')).length, 1, 'one retry');
      const edgeMetrics = await (await fetch(`${edge.server.url.replace('ws:', 'http:')}/metrics`)).text();
      assert.match(edgeMetrics, /^wiresocket_region_hops_refused_total\{reason="edge-not-owner"\} 1$/m, 'REGION-13: the edge counts the 421');
      const notOwner = cluster.nodes.filter((node) => node.region === 'b').flatMap((node) => node.logs.lines.filter((line) => line.code === 'HOP_NOT_OWNER' && String(line.url).includes(name)));
      assert.equal(notOwner.length, 1, 'the stale hop was answered once');
      for (const node of cluster.nodes.filter((candidate) => candidate.region === 'b')) {
        const proxied = node.logs.lines.filter((line) => line.msg === 'connect proxied to the owner region' && line.docKey === keyOf(name));
        assert.deepEqual(proxied, [], `${node.name} never proxies again`);
      }
    });

    it('REGION-6: GET /v1/route/<documentName> answers the region, a live node and the epoch, or pinned:false', async () => {
      const name = `lookup ${randomUUID()}`;
      const credential = await token();
      const owner = connectClient(url('b2'), name, { token: credential });
      providers.push(owner.provider);
      await waitForSync(owner.provider);
      const lookup = (documentName: string, bearer: string | null = credential) =>
        fetch(`${url('a1').replace('ws:', 'http:')}/v1/route/${encodeURIComponent(documentName)}`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
      const pinned = await lookup(name);
      assert.equal(pinned.status, 200);
      const body = (await pinned.json()) as Record<string, unknown>;
      assert.deepEqual({ ...body, url: null }, { documentName: name, pinned: true, region: 'b', url: null, epoch: 1 });
      assert.ok([url('b1'), url('b2')].includes(String(body.url)), `a live node of b: ${body.url}`);
      assert.deepEqual(await (await lookup('never-opened')).json(), { documentName: 'never-opened', pinned: false });
      assert.equal((await lookup(name, null)).status, 401);
      assert.equal((await lookup(name, await token({ docs: ['other*'] }))).status, 403);
    });

    it('REGION-12: residency: a first connect outside the allowed regions is proxied to one, which claims it; with none alive, 1013; lifted, the edge claims', async () => {
      const a1 = cluster.node('a1').server;
      const app = await a1.addApp(`resident-${randomUUID().slice(0, 8)}`, 'web');
      const credential = await a1.token({ app });
      const tenants = a1.stores.tenants;
      const routeOf = (name: string) => a1.stores.routing.getRoute(a1.key(name, app));
      assert.equal(await tenants.setAllowedRegions(app.tenantId, ['z', 'b']), true);
      const name = `resident-${randomUUID()}`;
      const client = connectClient(url('a1'), name, { token: credential });
      providers.push(client.provider);
      await waitForSync(client.provider);
      const route = await routeOf(name);
      assert.equal(route?.region, 'b', 'claimed by the first allowed region with a live node');
      assert.equal(route?.epoch, 1);
      client.doc.getText('t').insert(0, 'lives in b');
      const inB = connectClient(url('b2'), name, { token: credential });
      providers.push(inB.provider);
      await waitForSync(inB.provider);
      await eventually(() => inB.doc.getText('t').toString() === 'lives in b', 5_000, 'the a1 client writes into b');
      assert.deepEqual(await cluster.redisKeysOf('a', a1.key(name, app)), [], "region a's Redis never held it");
      assert.equal(cluster.node('a1').server.server.documents.getSession(a1.key(name, app)), null);

      assert.equal(await tenants.setAllowedRegions(app.tenantId, ['z']), true);
      const nowhere = `nowhere-${randomUUID()}`;
      for (const node of ['a1', 'b1']) {
        const opened = await openRaw(url(node), nowhere, credential);
        assert.ok(opened.kind === 'open', node);
        assert.equal(await nextCloseCode(opened.socket), 1013, `${node}: no live node of region z`);
      }
      assert.equal(await routeOf(nowhere), null, 'nothing was pinned');
      assert.ok(cluster.node('b1').logs.lines.some((line) => line.code === 'RESIDENCY_UNAVAILABLE'), 'the refusal is logged');

      assert.equal(await tenants.setAllowedRegions(app.tenantId, null), true);
      const anywhere = connectClient(url('a2'), `free-${name}`, { token: credential });
      providers.push(anywhere.provider);
      await waitForSync(anywhere.provider);
      assert.equal((await routeOf(`free-${name}`))?.region, 'a', 'lifted: pinned where it was first opened');
    });

    it('REGION-13: /metrics counts proxied sockets and their bytes on the edge, and refused hops by reason on both sides', async () => {
      const name = `metrics-${randomUUID()}`;
      const credential = await token();
      const owner = connectClient(url('b1'), name, { token: credential });
      providers.push(owner.provider);
      await waitForSync(owner.provider);
      const metric = async (node: string, series: string) => {
        const text = await (await fetch(`${url(node).replace('ws:', 'http:')}/metrics`)).text();
        const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
        return line === undefined ? 0 : Number(line.slice(series.length + 1));
      };
      const proxiedBefore = await metric('a2', 'wiresocket_proxied_sockets');
      const bytesBefore = await metric('a2', 'wiresocket_proxy_bytes_total{direction="to-client"}');
      const proxied = connectClient(url('a2'), name, { token: credential });
      providers.push(proxied.provider);
      await waitForSync(proxied.provider);
      owner.doc.getText('t').insert(0, 'x'.repeat(4096));
      await eventually(() => proxied.doc.getText('t').length === 4096, 5_000, 'the proxied client gets the update');
      assert.equal(await metric('a2', 'wiresocket_proxied_sockets'), proxiedBefore + 1);
      assert.ok((await metric('a2', 'wiresocket_proxy_bytes_total{direction="to-client"}')) >= bytesBefore + 4096, 'the update went through the pipe');
      assert.ok((await metric('a2', 'wiresocket_proxy_bytes_total{direction="to-owner"}')) > 0);
      const invalidBefore = await metric('b1', 'wiresocket_region_hops_refused_total{reason="invalid"}');
      assert.deepEqual(await openRaw(url('b1'), name, credential, { [hopHeader]: 'v1.1.99999999999.AAAA' }), { kind: 'http', status: 403 });
      assert.equal(await metric('b1', 'wiresocket_region_hops_refused_total{reason="invalid"}'), invalidBefore + 1);
      destroyAll([proxied.provider]);
      await eventually(async () => (await metric('a2', 'wiresocket_proxied_sockets')) === proxiedBefore, 5_000, 'the gauge drops when the socket closes');
    });

    it('REGION-15: boards across regions: pinned to the first region, proxied from the other; writers on all four nodes get one gap-free order, live', { timeout: 60_000 }, async () => {
      const boardId = `board-${randomUUID()}`;
      const writers: RawBoardClient[] = [];
      const nodes = ['b1', 'a1', 'a2', 'b2'];
      for (const [index, node] of nodes.entries()) {
        const { client } = await RawBoardClient.join(url(node), boardId, await token({ userId: `w${index}` }), { displayName: `W${index}` });
        writers.push(client);
        boardClients.push(client);
      }
      const routing = cluster.node('a1').server.stores.routing;
      const route = await routing.getRoute(`board#${keyOf(boardId)}`);
      assert.equal(route?.region, 'b', 'pinned to the region of its first connect');
      await eventually(() => writers[0].of('participant-joined').length >= 3, 5_000, 'participants of both regions announced to the owner');
      for (let round = 0; round < 10; round++) {
        writers.forEach((client, index) => client.send({ type: 'mutate', clientBatchId: `${index}-${round}`, mutations: [{ op: 'upsert', pageId: 'p', element: { id: `w${index}-${round}`, type: 'dot' } }] }));
      }
      await eventually(() => writers.every((client) => client.of('ack').length === 10), 20_000, 'every batch acknowledged');
      const head = Math.max(...writers.flatMap((client) => client.of('ack').map((ack) => ack.sequence)));
      assert.equal(head, 40);
      const everything = Array.from({ length: head }, (_, index) => index + 1);
      await eventually(() => writers.every((client) => boardSequencesSeen(client).length >= head), 10_000, 'every mutation reaches every participant');
      for (const [index, client] of writers.entries()) assert.deepEqual(boardSequencesSeen(client), everything, `${nodes[index]} saw 1..${head} once each`);
      for (const node of ['a1', 'a2']) assert.equal(cluster.node(node).server.server.boards.statsOf(() => true).activeSessions, 0, `${node} loads no board session: its sockets are proxied`);
    });

    it("REGION-17: board residency: a board's first socket outside the allowed regions is proxied to one, which claims it; a mutation from there reaches a participant of the owner, live; with none alive, 1013 and no pin", async () => {
      const a1 = cluster.node('a1').server;
      const app = await a1.addApp(`board-resident-${randomUUID().slice(0, 8)}`, 'web');
      const credential = (userId: string) => a1.token({ app, userId });
      const routeOf = (boardId: string) => a1.stores.routing.getRoute(`board#${a1.key(boardId, app)}`);
      assert.equal(await a1.stores.tenants.setAllowedRegions(app.tenantId, ['z', 'b']), true);
      const boardId = `resident-board-${randomUUID()}`;
      const { client: edge } = await RawBoardClient.join(url('a1'), boardId, await credential('edge'));
      boardClients.push(edge);
      const route = await routeOf(boardId);
      assert.equal(route?.region, 'b', 'claimed by the first allowed region with a live node');
      assert.equal(route?.epoch, 1);
      for (const node of ['a1', 'a2']) assert.equal(cluster.node(node).server.server.boards.statsOf(() => true).activeSessions, 0, `${node} loads no board session`);
      const { client: owner } = await RawBoardClient.join(url('b2'), boardId, await credential('owner'));
      boardClients.push(owner);
      edge.send({ type: 'mutate', clientBatchId: 'from-a', mutations: [{ op: 'upsert', pageId: 'p', element: { id: 'e1', type: 'dot' } }] });
      const seen = await owner.next('mutations', (message) => message.userId === 'edge', 10_000);
      assert.equal(seen.sequence, 1, "the edge's mutation is ordered by the owner region and reaches b live");

      assert.equal(await a1.stores.tenants.setAllowedRegions(app.tenantId, ['z']), true);
      const nowhere = `nowhere-board-${randomUUID()}`;
      for (const node of ['a1', 'b1']) {
        const refused = RawBoardClient.connect(url(node), nowhere, await credential('late'));
        boardClients.push(refused);
        const close = await refused.waitForClose(10_000);
        assert.equal(close.code, 1013, `${node}: no live node of region z`);
        assert.equal(refused.of('error')[0]?.code, 'RESIDENCY_UNAVAILABLE');
      }
      assert.equal(await routeOf(nowhere), null, 'nothing was pinned');

      assert.equal(await a1.stores.tenants.setAllowedRegions(app.tenantId, null), true);
      const free = `free-board-${randomUUID()}`;
      const { client: anywhere } = await RawBoardClient.join(url('a2'), free, await credential('free'));
      boardClients.push(anywhere);
      assert.equal((await routeOf(free))?.region, 'a', 'lifted: pinned where it was first opened');
    });

    it('REGION-1: a node without --cluster-secret says so at start, and a connect pinned elsewhere gets 1013', async () => {
      const name = `nosecret-${randomUUID()}`;
      const credential = await token();
      const owner = connectClient(url('b1'), name, { token: credential });
      providers.push(owner.provider);
      await waitForSync(owner.provider);
      const lone = await cluster.addNode('a-nosecret', 'a', { clusterSecret: null });
      const warnings = lone.logs.lines.filter((line) => String(line.msg).includes('no --cluster-secret'));
      assert.equal(warnings.length, 1);
      assert.deepEqual(warnings[0].otherRegions, ['b']);
      // Its own Redis must answer first (else any connect gets 4503, as on every node).
      await eventually(async () => (await fetch(`${lone.server.url.replace('ws:', 'http:')}/readyz`)).status === 200, 5_000, 'ready');
      const opened = await openRaw(lone.server.url, name, credential);
      assert.ok(opened.kind === 'open');
      assert.equal(await nextCloseCode(opened.socket), 1013);
      const hop = signHop({ docKey: keyOf(name), epoch: 1, expiresAt: Date.now() + hopLifetimeMs }, testClusterSecret);
      assert.deepEqual(await openRaw(lone.server.url, name, credential, { [hopHeader]: hop }), { kind: 'http', status: 403 }, 'nor accepts a hop');
    });

    it('REGION-3: an edge shutting down cuts its proxied sockets at once; the owner keeps serving the others', async () => {
      const name = `edge-down-${randomUUID()}`;
      const credential = await token();
      const owner = connectClient(url('b1'), name, { token: credential });
      providers.push(owner.provider);
      await waitForSync(owner.provider);
      const edge = await cluster.addNode('a-edge', 'a');
      const proxied = await openRaw(edge.server.url, name, credential);
      assert.ok(proxied.kind === 'open');
      const closed = nextCloseCode(proxied.socket);
      const started = Date.now();
      cluster.nodes.splice(cluster.nodes.indexOf(edge), 1);
      await edge.server.close();
      assert.equal(await closed, 1006, 'cut, not closed with a frame (the pipe is raw)');
      assert.ok(Date.now() - started < 5_000, `shutdown took ${Date.now() - started} ms`);
      await eventually(() => cluster.node('b1').server.server.documents.getSession(keyOf(name))?.connectionCount === 1, 5_000, 'the owner dropped the proxied connection');
    });

    it('REGION-1/REGION-3: the proxy dials the owner by its --advertise-url (here a link with 40 ms of delay); clients converge over it', async () => {
      const link = await startTcpProxy(1, { delayMs: 40 });
      tcpProxies.push(link);
      const c1 = await cluster.addNode('c1', 'c', { advertiseUrl: link.url });
      link.setTarget(c1.server.server.port);
      const rows = await cluster.node('a1').server.stores.routing.liveNodes(60_000);
      assert.equal(rows.find((row) => row.nodeId === 'c1')?.url, link.url, 'the nodes row keeps the advertised url');
      const name = `advertised-${randomUUID()}`;
      const credential = await token();
      const owner = connectClient(c1.server.url, name, { token: credential });
      providers.push(owner.provider);
      await waitForSync(owner.provider);
      const started = Date.now();
      const edge = connectClient(url('a2'), name, { token: credential });
      providers.push(edge.provider);
      await waitForSync(edge.provider);
      assert.ok(Date.now() - started >= 80, 'connect-to-synced pays the link both ways at least once');
      assert.ok(link.connectionCount >= 1, 'the hop went through the advertised url');
      edge.doc.getText('t').insert(0, 'via the link');
      await eventually(() => owner.doc.getText('t').toString() === 'via the link', 5_000, 'edge -> owner');
      owner.doc.getText('t').insert(0, '> ');
      await eventually(() => edge.doc.getText('t').toString() === '> via the link', 5_000, 'owner -> edge');
    });
  });
}
