import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { waitForAgreement } from '../helpers/clusterAgreement.js';
import { updateFrame } from '../helpers/frames.js';
import { fetchNodeState, type DocumentShape } from '../helpers/nodeState.js';
import { RawClient, type ServerFrame } from '../helpers/rawClient.js';
import { runEditPhase, sleep, type Editor } from '../helpers/randomEditors.js';
import { startRedisInstance, type RedisInstance } from '../helpers/redisInstance.js';
import { startServeCluster, type ClusterNode, type ServeCluster } from '../helpers/serveCluster.js';
import { connectClient, destroyAll, waitForSync } from '../helpers/yjsClient.js';
import { redisServerInstalled } from '../sync/redisTestSupport.js';

const installed = await redisServerInstalled();
const ci = process.env.CI === 'true';
const outageMs = 5_000;
const shape: DocumentShape = { texts: ['t'], maps: ['m'] };
const docName = 'through-an-outage';

/** What /readyz answers on a node: its HTTP status (0 when it did not answer at all). */
async function readiness(node: ClusterNode): Promise<number> {
  const response = await fetch(`${node.url.replace(/^ws/, 'http')}/readyz`, { signal: AbortSignal.timeout(4000) }).catch(() => null);
  return response?.status ?? 0;
}

/**
 * A writer that knows which of its updates were acknowledged: each update is independent (a map
 * key of its own, from a fresh Y.Doc) and counts as acknowledged once the server echoed it,
 * which it does only after the sync layer stored it. It never resends, so only the cluster can
 * keep what it acknowledged.
 */
class AcknowledgingWriter {
  readonly acknowledged: string[] = [];
  readonly closes: Array<{ code: number; afterMs: number }> = [];
  private socket: RawClient | null = null;
  private sent = 0;
  private readonly received = new Y.Doc();
  private readonly applied = new WeakSet<ServerFrame>();

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  async writeUntil(shouldStop: () => boolean): Promise<void> {
    while (!shouldStop()) {
      await this.writeOne();
      await sleep(100);
    }
    this.socket?.close();
  }

  private async writeOne(): Promise<void> {
    const socket = await this.openSocket();
    if (socket === null) return;
    const key = `ack-${this.sent++}`;
    const doc = new Y.Doc();
    doc.getMap('m').set(key, key);
    const update = Y.encodeStateAsUpdate(doc);
    doc.destroy();
    const sentAt = Date.now();
    socket.send(updateFrame(update));
    const echoed = socket.waitForFrame((frame) => this.carries(frame, key), 10_000);
    const outcome = await Promise.race([echoed.then(() => 'echoed' as const), socket.closed]).catch(() => 'timeout' as const);
    if (outcome === 'echoed') this.acknowledged.push(key);
    else if (outcome !== 'timeout') this.closes.push({ code: outcome.code, afterMs: Date.now() - sentAt });
  }

  /**
   * Whether the server has sent this key back. The server coalesces a document's updates into
   * merged broadcasts, so the echo is found by content: every update frame is applied once to a
   * document that collects what the server sent.
   */
  private carries(frame: ServerFrame, key: string): boolean {
    if (frame.type === 0 && frame.subType === 2 && frame.payload && !this.applied.has(frame)) {
      this.applied.add(frame);
      Y.applyUpdate(this.received, frame.payload);
    }
    return this.received.getMap('m').get(key) === key;
  }

  /** The open socket, or a new one; null when the server refused it (it is down or Redis is). */
  private async openSocket(): Promise<RawClient | null> {
    if (this.socket && this.socket.ws.readyState === this.socket.ws.OPEN) return this.socket;
    const socket = RawClient.connect(this.url, docName, ['Bearer', this.token]);
    const outcome = await socket.outcome(5000).catch(() => null);
    if (outcome !== 'open') {
      socket.close();
      await sleep(200);
      return null;
    }
    this.socket = socket;
    return socket;
  }
}

