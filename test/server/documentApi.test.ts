import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as Y from 'yjs';
import { connectHocuspocus, destroyHocuspocus, hocuspocusSocket, waitForHocuspocusSync } from '../helpers/hocuspocusClient.js';
import { documentRequest, postUpdate, textInsert, textOfState } from '../helpers/documentHttp.js';
import { MemorySyncLayer } from '../../src/sync/memorySyncLayer.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, nextClose, waitForSync } from '../helpers/yjsClient.js';
import type { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import type { WebsocketProvider } from 'y-websocket';

describe('the document HTTP API (issue 17)', () => {
  let server: TestServer;
  const providers: WebsocketProvider[] = [];
  const hocuspocus: HocuspocusProvider[] = [];
  const hocuspocusSockets: HocuspocusProviderWebsocket[] = [];

  before(async () => {
    server = await startTestServer({ config: { graceMs: 300, maxMessageBytes: 64 * 1024 } });
  });
  after(async () => {
    destroyAll(providers);
    destroyHocuspocus(hocuspocus, hocuspocusSockets);
    await server.close();
  });

  const client = async (name: string, token?: string) => {
    const made = connectClient(server.url, name, { token: token ?? (await server.token()) });
    providers.push(made.provider);
    await waitForSync(made.provider);
    return made;
  };
  const get = async (name: string, query = '', token?: string | null) =>
    documentRequest(server.url, `/v1/documents/${encodeURIComponent(name)}${query}`, token === undefined ? await server.token() : token);

  it('API-1: GET returns the live session\'s whole state as one V1 update (application/octet-stream)', async () => {
    const { doc } = await client('api-read');
    doc.getText('t').insert(0, 'hello from a client');
    await eventually(async () => textOfState((await get('api-read')).bytes) === 'hello from a client', 5000, 'the edit over HTTP');
    const response = await get('api-read');
    assert.equal(response.status, 200);
    assert.equal(response.type, 'application/octet-stream');
    const copy = new Y.Doc();
    Y.applyUpdate(copy, response.bytes);
    assert.deepEqual(Y.encodeStateVector(copy), Y.encodeStateVector(doc));
  });

  it('API-1: 404 for a document neither live nor archived; errors are JSON { code, message }', async () => {
    const response = await get('api-never-opened');
    assert.equal(response.status, 404);
    assert.deepEqual(Object.keys(response.json as object).sort(), ['code', 'message']);
    assert.equal((response.json as { code: string }).code, 'DOCUMENT_NOT_FOUND');
  });

  it('API-1: the same tokens and grants as the sockets: 401 without a valid token, 403 outside the docs grant, 400 for a bad name', async () => {
    assert.equal((await get('api-read', '', null)).status, 401);
    assert.equal((await get('api-read', '', 'not-a-jwt')).status, 401);
    const other = await server.addApp('acme', 'other-app');
    assert.equal((await get('api-read', '', await server.token({ app: { ...other, secret: server.app.secret } }))).status, 401);
    const limited = await server.token({ docs: ['only-this'] });
    const forbidden = await get('api-read', '', limited);
    assert.equal(forbidden.status, 403);
    assert.equal((forbidden.json as { code: string }).code, 'DOCUMENT_FORBIDDEN');
    const badName = await documentRequest(server.url, '/v1/documents/%E0%A4%A', await server.token());
    assert.equal(badName.status, 400);
    assert.equal((badName.json as { code: string }).code, 'DOCUMENT_NAME_INVALID');
  });

  it('API-1: names are encoded as in the socket path: a name with "/", "::" and spaces is one document of the caller\'s app', async () => {
    const name = 'folder/sub::doc with spaces';
    const { doc } = await client(name);
    doc.getText('t').insert(0, 'nested name');
    await eventually(async () => textOfState((await get(name)).bytes) === 'nested name', 5000, 'the edit');
    const raw = await documentRequest(server.url, `/v1/documents/folder/sub::doc%20with%20spaces`, await server.token());
    assert.equal(textOfState(raw.bytes), 'nested name');
  });

  it('API-2: ?format=json shows each root type as JSON: text as a string, maps as objects, arrays, XML as its string, nested types', async () => {
    const { doc } = await client('api-json');
    doc.transact(() => {
      doc.getText('title').insert(0, 'Plan');
      const meta = doc.getMap('meta');
      meta.set('owner', 'ana');
      meta.set('count', 3);
      const nested = new Y.Text('inner');
      meta.set('note', nested);
      doc.getArray('items').insert(0, [1, 'two', { three: 3 }]);
      const paragraph = new Y.XmlElement('p');
      paragraph.insert(0, [new Y.XmlText('hi')]);
      doc.getXmlFragment('prosemirror').insert(0, [paragraph]);
      const gone = doc.getText('gone');
      gone.insert(0, 'x');
      gone.delete(0, 1);
    });
    await eventually(async () => ((await get('api-json', '?format=json')).json as { types: Record<string, unknown> }).types.prosemirror !== undefined, 5000, 'the edit');
    const response = await get('api-json', '?format=json');
    assert.equal(response.status, 200);
    assert.deepEqual(response.json, {
      documentName: 'api-json',
      source: 'session',
      types: {
        gone: null,
        items: [1, 'two', { three: 3 }],
        meta: { owner: 'ana', count: 3, note: 'inner' },
        prosemirror: '<p>hi</p>',
        title: 'Plan',
      },
    });
    assert.equal((await get('api-json', '?format=yaml')).status, 400);
  });

  it('API-3: POST .../updates stores the update and relays it to every connected client, the session staying live', async () => {
    const { doc } = await client('api-write');
    const response = await postUpdate(server.url, 'api-write', await server.token(), textInsert('from the backend'));
    assert.equal(response.status, 204);
    await eventually(() => doc.getText('t').toString() === 'from the backend', 5000, 'the relayed update');
    assert.equal(textOfState((await get('api-write')).bytes), 'from the backend');
  });

  it('API-3: an update is checked exactly as a client update: garbage, an empty body and a forward reference get 400 with the reason; nothing is stored', async () => {
    const token = await server.token();
    for (const body of [new Uint8Array([1, 2, 3, 250, 250]), new Uint8Array(0)]) {
      const response = await postUpdate(server.url, 'api-bad-update', token, body);
      assert.equal(response.status, 400);
      assert.equal((response.json as { code: string }).code, 'UPDATE_INVALID');
      assert.match((response.json as { message: string }).message, /Yjs update/);
    }
    // A client's second edit alone: it builds on the first, which the document lacks.
    const writer = new Y.Doc();
    writer.getText('t').insert(0, 'a');
    const before = Y.encodeStateVector(writer);
    writer.getText('t').insert(1, 'b');
    const unreachable = await postUpdate(server.url, 'api-bad-update', token, Y.encodeStateAsUpdate(writer, before));
    assert.equal(unreachable.status, 400);
    assert.equal((unreachable.json as { code: string }).code, 'UPDATE_UNREACHABLE');
    assert.equal(server.server.documents.getSession(server.key('api-bad-update')) === null || textOfState((await get('api-bad-update')).bytes) === '', true);
  });

  it('API-3: a body over --max-message-bytes gets 413; a read-only token gets 403 and changes nothing', async () => {
    const big = await postUpdate(server.url, 'api-limits', await server.token(), textInsert('x'.repeat(70 * 1024)));
    assert.equal(big.status, 413);
    assert.equal((big.json as { code: string }).code, 'MESSAGE_TOO_BIG');
    const readOnly = await postUpdate(server.url, 'api-limits', await server.token({ access: 'read-only' }), textInsert('no'));
    assert.equal(readOnly.status, 403);
    assert.equal((readOnly.json as { code: string }).code, 'READ_ONLY');
    assert.equal((await get('api-limits')).status, 404);
  });

  it('API-3: with no live session a POST creates one, as if a client connected, wrote and left: pinned, grace started, then ended', async () => {
    const response = await postUpdate(server.url, 'api-create', await server.token(), textInsert('created over HTTP'));
    assert.equal(response.status, 204);
    const key = server.key('api-create');
    assert.ok(await server.stores.routing.getRoute(key), 'pinned');
    await eventually(async () => (await server.stores.routing.countConnections(key)) === 0, 2000, 'its place to be given back');
    await eventually(() => server.server.documents.getSession(key)?.lifecycle.state.kind === 'idle', 2000, 'its grace to start');
    const { doc } = await client('api-create');
    assert.equal(doc.getText('t').toString(), 'created over HTTP', 'a client joining in the grace gets it');
    destroyAll([providers.pop()!]);
    await eventually(async () => (await server.stores.routing.getRoute(key)) === null, 5000, 'the grace to end the session');
    assert.equal(server.hub.has(key), false);
  });

  it('API-3: creating a session over HTTP counts against the tenant quota (429 past it)', async () => {
    const full = await server.addApp('tiny', 'app', 1);
    const token = (docs?: string[]) => server.token({ app: full, docs });
    assert.equal((await postUpdate(server.url, 'first', await token(), textInsert('1'))).status, 204);
    const refused = await postUpdate(server.url, 'second', await token(), textInsert('2'));
    assert.equal(refused.status, 429);
    assert.equal((refused.json as { code: string }).code, 'QUOTA_EXCEEDED');
  });

  it('API-4: GET /v1/documents lists the live documents of the caller\'s tenant and app, paginated with ?cursor=', async () => {
    const app = await server.addApp('lister', 'app');
    const names = ['doc-a', 'doc-b', 'doc-c', 'doc-d', 'doc-e'];
    const tokens = await server.token({ app });
    for (const name of names) assert.equal((await postUpdate(server.url, name, tokens, textInsert(name))).status, 204);
    const live = connectClient(server.url, 'doc-b', { token: tokens });
    providers.push(live.provider);
    await waitForSync(live.provider);
    const seen: { documentName: string; region: string; connections: number; createdAt: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await documentRequest(server.url, `/v1/documents${query}`, tokens);
      assert.equal(page.status, 200);
      const body = page.json as { documents: typeof seen; nextCursor: string | null };
      assert.ok(body.documents.length <= 2);
      seen.push(...body.documents);
      cursor = body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    assert.deepEqual(seen.map((row) => row.documentName), names);
    const b = seen.find((row) => row.documentName === 'doc-b')!;
    assert.equal(b.connections, 1);
    assert.equal(b.region, 'local');
    assert.ok(Math.abs(Date.parse(b.createdAt) - Date.now()) < 60_000);
    // Another app's documents are not listed; a docs grant narrows the list.
    const onlyC = await documentRequest(server.url, '/v1/documents', await server.token({ app, docs: ['doc-c'] }));
    assert.deepEqual((onlyC.json as { documents: { documentName: string }[] }).documents.map((row) => row.documentName), ['doc-c']);
    assert.equal((await documentRequest(server.url, '/v1/documents?limit=0', tokens)).status, 400);
    assert.equal((await documentRequest(server.url, '/v1/documents?cursor=%%%', tokens)).status, 400);
    assert.equal((await documentRequest(server.url, '/v1/documents', null)).status, 401);
  });

  it('API-5: DELETE ends the session now: y-websocket sockets close with 4410, a Hocuspocus document gets PermissionDenied; state and routing row are gone', async () => {
    const { provider, doc } = await client('api-delete');
    doc.getText('t').insert(0, 'doomed');
    const hpSocket = hocuspocusSocket(server.url);
    hocuspocusSockets.push(hpSocket);
    const hp = connectHocuspocus(hpSocket, 'api-delete', await server.token());
    hocuspocus.push(hp.provider);
    const other = connectHocuspocus(hpSocket, 'api-delete-neighbour', await server.token());
    hocuspocus.push(other.provider);
    await Promise.all([waitForHocuspocusSync(hp.provider), waitForHocuspocusSync(other.provider)]);
    const closed = nextClose(provider);
    const key = server.key('api-delete');
    assert.equal((await documentRequest(server.url, '/v1/documents/api-delete', await server.token({ access: 'read-only' }), { method: 'DELETE' })).status, 403);
    const response = await documentRequest(server.url, '/v1/documents/api-delete', await server.token(), { method: 'DELETE' });
    assert.equal(response.status, 204);
    assert.equal((await closed).code, 4410);
    assert.match(await hp.denied, /deleted/);
    assert.equal(await server.stores.routing.getRoute(key), null);
    assert.equal(server.hub.has(key), false);
    assert.equal(server.server.documents.getSession(key), null);
    // The socket stays for the socket's other document.
    const neighbourEdit = await postUpdate(server.url, 'api-delete-neighbour', await server.token(), textInsert('still here'));
    assert.equal(neighbourEdit.status, 204);
    await eventually(() => other.doc.getText('t').toString() === 'still here', 5000, 'the neighbour to keep syncing');
    assert.equal((await documentRequest(server.url, '/v1/documents/api-delete', await server.token(), { method: 'DELETE' })).status, 404);
  });

  it('API-9: a node that finds the state dropped before it heard of the DELETE ends its session (4410) and does not write its copy back', async () => {
    const name = 'deleted-unheard';
    const key = server.key(name);
    const token = await server.token();
    const writer = connectClient(server.url, name, { token });
    const watcher = connectClient(server.url, name, { token });
    providers.push(writer.provider, watcher.provider);
    await Promise.all([waitForSync(writer.provider), waitForSync(watcher.provider)]);
    writer.doc.getText('t').insert(0, 'before the delete');
    await eventually(() => watcher.doc.getText('t').toString() === 'before the delete', 5000, 'relayed');
    // What another node's DELETE does before its word arrives here: the unpin, then the state dropped.
    assert.equal(await server.stores.routing.unpinDocument(key), true);
    await new MemorySyncLayer('deleting-node', server.hub).deleteDocument(key);
    const writerClosed = nextClose(writer.provider);
    const watcherClosed = nextClose(watcher.provider);
    writer.doc.getText('t').insert(0, 'after it, unheard ');
    // The append finds no state: the writer is closed (4503; it would resend after reconnecting) and the
    // session resyncs for the watcher, which finds no pin.
    assert.equal((await writerClosed).code, 4503);
    writer.provider.destroy();
    assert.equal((await watcherClosed).code, 4410);
    await eventually(() => server.server.documents.getSession(key) === null, 5000, 'the session to end');
    assert.equal(await new MemorySyncLayer('observer', server.hub).holdsDocument(key), false, 'no state came back');
    assert.equal(await server.stores.routing.getRoute(key), null);
  });

  it('API-1: other methods get 405 with a JSON error', async () => {
    const response = await documentRequest(server.url, '/v1/documents/x', await server.token(), { method: 'PUT', body: 'x' });
    assert.equal(response.status, 405);
    assert.equal((response.json as { code: string }).code, 'METHOD_NOT_ALLOWED');
  });
});
