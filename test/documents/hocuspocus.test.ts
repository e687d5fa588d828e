import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { textUpdate } from '../helpers/frames.js';
import { connectHocuspocus, destroyHocuspocus, hocuspocusSocket, waitForHocuspocusSync } from '../helpers/hocuspocusClient.js';
import { authFrame, hocuspocusFrame, hocuspocusSyncFrame, RawHocuspocusClient, type HocuspocusServerFrame } from '../helpers/rawHocuspocusClient.js';
import { generateHs256Secret } from '../../src/auth/keyMaterial.js';
import { startTestServer, type TestApp, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, waitForSync, withTimeout } from '../helpers/yjsClient.js';
import type { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import type { WebsocketProvider } from 'y-websocket';

const isSyncStatus = (value: number) => (frame: HocuspocusServerFrame) => frame.type === 8 && frame.subType === value;

describe('the Hocuspocus dialect (issue 16)', () => {
  let server: TestServer;
  const providers: HocuspocusProvider[] = [];
  const sockets: HocuspocusProviderWebsocket[] = [];
  const stock: WebsocketProvider[] = [];
  const raws: RawHocuspocusClient[] = [];

  before(async () => {
    server = await startTestServer({ config: { maxDocumentsPerSocket: 3, maxPreauthMessages: 8 } });
  });
  after(async () => {
    destroyHocuspocus(providers, sockets);
    destroyAll(stock);
    for (const raw of raws) raw.close();
    // Whatever a test saw, the internal types never reach a client.
    for (const raw of raws) assert.ok(raw.frames.every((frame) => frame.type !== 4 && frame.type !== 6), 'types 4 and 6 are never sent');
    await server.close();
  });

  const socket = (): HocuspocusProviderWebsocket => {
    const made = hocuspocusSocket(server.url);
    sockets.push(made);
    return made;
  };
  const attach = (on: HocuspocusProviderWebsocket, name: string, token: string, doc?: Y.Doc) => {
    const client = connectHocuspocus(on, name, token, doc);
    providers.push(client.provider);
    return client;
  };
  const raw = (path = ''): RawHocuspocusClient => {
    const made = RawHocuspocusClient.connect(server.url, path);
    raws.push(made);
    return made;
  };
  const stateOf = (name: string, app?: TestApp): string => {
    const session = server.server.documents.getSession(server.key(name, app));
    if (!session) return '';
    const doc = new Y.Doc();
    Y.applyUpdate(doc, session.encodeState());
    return doc.getText('t').toString();
  };

  it('HOCUS-1/HOCUS-2: a HocuspocusProvider at the root URL authenticates with the JWT and syncs with another one', async () => {
    const token = await server.token();
    const a = attach(socket(), 'notes-1', token);
    const b = attach(socket(), 'notes-1', token);
    assert.equal(await a.authenticated, 'read-write');
    await Promise.all([waitForHocuspocusSync(a.provider), waitForHocuspocusSync(b.provider)]);
    a.doc.getText('t').insert(0, 'from a');
    await eventually(() => b.doc.getText('t').toString() === 'from a', 5000, 'b sees a');
    b.doc.getText('t').insert(0, 'b+');
    await eventually(() => a.doc.getText('t').toString() === 'b+from a', 5000, 'a sees b');
    assert.equal(stateOf('notes-1'), 'b+from a');
  });

  it('HOCUS-1: /v1/hocuspocus with a query string is the dialect too; /<name> stays y-websocket', async () => {
    const client = raw('/v1/hocuspocus?ignored=1');
    await client.opened;
    client.send(authFrame('path-doc', await server.token()));
    const answer = await client.waitForFrame((frame) => frame.type === 2);
    assert.deepEqual([answer.name, answer.subType, answer.text], ['path-doc', 2, 'read-write']);
    const y = connectClient(server.url, 'path-doc', { token: await server.token() });
    stock.push(y.provider);
    await waitForSync(y.provider);
  });

  it('HOCUS-5/HOCUS-6: step 2 then the server step 1; an update is stored, then [8][1], then echoed to its sender', async () => {
    const client = raw();
    await client.opened;
    client.send(authFrame('order', await server.token()));
    client.send(hocuspocusSyncFrame('order', 0, Y.encodeStateVector(new Y.Doc())));
    await client.waitForFrame((frame) => frame.type === 0 && frame.subType === 0);
    const sync = client.framesOf('order').filter((frame) => frame.type === 0).map((frame) => frame.subType);
    assert.deepEqual(sync, [1, 0], 'step 2 first, then step 1');
    assert.equal(client.framesOf('order')[0]?.type, 2, 'Authenticated comes first');
    client.send(hocuspocusSyncFrame('order', 2, textUpdate('typed', 't', 424242)));
    await client.waitForFrame(isSyncStatus(1));
    assert.equal(stateOf('order'), 'typed', 'stored before the acknowledgement');
    await client.waitForFrame((frame) => frame.type === 0 && frame.subType === 2);
  });

  it('HOCUS-6: hasUnsyncedChanges returns to false after an edit, once the edit is stored', async () => {
    const client = attach(socket(), 'unsynced', await server.token());
    await waitForHocuspocusSync(client.provider);
    await eventually(() => !client.provider.hasUnsyncedChanges, 5000, 'the initial sync acknowledged');
    client.doc.getText('t').insert(0, 'saved?');
    assert.equal(client.provider.hasUnsyncedChanges, true);
    await eventually(() => !client.provider.hasUnsyncedChanges, 5000, 'the edit acknowledged');
    assert.equal(stateOf('unsynced'), 'saved?');
  });

  it('HOCUS-2/HOCUS-6: a read-only token gets scope readonly; its updates get [8][0] and are not stored', async () => {
    const readOnly = await server.token({ access: 'read-only' });
    const provider = attach(socket(), 'readonly-doc', readOnly);
    assert.equal(await provider.authenticated, 'readonly');
    await waitForHocuspocusSync(provider.provider);
    const client = raw();
    await client.opened;
    client.send(authFrame('readonly-doc', readOnly));
    await client.waitForFrame((frame) => frame.type === 2 && frame.subType === 2 && frame.text === 'readonly');
    client.send(hocuspocusSyncFrame('readonly-doc', 2, textUpdate('nope', 't', 515151)));
    await client.waitForFrame(isSyncStatus(0));
    provider.doc.getText('t').insert(0, 'also nope');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(provider.provider.hasUnsyncedChanges, true, 'a refused edit stays unsynced');
    assert.equal(stateOf('readonly-doc'), '');
  });

  it('HOCUS-7: a HocuspocusProvider and a stock y-websocket client on one document converge and see each other\'s awareness', async () => {
    const token = await server.token();
    const hocus = attach(socket(), 'both-dialects', token);
    const y = connectClient(server.url, 'both-dialects', { token });
    stock.push(y.provider);
    await Promise.all([waitForHocuspocusSync(hocus.provider), waitForSync(y.provider)]);
    hocus.doc.getText('t').insert(0, 'tiptap;');
    y.doc.getText('t').insert(0, 'ywebsocket;');
    await eventually(() => hocus.doc.getText('t').length === 18 && hocus.doc.getText('t').toString() === y.doc.getText('t').toString(), 5000, 'convergence');
    hocus.provider.setAwarenessField('user', { name: 'hocus' });
    y.provider.awareness.setLocalStateField('user', { name: 'y' });
    const hocusId = hocus.doc.clientID;
    await eventually(() => (y.provider.awareness.getStates().get(hocusId) as { user?: { name: string } } | undefined)?.user?.name === 'hocus', 5000, 'y sees hocus');
    await eventually(() => (hocus.provider.awareness?.getStates().get(y.doc.clientID) as { user?: { name: string } } | undefined)?.user?.name === 'y', 5000, 'hocus sees y');
    // A detach (CLOSE) takes the Hocuspocus connection's awareness away for everyone.
    hocus.provider.detach();
    await eventually(() => !y.provider.awareness.getStates().has(hocusId), 5000, 'awareness removed on detach');
  });

  it('HOCUS-3: a bad token and an expired token get PermissionDenied; the socket stays open for another document', async () => {
    const expired = await server.token({ ttlSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const shared = socket();
    let disconnects = 0;
    shared.on('disconnect', () => disconnects++);
    const bad = attach(shared, 'denied-bad', 'not.a.jwt');
    const old = attach(shared, 'denied-expired', expired);
    assert.match(await bad.denied, /token/);
    assert.match(await old.denied, /expired/);
    const good = attach(shared, 'allowed', await server.token());
    await waitForHocuspocusSync(good.provider);
    good.doc.getText('t').insert(0, 'fine');
    await eventually(() => stateOf('allowed') === 'fine', 5000, 'the other document is served');
    assert.equal(disconnects, 0, 'the socket never closed');
    assert.equal(server.server.documents.getSession(server.key('denied-bad')), null, 'nothing was created for a denied document');
  });

  it('HOCUS-3: a docs grant miss is PermissionDenied for that document only', async () => {
    const client = raw();
    await client.opened;
    const token = await server.token({ docs: ['granted*'] });
    client.send(authFrame('other', token));
    client.send(authFrame('granted-1', token));
    const denied = await client.waitForFrame((frame) => frame.name === 'other' && frame.type === 2);
    assert.equal(denied.subType, 1);
    assert.match(denied.text ?? '', /does not grant/);
    const granted = await client.waitForFrame((frame) => frame.name === 'granted-1' && frame.type === 2);
    assert.equal(granted.subType, 2);
  });

  it('HOCUS-3/HOCUS-11: a token that expires mid-session ends just its document (PermissionDenied, then CLOSE)', async () => {
    const shared = socket();
    const shortLived = attach(shared, 'expiring', await server.token({ ttlSeconds: 2 }));
    const longLived = attach(shared, 'lasting', await server.token());
    await Promise.all([waitForHocuspocusSync(shortLived.provider), waitForHocuspocusSync(longLived.provider)]);
    assert.match(await shortLived.denied, /expired/);
    assert.deepEqual(await withTimeout(shortLived.closed, 5000, 'CLOSE'), { code: 1000, reason: 'TOKEN_EXPIRED' }, 'HOCUS-11: then CLOSE');
    longLived.doc.getText('t').insert(0, 'still here');
    await eventually(() => stateOf('lasting') === 'still here', 5000, 'the other document is served');
  });

  it('HOCUS-3/HOCUS-11: a key rotation mid-session (PermissionDenied, then CLOSE) and a tenant quota each deny just their document', async () => {
    const rotating = await server.addApp('acme', `rotating-${Date.now()}`);
    const tiny = await server.addApp(`tiny${Date.now()}`, 'app', 1);
    const shared = socket();
    let disconnects = 0;
    shared.on('disconnect', () => disconnects++);
    const kept = attach(shared, 'quota-1', await server.token({ app: tiny }));
    await waitForHocuspocusSync(kept.provider);
    const overQuota = attach(shared, 'quota-2', await server.token({ app: tiny }));
    assert.match(await overQuota.denied, /maxDocuments/);
    const rotated = attach(shared, 'rotated-doc', await server.token({ app: rotating }));
    await waitForHocuspocusSync(rotated.provider);
    await server.stores.tenants.rotateAppKey(rotating.tenantId, rotating.appId, { kind: 'hs256-secret', secret: generateHs256Secret() });
    assert.match(await rotated.denied, /rotated/);
    assert.deepEqual(await withTimeout(rotated.closed, 5000, 'CLOSE'), { code: 1000, reason: 'TOKEN_KEY_ROTATED' }, 'HOCUS-11: then CLOSE');
    kept.doc.getText('t').insert(0, 'kept');
    await eventually(() => stateOf('quota-1', tiny) === 'kept', 5000, 'the document within the quota is served');
    assert.equal(disconnects, 0, 'the socket never closed');
  });

  it('HOCUS-11: a client CLOSE (detach) ends just that document: its connection and awareness go, the socket\'s other document goes on', async () => {
    const token = await server.token();
    const shared = socket();
    const leaving = attach(shared, 'detach-1', token);
    const staying = attach(shared, 'detach-2', token);
    const y = connectClient(server.url, 'detach-1', { token });
    stock.push(y.provider);
    await Promise.all([waitForHocuspocusSync(leaving.provider), waitForHocuspocusSync(staying.provider), waitForSync(y.provider)]);
    leaving.provider.setAwarenessField('user', 'leaving');
    await eventually(() => y.provider.awareness.getStates().has(leaving.doc.clientID), 5000, 'y sees the awareness');
    const session = () => server.server.documents.getSession(server.key('detach-1'));
    assert.equal(session()?.connectionCount, 2);
    leaving.provider.detach();
    await eventually(() => session()?.connectionCount === 1, 5000, 'the Hocuspocus connection is gone');
    await eventually(() => !y.provider.awareness.getStates().has(leaving.doc.clientID), 5000, 'its awareness is removed');
    staying.doc.getText('t').insert(0, 'on');
    await eventually(() => stateOf('detach-2') === 'on', 5000, 'the other document is served');
  });

  it('HOCUS-11: the server ends one document with CLOSE and a reason (y-websocket gets the close code); the socket stays open for the others', async () => {
    const token = await server.token();
    const shared = socket();
    let disconnects = 0;
    shared.on('disconnect', () => disconnects++);
    const ended = attach(shared, 'ended-doc', token);
    const other = attach(shared, 'ended-other', token);
    const y = connectClient(server.url, 'ended-doc', { token });
    stock.push(y.provider);
    let yClose: number | null = null;
    y.provider.on('connection-close', (event: { code: number } | null) => (yClose ??= event?.code ?? null));
    await Promise.all([waitForHocuspocusSync(ended.provider), waitForHocuspocusSync(other.provider), waitForSync(y.provider)]);
    const session = server.server.documents.getSession(server.key('ended-doc'));
    assert.ok(session);
    session.endConnections(4403, 'ended by the server');
    assert.deepEqual(await withTimeout(ended.closed, 5000, 'CLOSE'), { code: 1000, reason: 'ended by the server' });
    await eventually(() => yClose === 4403, 5000, 'the y-websocket socket closed with the code');
    assert.equal(session.connectionCount, 0);
    other.doc.getText('t').insert(0, 'still open');
    await eventually(() => stateOf('ended-other') === 'still open', 5000, 'the other document is served');
    assert.equal(disconnects, 0, 'the socket never closed');
  });

  it('HOCUS-11: a token that expires mid-session gets PermissionDenied, then CLOSE with the reason the y-websocket close carries', async () => {
    const client = raw();
    await client.opened;
    client.send(authFrame('expires-raw', await server.token({ ttlSeconds: 2 })));
    client.send(authFrame('outlives', await server.token()));
    client.send(hocuspocusSyncFrame('expires-raw', 0, Y.encodeStateVector(new Y.Doc())));
    const closed = await client.waitForFrame((frame) => frame.name === 'expires-raw' && frame.type === 7, 6000);
    assert.equal(closed.text, 'TOKEN_EXPIRED');
    const types = client.framesOf('expires-raw').map((frame) => [frame.type, frame.subType]);
    assert.deepEqual(types.slice(-2), [[2, 1], [7, null]], 'PermissionDenied, then CLOSE');
    // The document is no longer open on this socket: its frames are dropped, the other document is answered.
    client.send(hocuspocusSyncFrame('expires-raw', 2, textUpdate('late', 't', 616161)));
    client.send(hocuspocusSyncFrame('outlives', 2, textUpdate('alive', 't', 717171)));
    await client.waitForFrame((frame) => frame.name === 'outlives' && frame.type === 8 && frame.subType === 1);
    assert.equal(stateOf('expires-raw'), '');
    assert.equal(client.ws.readyState, client.ws.OPEN);
  });

  it('HOCUS-9: two documents over one socket; past the per-socket limit the next one gets PermissionDenied', async () => {
    const shared = socket();
    const token = await server.token();
    const opened = ['multi-1', 'multi-2', 'multi-3'].map((name) => attach(shared, name, token));
    await Promise.all(opened.map((client) => waitForHocuspocusSync(client.provider)));
    const fourth = attach(shared, 'multi-4', token);
    assert.match(await fourth.denied, /as many documents/);
    opened[0]!.doc.getText('t').insert(0, 'one');
    opened[1]!.doc.getText('t').insert(0, 'two');
    await eventually(() => stateOf('multi-1') === 'one' && stateOf('multi-2') === 'two', 5000, 'the first documents go on');
  });

  it('HOCUS-9: sessionAwareness providers (name\\0sessionId) share one socket and one document, each answered on its own key', async () => {
    const shared = socket();
    const token = await server.token();
    const first = connectHocuspocus(shared, 'sessions', token, new Y.Doc(), { sessionAwareness: true });
    const second = connectHocuspocus(shared, 'sessions', token, new Y.Doc(), { sessionAwareness: true });
    providers.push(first.provider, second.provider);
    await Promise.all([waitForHocuspocusSync(first.provider), waitForHocuspocusSync(second.provider)]);
    first.doc.getText('t').insert(0, 'one tab;');
    second.doc.getText('t').insert(0, 'other tab;');
    await eventually(() => first.doc.getText('t').length === 18 && first.doc.getText('t').toString() === second.doc.getText('t').toString(), 5000, 'both tabs converge');
    assert.equal(stateOf('sessions'), first.doc.getText('t').toString(), 'one document: the name before the separator');
  });

  it('HOCUS-4: messages queued before the auth completes are bounded; past the bound the socket closes with 4205', async () => {
    // A new app: its key is not cached, so its first auth waits for the store while the frames arrive.
    const app = await server.addApp('acme', `queue-${Date.now()}`);
    const client = raw();
    await client.opened;
    client.send(authFrame('queued', await server.token({ app })));
    for (let i = 0; i < 20; i++) client.send(hocuspocusSyncFrame('queued', 0, Y.encodeStateVector(new Y.Doc())));
    assert.equal((await client.waitForClose()).code, 4205);
  });

  it('HOCUS-8: Ping gets Pong; query awareness is answered; stateless goes to the other connections only', async () => {
    const client = raw();
    await client.opened;
    client.send(Uint8Array.of(9));
    await client.waitForFrame((frame) => frame.type === 10 && frame.name === null);
    const token = await server.token();
    const a = attach(socket(), 'stateless', token);
    await waitForHocuspocusSync(a.provider);
    a.provider.setAwarenessField('user', 'a');
    client.send(authFrame('stateless', token));
    await client.waitForFrame((frame) => frame.type === 2 && frame.subType === 2);
    client.send(hocuspocusFrame('stateless', 3));
    await client.waitForFrame((frame) => frame.name === 'stateless' && frame.type === 1);
    const heard: string[] = [];
    a.provider.on('stateless', ({ payload }: { payload: string }) => heard.push(payload));
    client.send(hocuspocusFrame('stateless', 5, (encoder) => encoding.writeVarString(encoder, 'hello')));
    await eventually(() => heard.includes('hello'), 5000, 'stateless relayed');
    a.provider.sendStateless('back');
    await client.waitForFrame((frame) => frame.type === 5 && frame.text === 'back');
    assert.ok(!client.frames.some((frame) => frame.type === 5 && frame.text === 'hello'), 'not back to its sender');
  });

  it('HOCUS-15: stateless messages above --max-stateless-per-second and its burst end the sender\'s document (4429: PermissionDenied); within them all are relayed', async () => {
    const token = await server.token();
    const listener = attach(socket(), 'stateless-flood', token);
    await waitForHocuspocusSync(listener.provider);
    const heard: string[] = [];
    listener.provider.on('stateless', ({ payload }: { payload: string }) => heard.push(payload));
    const flooder = raw();
    await flooder.opened;
    flooder.send(authFrame('stateless-flood', token));
    await flooder.waitForFrame((frame) => frame.type === 2 && frame.subType === 2);
    const hitsBefore = await server.server.metrics.hitsOf('stateless-rate');
    // 20/s with a burst of 40: of 100 sent at once, the first 40 (and what refilled meanwhile) pass, then the sender is closed.
    for (let i = 0; i < 100; i++) flooder.send(hocuspocusFrame('stateless-flood', 5, (encoder) => encoding.writeVarString(encoder, `m${i}`)));
    // Hocuspocus ends just that document (PermissionDenied naming the limit); the socket stays open.
    await flooder.waitForFrame((frame) => frame.name === 'stateless-flood' && frame.type === 2 && frame.subType === 1 && /stateless/.test(frame.text ?? ''));
    await eventually(() => heard.length >= 40, 5000, 'the burst relayed');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(heard.length < 50, `${heard.length} of 100 relayed`);
    assert.deepEqual(heard, heard.map((_, i) => `m${i}`), 'in order, none lost before the limit');
    assert.equal(await server.server.metrics.hitsOf('stateless-rate'), hitsBefore + 1);
  });

  it('HOCUS-4/LIM-2: a malformed frame or an internal type closes the socket with 4400', async () => {
    const bad = raw();
    await bad.opened;
    bad.send(hocuspocusFrame('x', 6));
    assert.equal((await bad.waitForClose()).code, 4400);
    const truncated = raw();
    await truncated.opened;
    truncated.send(Uint8Array.of(5, 0x61));
    assert.equal((await truncated.waitForClose()).code, 4400);
  });
});
