/**
 * @y/websocket-server 0.1.1 as its own bin starts it (src/server.js of the package): an http
 * server whose upgrades go to `setupWSConnection`, in-memory documents (no YPERSISTENCE), no
 * auth. Only the port differs (0: the kernel picks one, printed for the benchmark), and `ws` is
 * the project's 8.x, the same socket library every other server under test uses.
 * Run by the benchmark: `node dist/bench/peers/servers/yWebsocketServerPeer.js`.
 */
import http from 'node:http';
import { setupWSConnection } from '@y/websocket-server/utils';
import { WebSocketServer } from 'ws';
import { announceListening, exitOnSigterm } from './announceListening.js';

const wss = new WebSocketServer({ noServer: true });
const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/plain' });
  response.end('okay');
});

wss.on('connection', setupWSConnection);
server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
});

exitOnSigterm();
server.listen(0, '127.0.0.1', () => announceListening(server));
