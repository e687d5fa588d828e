/**
 * The ceiling: a bare `ws` relay that does no CRDT work at all. Every update frame a socket
 * sends goes, byte for byte, to every socket of the same document, the sender included (as
 * every real server echoes), one frame per update per receiver. It answers a client's sync
 * step 1 with an empty step 2 so the load generator's handshake completes, and drops the
 * client's step 2 (there is no document to merge it into). Run by the benchmark:
 * `node dist/bench/peers/servers/wsRelayPeer.js`.
 */
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { announceListening, exitOnSigterm } from './announceListening.js';

/** y-protocols bytes; every value is below 128, so each varUint is one byte. */
const messageSync = 0;
const messageAwareness = 1;
const syncStep1 = 0;
const syncUpdate = 2;
/** sync, step 2, an update of 2 bytes: the empty update [0, 0]. */
const emptyStep2 = Buffer.from([messageSync, 1, 2, 0, 0]);

const documents = new Map<string, Set<WebSocket>>();
const server = http.createServer((_request, response) => response.end('relay'));
const wss = new WebSocketServer({ server, perMessageDeflate: false });

wss.on('connection', (ws, request) => {
  const name = (request.url ?? '/').slice(1);
  let peers = documents.get(name);
  if (!peers) documents.set(name, (peers = new Set()));
  const room = peers;
  room.add(ws);
  ws.on('message', (data: Buffer) => relay(ws, room, data));
  ws.on('close', () => {
    room.delete(ws);
    if (room.size === 0) documents.delete(name);
  });
});

function relay(sender: WebSocket, room: Set<WebSocket>, data: Buffer): void {
  if (data[0] === messageSync && data[1] === syncStep1) return sender.send(emptyStep2);
  if ((data[0] === messageSync && data[1] === syncUpdate) || data[0] === messageAwareness) {
    for (const socket of room) socket.send(data);
  }
}

exitOnSigterm();
server.listen(0, '127.0.0.1', () => announceListening(server));