describe('cluster: Redis stopped for 5 s mid-session and started again', { skip: installed || ci ? false : 'the redis-server binary is not installed' }, () => {
  const providers: WebsocketProvider[] = [];
  let redis: RedisInstance | undefined;
  let cluster: ServeCluster | undefined;

  before(async () => {
    assert.ok(installed, 'redis-server must be installed (CI=true)');
    // A test-owned Redis without persistence: it comes back empty, the harder case.
    redis = await startRedisInstance();
    cluster = await startServeCluster({ redisUrl: redis.url, nodes: 2 });
  });
  after(async () => {
    destroyAll(providers.splice(0));
    await cluster?.stopAll();
    await redis?.dispose();
  });

  it('CLUSTER-5/CLUSTER-6: /readyz is false and new connects get 4503 during the outage; the nodes recover by themselves; clients converge; nothing acknowledged is lost', { timeout: 90_000 }, async (t) => {
    assert.ok(redis && cluster);
    const { nodes, token } = cluster;
    const editors: Array<Editor & { provider: WebsocketProvider }> = Array.from({ length: 6 }, (_, index) => {
      const connected = connectClient(nodes[index % 2].url, docName, { token });
      providers.push(connected.provider);
      return { index, edits: 0, ...connected };
    });
    await Promise.all(editors.map(({ provider }) => waitForSync(provider, 10_000)));
    let stopWriting = false;
    const writer = new AcknowledgingWriter(nodes[0].url, token);
    const writing = writer.writeUntil(() => stopWriting);
    const editing = runEditPhase(editors, 0x0b5e55ed, 3_000 + outageMs + 3_000, 50, 250);

    await sleep(3_000);
    const acknowledgedBefore = writer.acknowledged.length;
    await redis.stop('kill');
    const during = await observeOutage(nodes, token, outageMs);
    await redis.start();
    const edits = await editing;
    stopWriting = true;
    await writing;

    const parties = {
      clients: editors.map(({ index, doc }) => ({ name: `client ${index}`, doc })),
      nodes: nodes.map((node) => ({ name: `node ${node.nodeId}`, url: node.url })),
      docName,
      token,
      shape,
    };
    await waitForAgreement(parties, 30_000, () => nodes.flatMap((node) => node.logLines().slice(-10)));
    const fresh = connectClient(nodes[1].url, docName, { token });
    providers.push(fresh.provider);
    await waitForSync(fresh.provider, 10_000);
    const held = fresh.doc.getMap('m');
    const lost = writer.acknowledged.filter((key) => held.get(key) !== key);
    t.diagnostic(`${edits} edits; ${writer.acknowledged.length} acknowledged writes (${acknowledgedBefore} before the outage); writer closes ${JSON.stringify(writer.closes)}; readyz during ${JSON.stringify(during.readiness)}`);

    assert.ok(acknowledgedBefore > 5 && writer.acknowledged.length > acknowledgedBefore, 'writes were acknowledged before and after the outage');
    assert.deepEqual(lost, [], 'every acknowledged write is in the converged state');
    for (const node of nodes) assert.ok(during.readiness[node.nodeId]?.includes(503), `/readyz on ${node.nodeId} answered 503 during the outage`);
    assert.equal(during.newConnect, 4503, 'a new connect during the outage is closed with 4503');
    assert.ok(writer.closes.length > 0 && writer.closes.every(({ code, afterMs }) => code === 4503 && afterMs < 3_000), 'a write during the outage is refused (4503) within seconds, not held');
    for (const node of nodes) assert.equal(await readiness(node), 200, `${node.nodeId} is ready again without a restart`);
    const state = await fetchNodeState(nodes[0].url, docName, token);
    assert.ok(state.length > 2);
  });
});

/** Polls /readyz on every node and tries one new connect while Redis is away. */
async function observeOutage(nodes: ClusterNode[], token: string, outageMs: number): Promise<{ readiness: Record<string, number[]>; newConnect: number | 'open' }> {
  const endAt = Date.now() + outageMs;
  const seen: Record<string, number[]> = Object.fromEntries(nodes.map((node) => [node.nodeId, []]));
  await sleep(1_500);
  const probe = RawClient.connect(nodes[1].url, docName, ['Bearer', token]);
  const outcome = await probe.outcome(4000);
  probe.close();
  while (Date.now() < endAt) {
    for (const node of nodes) seen[node.nodeId].push(await readiness(node));
    await sleep(250);
  }
  return { readiness: seen, newConnect: outcome === 'open' ? 'open' : outcome.code };
}
