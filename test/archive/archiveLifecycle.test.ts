import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LibsqlDocumentArchive } from '../../src/archive/libsqlDocumentArchive.js';
import { openDocumentArchive } from '../../src/archive/openDocumentArchive.js';
import type { DocumentArchive } from '../../src/archive/documentArchive.js';
import { MemorySyncLayer } from '../../src/sync/memorySyncLayer.js';
import { captureLogger } from '../helpers/captureLogger.js';
import { ControllableSyncLayer } from '../helpers/controllableSyncLayer.js';
import { documentRequest, textOfState } from '../helpers/documentHttp.js';
import { RecordingArchive } from '../helpers/recordingArchive.js';
import { startS3Server, type S3Server } from '../helpers/s3Server.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';
import type { WebsocketProvider } from 'y-websocket';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('archiving documents through their lifecycle (issue 17)', () => {
  let dir: string;
  let archive: LibsqlDocumentArchive;
  let recording: RecordingArchive;
  let layer: ControllableSyncLayer;
  let server: TestServer;
  const providers: WebsocketProvider[] = [];
  const intervalMs = 200;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wiresocket-archive-life-'));
    archive = await LibsqlDocumentArchive.open(`file:${path.join(dir, 'archive.db')}`);
    server = await startTestServer({
      config: { graceMs: 200, archiveIntervalMs: intervalMs },
      archive: (recording = new RecordingArchive(archive)),
      wrapSyncLayer: (inner) => (layer = new ControllableSyncLayer(inner)),
    });
    // One call log for both, so the order of "archived" and "dropped" shows.
    (recording as unknown as { calls: string[] }).calls = layer.calls;
  });
  after(async () => {
    destroyAll(providers);
    await server.close();
    await archive.close();
    await rm(dir, { recursive: true, force: true });
  });

  const client = async (name: string) => {
    const made = connectClient(server.url, name, { token: await server.token() });
    providers.push(made.provider);
    await waitForSync(made.provider);
    return made;
  };
  const leave = (provider: WebsocketProvider) => {
    destroyAll([provider]);
    providers.splice(providers.indexOf(provider), 1);
  };
  const ended = (name: string) => eventually(async () => (await server.stores.routing.getRoute(server.key(name))) === null && !server.hub.has(server.key(name)), 5000, `${name} to end`);

  it('ARCH-2: when a session ends its final state is archived before its sync-layer state is dropped', async () => {
    const { provider, doc } = await client('arch-final');
    doc.getText('t').insert(0, 'keep me');
    await eventually(() => server.server.documents.getSession(server.key('arch-final'))?.encodeState() !== undefined && textOfState(server.server.documents.getSession(server.key('arch-final'))!.encodeState()) === 'keep me');
    leave(provider);
    await ended('arch-final');
    const key = server.key('arch-final');
    const archived = await archive.get(key);
    assert.ok(archived);
    assert.equal(textOfState(archived), 'keep me');
    const archivedAt = layer.calls.lastIndexOf(`archive ${key}`);
    const droppedAt = layer.calls.lastIndexOf(`delete ${key}`);
    assert.ok(archivedAt >= 0 && droppedAt > archivedAt, `archived (${archivedAt}) before dropped (${droppedAt})`);
  });

  it('ARCH-3: a new session starts from the archived state: the first client\'s step 2 has it; GET reads the archive meanwhile', async () => {
    const key = server.key('arch-final');
    const read = await documentRequest(server.url, '/v1/documents/arch-final', await server.token());
    assert.equal(read.status, 200);
    assert.equal(read.bytes.byteLength > 0 && textOfState(read.bytes), 'keep me');
    const initsBefore = layer.calls.filter((call) => call === `init ${key}`).length;
    const { provider, doc } = await client('arch-final');
    // waitForSync resolved on the server's step 2: nothing arrived after it.
    assert.equal(doc.getText('t').toString(), 'keep me');
    assert.equal(layer.calls.filter((call) => call === `init ${key}`).length, initsBefore + 1);
    doc.getText('t').insert(7, ', and this');
    await eventually(() => textOfState(server.server.documents.getSession(key)!.encodeState()) === 'keep me, and this');
    leave(provider);
    await ended('arch-final');
    assert.equal(textOfState((await archive.get(key))!), 'keep me, and this');
  });

  it('ARCH-4: a live document that changed is checkpointed every --archive-interval-ms; one that did not change is not written', async () => {
    const key = server.key('arch-checkpoint');
    const { provider, doc } = await client('arch-checkpoint');
    doc.getText('t').insert(0, 'v1');
    await eventually(async () => textOfState((await archive.get(key)) ?? new Uint8Array([0, 0])) === 'v1', 3 * intervalMs + 1000, 'a checkpoint');
    assert.ok(await server.stores.routing.getRoute(key), 'while the session is live');
    const afterFirst = recording.putsOf(key);
    await sleep(4 * intervalMs);
    assert.equal(recording.putsOf(key), afterFirst, 'no change, no write');
    doc.getText('t').insert(2, ' v2');
    await eventually(async () => textOfState((await archive.get(key))!) === 'v1 v2', 3 * intervalMs + 1000, 'the next checkpoint');
    assert.equal(recording.putsOf(key), afterFirst + 1);
    leave(provider);
    await ended('arch-checkpoint');
  });

  it('ARCH-5: checkpoints of many documents opened together are spread over the interval (jittered, on the housekeeping queue)', async () => {
    const names = Array.from({ length: 30 }, (_, index) => `arch-spread-${index}`);
    const opened = await Promise.all(names.map((name) => client(name)));
    const since = Date.now();
    for (const { doc } of opened) doc.getText('t').insert(0, 'x');
    await eventually(() => names.every((name) => recording.putsOf(server.key(name)) >= 1), 3 * intervalMs + 2000, 'a checkpoint of each');
    const firstPuts = names.map((name) => recording.puts.find((put) => put.docKey === server.key(name) && put.at >= since)!.at);
    const spreadMs = Math.max(...firstPuts) - Math.min(...firstPuts);
    assert.ok(spreadMs >= 10, `checkpoints spread over ${spreadMs} ms`);
    assert.ok(new Set(firstPuts.map((at) => Math.floor(at / 5))).size >= 3, 'in several turns');
    for (const { provider } of opened) leave(provider);
    for (const name of names) await ended(name);
  });
});

