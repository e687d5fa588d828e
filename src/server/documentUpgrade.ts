import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { grantsDocument, type Principal, type TokenVerifier } from '../auth/index.js';
import { WiresocketError } from '../errors.js';
import { type Admission, type DocumentSessions, type DocumentConnection, encodePermissionDenied, PinnedElsewhereError } from '../documents/index.js';
import type { Logger } from '../log.js';
import type { DocumentRoute } from '../routing/index.js';
import { hopHeader, type RegionProxy } from '../regions/index.js';
import { documentKey, documentNameFromUrl } from '../tenancy/index.js';
import { hopClaimOf } from './documentHop.js';
import { proxyToRegion } from './proxiedDocumentUpgrade.js';
import { rejectUpgrade } from './rejectUpgrade.js';
import type { HopRefusal } from './serverMetrics.js';
import type { SocketSupervisor } from './socketSupervisor.js';
import { whileCorked } from './whileCorked.js';
import { WsDocumentSocket } from './wsDocumentSocket.js';

export interface DocumentUpgradeDependencies {
  webSocketServer: WebSocketServer;
  verifier: TokenVerifier;
  documents: DocumentSessions;
  /** Pings, liveness, the outbound queue limit, token expiry and key rotation for each socket. */
  supervisor: SocketSupervisor;
  logger: Logger;
  /** The upgrade of this socket completed: the handshake deadline no longer applies. */
  onUpgraded: (socket: Duplex) => void;
  /** `--cluster-secret`: verifies hops proxied here; none means this node accepts no proxied connect. */
  clusterSecret: string | undefined;
  /** Proxies connects of documents pinned to another region; none without a cluster secret. */
  regions: RegionProxy | null;
  now: () => number;
  /** A hop refused here (owner side) or not taken by the pinned region (edge side): metrics. */
  onHopRefused: (reason: HopRefusal) => void;
}

export type Outcome =
  | { kind: 'admitted'; principal: Principal; admission: Admission }
  | { kind: 'refused'; error: WiresocketError }
  /** Pinned to another region: the edge proxies it (issue 15). */
  | { kind: 'elsewhere'; route: DocumentRoute };

/**
 * A document WebSocket: auth, grant and admission (quota, session creation) happen before the
 * upgrade completes, so a refused client costs no session. Refusals still complete the upgrade
 * and then close with the catalog's code: an HTTP 401 would make the stock client retry forever,
 * while 44xx closes stop it (DESIGN.md "Close codes").
 */
export async function handleDocumentUpgrade(
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  token: string | null,
  deps: DocumentUpgradeDependencies,
): Promise<void> {
  const outcome = await admit(request, token, deps);
  if (outcome.kind === 'elsewhere') return proxyToRegion(request, socket, head, outcome.route, () => admit(request, token, deps), deps);
  completeUpgrade(request, socket, head, outcome, deps);
}

/**
 * Serves an admitted connect here, or completes the upgrade to close a refused one with its
 * code. A refused hop gets a plain HTTP answer instead: the edge reads it, and retries (421).
 */
export function completeUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, outcome: Exclude<Outcome, { kind: 'elsewhere' }>, deps: DocumentUpgradeDependencies): void {
  if (outcome.kind === 'refused' && (outcome.error.code === 'HOP_INVALID' || outcome.error.code === 'HOP_NOT_OWNER')) {
    deps.onHopRefused(outcome.error.code === 'HOP_INVALID' ? 'invalid' : 'not-owner');
    return rejectUpgrade(socket, outcome.error.httpStatus, outcome.error.message);
  }
  const release = () => {
    if (outcome.kind === 'admitted') outcome.admission.release();
  };
  // The client (or the handshake deadline) may have closed the socket while we were admitting.
  if (socket.destroyed) return release();
  // ws drops a bad handshake without calling back: the admitted place must still be returned.
  socket.once('close', release);
  // ws writes the 101 and calls back at once, where the session sends its step 1 (and the room's
  // awareness): corked, they leave in one writev instead of two or three writes (issue 14, storms).
  whileCorked(socket, () =>
    deps.webSocketServer.handleUpgrade(request, socket, head, (ws) => {
      socket.off('close', release);
      deps.onUpgraded(socket);
      ws.on('error', logWebSocketError(deps.logger));
      if (outcome.kind === 'refused') return closeRefused(ws, outcome.error);
      const connection = outcome.admission.attach(new WsDocumentSocket(ws, socket), outcome.principal);
      serve(ws, connection);
      if (!connection.isClosed) deps.supervisor.watch(ws, connection, outcome.principal);
    }),
  );
}

async function admit(request: IncomingMessage, token: string | null, deps: DocumentUpgradeDependencies): Promise<Outcome> {
  try {
    const name = documentNameFromUrl(request.url ?? '/');
    const principal = await deps.verifier.verify(token);
    if (!grantsDocument(principal, name)) throw new WiresocketError('DOCUMENT_FORBIDDEN', name);
    const hop = hopClaimOf(request.headers[hopHeader], documentKey(principal.tenantId, principal.appId, name), deps);
    const admission = await deps.documents.admit(principal, name, hop);
    return { kind: 'admitted', principal, admission };
  } catch (error) {
    if (error instanceof PinnedElsewhereError) return { kind: 'elsewhere', route: error.route };
    const known = error instanceof WiresocketError ? error : new WiresocketError('INTERNAL', undefined, { cause: error });
    const level = known.code === 'INTERNAL' ? 'error' : known.code === 'HOP_INVALID' ? 'warn' : 'info';
    const remoteAddress = request.socket.remoteAddress;
    deps.logger[level]({ code: known.code, url: request.url, remoteAddress, err: level === 'error' ? error : undefined }, `connection refused: ${known.message}`);
    return { kind: 'refused', error: known };
  }
}

/** Connects a ws socket's events to its document connection. */
function serve(ws: WebSocket, connection: DocumentConnection): void {
  ws.on('message', (data, isBinary) => {
    if (!isBinary) return connection.receiveText();
    connection.receive(data as Buffer);
  });
  ws.on('close', () => connection.markClosed());
}

/** One error listener per logger, shared by every socket. */
const errorLoggers = new WeakMap<Logger, (error: Error) => void>();
function logWebSocketError(logger: Logger): (error: Error) => void {
  let listener = errorLoggers.get(logger);
  if (!listener) errorLoggers.set(logger, (listener = (error) => logger.debug({ err: error }, 'websocket error')));
  return listener;
}

function closeRefused(ws: WebSocket, error: WiresocketError): void {
  // The stock client only logs an auth message; it tells a developer why the socket closed.
  if (error.closeCode >= 4400 && error.closeCode < 4500) ws.send(encodePermissionDenied(error.message));
  ws.close(error.closeCode, error.code);
}
