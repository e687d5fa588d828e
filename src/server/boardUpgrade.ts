import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { grantsDocument, type Principal, type TokenVerifier } from '../auth/index.js';
import { BoardConnection, boardIdFromUrl, type BoardRooms, type CollaborationService } from '../boards/index.js';
import type { Clock } from '../clock.js';
import { WiresocketError } from '../errors.js';
import type { Logger } from '../log.js';
import { hopHeader, type RegionProxy } from '../regions/index.js';
import type { DocumentRoute } from '../routing/index.js';
import { documentKey } from '../tenancy/index.js';
import { boardRouteKey, type BoardPlacement } from './boardPlacement.js';
import { hopClaimOf } from './documentHop.js';
import { proxyBoardToRegion } from './proxiedBoardUpgrade.js';
import { rejectUpgrade } from './rejectUpgrade.js';
import type { HopRefusal } from './serverMetrics.js';
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
  /** Pins boards to regions and registers their sockets (issue 15, point 3). */
  placement: BoardPlacement;
  /** Proxies board sockets of other regions' boards; none without a cluster secret. */
  regions: RegionProxy | null;
  /** `--cluster-secret`: verifies hops proxied here. */
  clusterSecret: string | undefined;
  now: () => number;
  onHopRefused: (reason: HopRefusal) => void;
}

type Outcome =
  | { kind: 'admitted'; principal: Principal; boardKey: string; connectionId: string }
  | { kind: 'refused'; error: WiresocketError }
  /** Pinned to another region: the edge proxies it. */
  | { kind: 'elsewhere'; route: DocumentRoute };

/**
 * A board WebSocket (`/v1/boards/<boardId>`): the same tokens as documents, the board key built
 * from the verified token only (`tenantId::appId::boardId`). Refusals complete the upgrade and
 * then close with the catalog's code, as on document sockets, after an `error` frame saying why.
 */
export async function handleBoardUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, token: string | null, deps: BoardUpgradeDependencies): Promise<void> {
  const outcome = await admit(request, token, deps);
  if (outcome.kind !== 'elsewhere') return complete(request, socket, head, outcome, deps);
  const placeAgain = async () => {
    const again = await admit(request, token, deps);
    if (again.kind === 'elsewhere') return again.route;
    complete(request, socket, head, again, deps);
    return null;
  };
  const refuse = async (route: DocumentRoute | null) => {
    if (route === null) return;
    deps.logger.warn({ docKey: route.docKey, region: route.region }, 'could not proxy a board socket to its region');
    complete(request, socket, head, { kind: 'refused', error: new WiresocketError('DOCUMENT_PINNED_ELSEWHERE', `region ${route.region}`) }, deps);
  };
  return proxyBoardToRegion(request, socket, head, outcome.route, placeAgain, refuse, deps);
}

/** Serves an admitted board socket, or refuses it: a refused hop with a plain HTTP answer (the edge reads it), the rest after the upgrade. */
function complete(request: IncomingMessage, socket: Duplex, head: Buffer, outcome: Exclude<Outcome, { kind: 'elsewhere' }>, deps: BoardUpgradeDependencies): void {
  if (outcome.kind === 'refused' && (outcome.error.code === 'HOP_INVALID' || outcome.error.code === 'HOP_NOT_OWNER')) {
    deps.onHopRefused(outcome.error.code === 'HOP_INVALID' ? 'invalid' : 'not-owner');
    return rejectUpgrade(socket, outcome.error.httpStatus, outcome.error.message);
  }
  const release = () => {
    if (outcome.kind === 'admitted') deps.placement.unregister(outcome.connectionId);
  };
  if (socket.destroyed) return release();
  socket.once('close', release);
  deps.webSocketServer.handleUpgrade(request, socket, head, (ws) => {
    socket.off('close', release);
    deps.onUpgraded(socket);
    ws.on('error', (error) => deps.logger.debug({ err: error }, 'board websocket error'));
    if (outcome.kind === 'refused') return closeRefused(ws, outcome.error);
    ws.once('close', release);
    serve(ws, outcome, deps);
  });
}

async function admit(request: IncomingMessage, token: string | null, deps: BoardUpgradeDependencies): Promise<Outcome> {
  try {
    const boardId = boardIdFromUrl((request.url ?? '/').split('?')[0]);
    const principal = await deps.verifier.verify(token);
    if (!grantsDocument(principal, boardId)) throw new WiresocketError('BOARD_FORBIDDEN', boardId);
    const boardKey = documentKey(principal.tenantId, principal.appId, boardId);
    const hop = hopClaimOf(request.headers[hopHeader], boardRouteKey(boardKey), deps);
    const place = await deps.placement.place(boardKey, principal.tenantId, hop);
    if (place.kind === 'elsewhere') return place;
    const connectionId = await deps.placement.register(place.routeKey, principal.userId);
    return { kind: 'admitted', principal, boardKey, connectionId };
  } catch (error) {
    const known = error instanceof WiresocketError ? error : new WiresocketError('INTERNAL', undefined, { cause: error });
    const level = known.code === 'INTERNAL' ? 'error' : known.code === 'HOP_INVALID' ? 'warn' : 'info';
    deps.logger[level]({ code: known.code, url: request.url }, `board connection refused: ${known.message}`);
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
