import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { grantsDocument, type Principal, type TokenVerifier } from '../auth/index.js';
import { BoardConnection, boardIdFromUrl, type BoardRooms, type CollaborationService } from '../boards/index.js';
import type { Clock } from '../clock.js';
import { WiresocketError } from '../errors.js';
import type { Logger } from '../log.js';
import { documentKey } from '../tenancy/index.js';
import type { SocketSupervisor } from './socketSupervisor.js';

export interface BoardUpgradeDependencies {
  webSocketServer: WebSocketServer;
  verifier: TokenVerifier;
  service: CollaborationService;
  rooms: BoardRooms;
  clock: Clock;
  /** A socket that sends no join within this time is closed with 1013. */
  joinTimeoutMs: number;
  /** Pings, liveness, the outbound queue limit, token expiry and key rotation for each socket. */
  supervisor: SocketSupervisor;
  logger: Logger;
  onUpgraded: (socket: Duplex) => void;
}

type Outcome = { kind: 'admitted'; principal: Principal; boardKey: string } | { kind: 'refused'; error: WiresocketError };

/**
 * A board WebSocket (`/v1/boards/<boardId>`): the same tokens as documents, the board key built
 * from the verified token only (`tenantId::appId::boardId`). Refusals complete the upgrade and
 * then close with the catalog's code, as on document sockets, after an `error` frame saying why.
 */
export async function handleBoardUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, token: string | null, deps: BoardUpgradeDependencies): Promise<void> {
  const outcome = await admit(request, token, deps);
  if (socket.destroyed) return;
  deps.webSocketServer.handleUpgrade(request, socket, head, (ws) => {
    deps.onUpgraded(socket);
    ws.on('error', (error) => deps.logger.debug({ err: error }, 'board websocket error'));
    if (outcome.kind === 'refused') return closeRefused(ws, outcome.error);
    serve(ws, outcome, deps);
  });
}

async function admit(request: IncomingMessage, token: string | null, deps: BoardUpgradeDependencies): Promise<Outcome> {
  try {
    const boardId = boardIdFromUrl((request.url ?? '/').split('?')[0]);
    const principal = await deps.verifier.verify(token);
    if (!grantsDocument(principal, boardId)) throw new WiresocketError('BOARD_FORBIDDEN', boardId);
    return { kind: 'admitted', principal, boardKey: documentKey(principal.tenantId, principal.appId, boardId) };
  } catch (error) {
    const known = error instanceof WiresocketError ? error : new WiresocketError('INTERNAL', undefined, { cause: error });
    deps.logger[known.code === 'INTERNAL' ? 'error' : 'info']({ code: known.code, url: request.url }, `board connection refused: ${known.message}`);
    return { kind: 'refused', error: known };
  }
}

function serve(ws: WebSocket, admitted: Extract<Outcome, { kind: 'admitted' }>, deps: BoardUpgradeDependencies): void {
  const connection = new BoardConnection({
    socket: ws,
    principal: admitted.principal,
    boardKey: admitted.boardKey,
    service: deps.service,
    clock: deps.clock,
    joinTimeoutMs: deps.joinTimeoutMs,
    logger: deps.logger,
    onGone: (gone) => deps.rooms.remove(gone),
  });
  // In the room before the join runs, so nothing logged meanwhile can pass it by.
  deps.rooms.add(connection);
  ws.on('message', (data, isBinary) => {
    if (isBinary) return connection.receiveBinary();
    connection.receive(data.toString());
  });
  ws.on('close', () => connection.markClosed());
  deps.supervisor.watch(ws, connection, admitted.principal);
}

function closeRefused(ws: WebSocket, error: WiresocketError): void {
  ws.send(JSON.stringify({ type: 'error', code: error.code, message: error.message }));
  ws.close(error.closeCode, error.code);
}
