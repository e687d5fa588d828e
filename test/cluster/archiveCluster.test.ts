import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LibsqlDocumentArchive } from '../../src/archive/libsqlDocumentArchive.js';
import { RedisSyncLayer } from '../../src/sync/redisSyncLayer.js';
import { documentRequest, postUpdate, textInsert, textOfState } from '../helpers/documentHttp.js';
import { RecordingArchive } from '../helpers/recordingArchive.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, nextClose, waitForSync } from '../helpers/yjsClient.js';
import { adminClient, deleteKeysUnder, keysUnder, redisAnswers, standaloneRedisUrl } from '../sync/redisTestSupport.js';
import type { WebsocketProvider } from 'y-websocket';

const ci = process.env.CI === 'true';
const available = await redisAnswers();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the document API and the archive on two nodes of one Redis (issue 17)', { skip: available || ci ? false : 'Redis is not answering on 127.0.0.1:6379' }, () => {
  const keyPrefix = `ws-test-${randomUUID()}`;
  const intervalMs = 200;
  let dir: string;
  let archive: LibsqlDocumentArchive;
  const recorders = { a: null as RecordingArchive | null, b: null as RecordingArchive | null };
  let nodeA: TestServer;
  let nodeB: TestServer;
  const providers: WebsocketProvider[] = [];
  const redisNode = (nodeId: string) => new RedisSyncLayer({ nodeId, url: standaloneRedisUrl, keyPrefix, resyncIntervalMs: 200 });

  before(async () => {
    assert.ok(available, 'Redis must answer on 127.0.0.1:6379 (CI=true)');
    dir = await mkdtemp(path.join(tmpdir(), 'wiresocket-archive-cluster-'));
    archive = await LibsqlDocumentArchive.open(`file:${path.join(dir, 'archive.db')}`);
    recorders.a = new RecordingArchive(archive);
    recorders.b = new RecordingArchive(archive);
    const config = { graceMs: 300, archiveIntervalMs: intervalMs };
    nodeA = await startTestServer({ config: { ...config, nodeId: 'archive-a' }, createSyncLayer: redisNode, archive: recorders.a });
    nodeB = await startTestServer({ config: { ...config, nodeId: 'archive-b' }, createSyncLayer: redisNode, archive: recorders.b, shareWith: nodeA });
  });
  after(async () => {
    destroyAll(providers);
    await nodeB?.close();
    await nodeA?.close();
    await archive?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    if (!available) return;
    const admin = adminClient();
    await deleteKeysUnder(admin, keyPrefix);
    admin.disconnect();
  });

  const client = async (node: TestServer, name: string) => {
    const made = connectClient(node.url, name, { token: await node.token() });
    providers.push(made.provider);
    await waitForSync(made.provider);
    return made;
  };
  const leaveAll = () => destroyAll(providers.splice(0));

  it('API-7: on any node: a POST to B reaches a client on A, B reads the state from the sync layer and lists A\'s connection', async () => {
    const onA = await client(nodeA, 'cluster-api');
    const token = await nodeB.token();
    assert.equal((await postUpdate(nodeB.url, 'cluster-api', token, textInsert('via node B'))).status, 204);
    await eventually(() => onA.doc.getText('t').toString() === 'via node B', 5000, 'the update to reach the client on A');
    const read = await documentRequest(nodeB.url, '/v1/documents/cluster-api', token);
    assert.equal(read.status, 200);
    assert.equal(textOfState(read.bytes), 'via node B');
    const list = await documentRequest(nodeB.url, '/v1/documents', token);
    const row = (list.json as { documents: { documentName: string; connections: number }[] }).documents.find((entry) => entry.documentName === 'cluster-api');
    assert.equal(row?.connections, 1);
  });

  it('API-7: DELETE on B ends the session on A (4410) and drops its Redis keys and archive', async () => {
    const { provider } = providers.length > 0 ? { provider: providers[0] } : await client(nodeA, 'cluster-api');
    const closed = nextClose(provider);
    const key = nodeA.key('cluster-api');
    await archive.put(key, textInsert('an older archived state'));
    const response = await documentRequest(nodeB.url, '/v1/documents/cluster-api', await nodeB.token(), { method: 'DELETE' });
    assert.equal(response.status, 204);
    assert.equal((await closed).code, 4410);
    await eventually(() => nodeA.server.documents.getSession(key) === null, 5000, 'the session on A to end');
    const admin = adminClient();
    try {
      const tag = Buffer.from(key, 'utf8').toString('base64url');
      assert.deepEqual((await keysUnder(admin, keyPrefix)).filter((name) => name.includes(tag) && !name.includes(':lease:')), []);
    } finally {
      admin.disconnect();
    }
    // A checkpoint of A's that was due may land just after; A removes it again once it hears.
    await eventually(async () => (await archive.get(key)) === null, 5000, 'the archive entry to go');
    assert.equal(await nodeA.stores.routing.getRoute(key), null);
    leaveAll();
  });

  it('ARCH-9: a checkpoint in flight on A when B\'s DELETE clears the archive does not bring the document back', async () => {
    const name = 'deleted-mid-checkpoint';
    const key = nodeA.key(name);
    const onA = await client(nodeA, name);
    const release = recorders.a!.holdPuts();
    try {
      onA.doc.getText('t').insert(0, 'doomed words');
      await eventually(() => recorders.a!.waiting === 1, 5000, "A's checkpoint to be in flight");
      const closed = nextClose(onA.provider);
      const token = await nodeB.token();
      assert.equal((await documentRequest(nodeB.url, `/v1/documents/${name}`, token, { method: 'DELETE' })).status, 204);
      assert.equal((await closed).code, 4410);
      release();
      await eventually(() => recorders.a!.putsOf(key) === 1, 5000, "A's checkpoint to land");
      await eventually(async () => (await archive.get(key)) === null, 5000, 'the late checkpoint to be removed');
      await sleep(2 * intervalMs);
      assert.equal(await archive.get(key), null, 'nothing wrote it back');
      assert.equal((await documentRequest(nodeB.url, `/v1/documents/${name}`, token)).status, 404);
    } finally {
      release();
      leaveAll();
    }
  });

  it('ARCH-7: with clients writing on both nodes, exactly one node writes the checkpoints, at most one per interval, and one writes the final state', async () => {
    const name = 'cluster-checkpoints';
    const key = nodeA.key(name);
    const onA = await client(nodeA, name);
    const onB = await client(nodeB, name);
    const started = Date.now();
    for (let round = 0; round < 24; round++) {
      (round % 2 === 0 ? onA : onB).doc.getText('t').insert(0, `${round % 10}`);
      await sleep(50);
    }
    const writingMs = Date.now() - started;
    // Let the last change be checkpointed, then nothing more is due.
    await sleep(3 * intervalMs);
    const byA = recorders.a!.putsOf(key);
    const byB = recorders.b!.putsOf(key);
    assert.ok(byA + byB >= 3, `checkpoints were written (${byA} + ${byB})`);
    assert.ok(byA === 0 || byB === 0, `one writer: A wrote ${byA}, B wrote ${byB}`);
    // Ticks come 75-100 % of the interval apart: at most one checkpoint per 150 ms, plus the last.
    assert.ok(byA + byB <= Math.ceil((writingMs + 3 * intervalMs) / (0.75 * intervalMs)) + 1, `${byA + byB} checkpoints in ${writingMs} ms`);
    const text = onA.doc.getText('t').toString();
    await eventually(() => onB.doc.getText('t').toString() === text);
    assert.equal(textOfState((await archive.get(key))!), text, 'the last checkpoint holds every edit');
    const before = byA + byB;
    leaveAll();
    await eventually(async () => (await nodeA.stores.routing.getRoute(key)) === null, 5000, 'the session to end');
    await sleep(intervalMs);
    assert.equal(recorders.a!.putsOf(key) + recorders.b!.putsOf(key), before + 1, 'one final write, by one node');
    assert.equal(textOfState((await archive.get(key))!), text);
  });
});