describe('ARCH-6: an archive that fails at the end keeps the state in the sync layer and retries (S3 stopped)', () => {
  let s3: S3Server;
  let archive: DocumentArchive;
  let server: TestServer;
  const logs = captureLogger();

  before(async () => {
    s3 = await startS3Server();
    archive = await openDocumentArchive({ url: `s3://${s3.bucket}/docs`, s3Endpoint: s3.endpoint });
    server = await startTestServer({ config: { graceMs: 150, archiveIntervalMs: 60_000 }, archive, logger: logs.logger });
  });
  after(async () => {
    await server.close();
    await archive.close();
    await s3.close();
  });

  it('ARCH-6: the final state is never lost silently: kept, logged, retried once S3 is back, then dropped from the sync layer', async () => {
    const key = server.key('arch-fault');
    const made = connectClient(server.url, 'arch-fault', { token: await server.token() });
    await waitForSync(made.provider);
    made.doc.getText('t').insert(0, 'survives the outage');
    await eventually(() => textOfState(server.server.documents.getSession(key)!.encodeState()) === 'survives the outage');
    await s3.stop();
    destroyAll([made.provider]);
    await eventually(async () => (await server.stores.routing.getRoute(key)) === null, 10_000, 'the session to end');
    await eventually(() => logs.lines.some((line) => line.docKey === key && line.level === 50), 15_000, 'the failure to be logged as an error');
    assert.equal(server.hub.has(key), true, 'the sync-layer state is kept');
    assert.ok(server.server.documents.getSession(key) === null);
    await s3.start();
    await eventually(async () => !server.hub.has(key), 20_000, 'the retry to archive it and drop the sync-layer state');
    assert.equal(textOfState((await archive.get(key))!), 'survives the outage');
    assert.ok(logs.lines.some((line) => line.docKey === key && /after a retry/.test(String(line.msg))));
  });
});
