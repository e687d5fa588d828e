import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { WebsocketProvider } from 'y-websocket';
import { openControlStores } from '../../src/routing/controlStores.js';
import { documentKey } from '../../src/tenancy/documentKey.js';
import { RawBoardClient } from '../helpers/rawBoardClient.js';
import { postgresGate, PostgresSchemas, urlWithSchema } from '../helpers/postgresTestDatabase.js';
import { regionTimers, startRegionProcesses, type RegionProcesses } from '../helpers/regionProcesses.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.js';
import { connectClient, destroyAll, eventually, nextClose, waitForSync } from '../helpers/yjsClient.js';
import { redisServerInstalled } from '../sync/redisTestSupport.js';

/** The only place this file reads the environment: in CI a missing redis-server is a failure. */
const ci = process.env.CI === 'true';
const installed = await redisServerInstalled();
const postgres = await postgresGate();
const redisSkip = installed || ci ? false : 'redis-server is not installed';

const keyOf = (name: string) => documentKey('dev', 'demo', name);

/** A raw socket with the stock client's subprotocols: the close code it gets, or 'open'. */
function firstOutcome(url: string, name: string, token: string): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${url}/${encodeURIComponent(name)}`, ['Bearer', token]);
    socket.once('open', () => {
      // An open that is then closed by the server (a refusal) resolves with that code.
      const timer = setTimeout(() => {
        resolve('open');
        socket.terminate();
      }, 300);
      socket.once('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    socket.once('unexpected-response', () => resolve(-1));
    socket.on('error', () => undefined);
  });
}

interface FailoverStore {
  dbUrl: string | undefined;
  /** PostgreSQL only: the URL with its host and port replaced (a proxy in front of it). */
  through?(port: number): string;
  dispose(): Promise<void>;
}

failoverSuite('a libSQL file', redisSkip, async () => ({ dbUrl: undefined, dispose: async () => undefined }));
failoverSuite('PostgreSQL', redisSkip || postgres.skip, async () => {
  postgres.assertAvailable();
  const schemas = new PostgresSchemas(postgres.url ?? '');
  const dbUrl = urlWithSchema(postgres.url ?? '', await schemas.fresh());
  return {
    dbUrl,
    through: (port) => {
      const url = new URL(dbUrl);
      url.host = `127.0.0.1:${port}`;
      return url.toString();
    },
    dispose: () => schemas.dropAll(),
  };
});

function failoverSuite(storeName: string, skip: string | false, openStore: () => Promise<FailoverStore>): void {
  describe(`regions: a region gone, back, or cut off from the routing store (${storeName}; real processes, issue 15 point 4)`, { skip }, () => {
    let store: FailoverStore;
    let regions: RegionProcesses;
    let storeLink: TcpProxy | null = null;
    const providers: WebsocketProvider[] = [];
    const boardClients: RawBoardClient[] = [];
    const url = (name: string) => regions.node(name).node.url;
    /** The pin as the store holds it, through GET /v1/route on a node. */
    const routeOf = async (node: string, name: string) => {
      const response = await fetch(`${url(node).replace('ws:', 'http:')}/v1/route/${encodeURIComponent(name)}`, { headers: { authorization: `Bearer ${regions.token}` } });
      const body = (await response.json()) as { region?: string; epoch?: number };
      return { region: body.region, epoch: body.epoch };
    };
    const takeovers = (name: string, docKey: string) => regions.logsOf(name).filter((line) => line.msg === 'document taken over from a region with no live node' && line.docKey === docKey);

    before(async () => {
      store = await openStore();
      const postgresPort = store.dbUrl === undefined ? null : Number(new URL(store.dbUrl).port || 5432);
      if (postgresPort !== null) storeLink = await startTcpProxy(postgresPort);
      const a3Url = storeLink && store.through ? store.through(storeLink.port) : undefined;
      regions = await startRegionProcesses({
        layout: { a1: 'a', a2: 'a', b1: 'b', b2: 'b', ...(a3Url ? { c1: 'c' } : {}) },
        dbUrl: store.dbUrl,
        dbUrlOf: a3Url ? { c1: a3Url } : undefined,
      });
    });
    after(async () => {
      destroyAll(providers);
      for (const client of boardClients) client.close();
      await regions?.close();
      await storeLink?.close();
      await store?.dispose();
    });

    /** A stock client on the node, synced; kept for `after`. */
    const synced = async (node: string, name: string) => {
      const client = connectClient(url(node), name, { token: regions.token });
      providers.push(client.provider);
      await waitForSync(client.provider, 10_000);
      return client;
    };

    it('REGION-8: the owner region killed with SIGKILL: connects elsewhere get 1013 until --node-timeout-ms, then the next one claims it for its region at epoch+1', async () => {
      const name = `killed-${randomUUID()}`;
      const writer = await synced('a1', name);
      writer.doc.getText('t').insert(0, 'held by region a');
      await eventually(async () => (await regions.redisKeysOf('a', keyOf(name))).length > 0, 5_000, 'region a holds the document');
      writer.provider.disconnect();
      await Promise.all([regions.kill9('a1'), regions.kill9('a2')]);
      const killedAt = Date.now();
      const early = await firstOutcome(url('b1'), name, regions.token);
      const earlyAfterMs = Date.now() - killedAt;
      assert.ok(earlyAfterMs < regionTimers.nodeTimeoutMs - regionTimers.heartbeatIntervalMs, `checked before the timeout (${earlyAfterMs} ms)`);
      assert.equal(early, 1013, 'the region is not known dead yet: try again later');
      const reader = await eventually(async () => (await firstOutcome(url('b2'), name, regions.token)) === 'open', 10_000, 'a connect on b is served').then(() => synced('b2', name));
      const servedAfterMs = Date.now() - killedAt;
      assert.ok(servedAfterMs >= regionTimers.nodeTimeoutMs - 2 * regionTimers.heartbeatIntervalMs, `not before the timeout (${servedAfterMs} ms)`);
      assert.equal(reader.doc.getText('t').toString(), '', 'what the dead region held is gone with it');
      assert.deepEqual(await routeOf('b1', name), { region: 'b', epoch: 2 });
      const taken = [...takeovers('b1', keyOf(name)), ...takeovers('b2', keyOf(name))];
      assert.ok(taken.length <= 1, 'one takeover (or a purge of the orphan and a fresh claim)');
      if (taken.length === 1) assert.equal(taken[0].epoch, 2);
      reader.doc.getText('t').insert(0, 'now in b');
      const other = await synced('b1', name);
      await eventually(() => other.doc.getText('t').toString() === 'now in b', 5_000, 'b1 and b2 share the new copy');

      assert.ok((await regions.redisKeysOf('a', keyOf(name))).length > 0, 'the killed region left its copy behind');
      await regions.restart('a1');
      const back = await synced('a1', name);
      await eventually(() => back.doc.getText('t').toString() === 'now in b', 5_000, 'the restarted region proxies to the new owner');
      const proxiedAtEpoch2 = () => regions.logsOf('a1').some((line) => line.msg === 'connect proxied to the owner region' && line.docKey === keyOf(name) && line.epoch === 2);
      await eventually(proxiedAtEpoch2, 5_000, 'a1 logs the connect proxied at epoch 2');
      await eventually(async () => (await regions.redisKeysOf('a', keyOf(name))).length === 0, 5_000, "REGION-9: the restarted region drops the dead region's leftover copy once it sees the newer pin");
      await regions.restart('a2');
    });

    it('REGION-9: the old region comes back (SIGSTOP, SIGCONT) and is fenced: 1012 to its clients, its Redis copy dropped, the clients served by the new owner', async () => {
      const name = `frozen-${randomUUID()}`;
      const onA = await synced('a1', name);
      onA.doc.getText('t').insert(0, '[a]');
      await eventually(async () => (await regions.redisKeysOf('a', keyOf(name))).length > 0, 5_000, 'region a holds the document');
      regions.pause('a1');
      regions.pause('a2');
      await eventually(async () => (await firstOutcome(url('b1'), name, regions.token)) === 'open', 10_000, 'b takes the document over');
      const onB = await synced('b1', name);
      onB.doc.getText('t').insert(0, '[b]');
      const fenced = nextClose(onA.provider, 10_000);
      regions.resume('a1');
      regions.resume('a2');
      assert.equal((await fenced).code, 1012, 'the old owner closes its sockets when it sees it cannot prove the pin');
      await eventually(() => onA.doc.getText('t').toString().includes('[b]') && onB.doc.getText('t').toString().includes('[a]'), 10_000, 'the a client, back through the new owner, converges with b');
      await eventually(async () => (await regions.redisKeysOf('a', keyOf(name))).length === 0, 5_000, "region a's copy is dropped");
      assert.deepEqual(await routeOf('a2', name), { region: 'b', epoch: 2 });
      const fencedLine = () => regions.logsOf('a1').find((line) => String(line.msg).startsWith('fenced:') && line.docKey === keyOf(name));
      await eventually(() => fencedLine() !== undefined, 5_000, 'a1 logs the fence');
      assert.equal(fencedLine()?.region, 'b');
      assert.deepEqual(await regions.redisKeysOf('a', keyOf(name)), [], 'and it never came back');
    });

    it('REGION-10: a node cut off from the routing store stops serving (1012) after --node-timeout-ms, refuses connects meanwhile, and serves again, unharmed, when the store is back', { skip: storeName === 'a libSQL file' ? 'the libSQL file cannot be cut off; the PostgreSQL run covers it' : false }, async () => {
      const link = storeLink!;
      const name = `cutoff-${randomUUID()}`;
      const onC = await synced('c1', name);
      onC.doc.getText('t').insert(0, 'kept in c');
      await eventually(async () => (await regions.redisKeysOf('c', keyOf(name))).length > 0, 5_000, 'region c holds the document');
      const closed = nextClose(onC.provider, 10_000);
      const cutAt = Date.now();
      link.setTarget(1);
      link.cutAll();
      const code = (await closed).code;
      const stoppedAfterMs = Date.now() - cutAt;
      assert.equal(code, 1012);
      assert.ok(stoppedAfterMs <= regionTimers.nodeTimeoutMs + regionTimers.heartbeatIntervalMs, `stopped within the timeout (${stoppedAfterMs} ms)`);
      const refused = await firstOutcome(url('c1'), name, regions.token);
      assert.equal(refused, 4503, 'a connect meanwhile is refused, to be retried');
      link.setTarget(Number(new URL(store.dbUrl!).port || 5432));
      await eventually(() => onC.provider.synced && onC.provider.wsconnected, 10_000, 'the client is served again');
      const fresh = await synced('b2', name);
      await eventually(() => fresh.doc.getText('t').toString() === 'kept in c', 5_000, 'nothing was lost: the region kept its copy');
      const outageLines = () => regions.logsOf('c1').filter((line) => String(line.msg).startsWith('the routing store has not answered'));
      await eventually(() => outageLines().length > 0, 5_000, 'c1 logs the outage');
      assert.equal(outageLines().length, 1, 'once');
    });

    it('REGION-18: boards are fenced like documents: cut off from the routing store, a node closes its board sockets (1012) and refuses board sockets (4503); a board another region took over meanwhile is never served there again', { skip: storeName === 'a libSQL file' ? 'the libSQL file cannot be cut off; the PostgreSQL run covers it' : false }, async () => {
      const link = storeLink!;
      const control = await openControlStores({ url: store.dbUrl! });
      try {
        const boardId = `cut-board-${randomUUID()}`;
        const routeKey = `board#${keyOf(boardId)}`;
        const { client: onC } = await RawBoardClient.join(url('c1'), boardId, regions.token);
        boardClients.push(onC);
        onC.send({ type: 'mutate', clientBatchId: 'in-c', mutations: [{ op: 'upsert', pageId: 'p', element: { id: 'c', type: 'dot' } }] });
        assert.equal((await onC.next('ack')).sequence, 1);
        assert.equal((await control.routing.getRoute(routeKey))?.region, 'c');
        const cutAt = Date.now();
        link.setTarget(1);
        link.cutAll();
        const closed = await onC.waitForClose(10_000);
        assert.equal(closed.code, 1012, 'its socket closes: no mutation is taken under a pin it cannot prove');
        assert.ok(Date.now() - cutAt <= regionTimers.nodeTimeoutMs + regionTimers.heartbeatIntervalMs, 'within the timeout');
        const refused = RawBoardClient.connect(url('c1'), boardId, regions.token);
        boardClients.push(refused);
        assert.equal((await refused.waitForClose(5_000)).code, 4503, 'a board socket meanwhile is refused, to be retried');
        // Region c's only node is silent now: region b takes the board over at epoch 2.
        let onB: RawBoardClient | null = null;
        await eventually(async () => {
          const attempt = RawBoardClient.connect(url('b1'), boardId, regions.token);
          boardClients.push(attempt);
          const opened = await attempt.opened.then(() => true, () => false);
          if (!opened) return false;
          attempt.send({ type: 'join', displayName: 'b' });
          const joined = await attempt.next('joined', () => true, 1_000).then(() => true, () => false);
          if (joined) onB = attempt;
          return joined;
        }, 15_000, 'b takes the board over');
        const owner = onB as RawBoardClient | null;
        assert.ok(owner);
        assert.deepEqual(await control.routing.getRoute(routeKey).then((route) => ({ region: route?.region, epoch: route?.epoch })), { region: 'b', epoch: 2 });
        owner.send({ type: 'mutate', clientBatchId: 'in-b', mutations: [{ op: 'upsert', pageId: 'p', element: { id: 'b', type: 'dot' } }] });
        assert.equal((await owner.next('ack')).sequence, 2, "the log continues after c's mutation");
        link.setTarget(Number(new URL(store.dbUrl!).port || 5432));
        const fencedLine = () => regions.logsOf('c1').find((line) => String(line.msg).startsWith('fenced: the board') && line.docKey === routeKey);
        await eventually(() => fencedLine() !== undefined, 10_000, 'c1 logs the fence once the store answers');
        assert.equal(fencedLine()?.region, 'b');
        assert.equal(fencedLine()?.epoch, 2);
        const { client: back, joined } = await RawBoardClient.join(url('c1'), boardId, regions.token, { displayName: 'back in c' });
        boardClients.push(back);
        assert.equal(joined.sequence, 2, 'c1 proxies to the new owner, whose head it joins');
        back.send({ type: 'mutate', clientBatchId: 'back-in-c', mutations: [{ op: 'upsert', pageId: 'p', element: { id: 'c2', type: 'dot' } }] });
        assert.equal((await back.next('ack')).sequence, 3);
        assert.equal((await owner.next('mutations', (message) => message.sequence === 3)).mutations.length, 1, 'ordered by the owner, live to its participants');
        assert.deepEqual(await control.routing.getRoute(routeKey).then((route) => ({ region: route?.region, epoch: route?.epoch })), { region: 'b', epoch: 2 }, "c1's old session released nothing");
      } finally {
        await control.close();
      }
    });
  });
}
