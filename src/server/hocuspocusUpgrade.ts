import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { grantsDocument, type TokenVerifier } from '../auth/index.js';
import type { Clock } from '../clock.js';
import { WiresocketError } from '../errors.js';
import {
  HocuspocusSocket,
  type AuthorizedDocument,
  type DocumentLimits,
  type DocumentSessions,
  type HocuspocusLimits,
} from '../documents/index.js';
import type { Logger } from '../log.js';
import { checkDocumentName } from '../tenancy/index.js';
import type { LimitName } from './serverMetrics.js';
import type { SocketSupervisor } from './socketSupervisor.js';
import { WsDocumentSocket } from './wsDocumentSocket.js';

export interface HocuspocusUpgradeDependencies {
  webSocketServer: WebSocketServer;
  verifier: TokenVerifier;
  documents: DocumentSessions;
  supervisor: SocketSupervisor;
  clock: Clock;
  handshakeTimeoutMs: number;
  limits: HocuspocusLimits & Pick<DocumentLimits, 'maxMessagesPerSecond' | 'messageBurst'>;
  onLimit: (limit: LimitName) => void;
  logger: Logger;
  onUpgraded: (socket: Duplex) => void;
}

/**
 * A Hocuspocus socket: the upgrade completes at once, since its tokens come later, one per
 * document, in Auth messages; each is checked as the y-websocket path checks its one token.
 */
export function handleHocuspocusUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, deps: HocuspocusUpgradeDependencies): void {
  deps.webSocketServer.handleUpgrade(request, socket, head, (ws) => {
    deps.onUpgraded(socket);
    ws.on('error', (error) => deps.logger.debug({ err: error }, 'websocket error'));
    const hocuspocus = new HocuspocusSocket({
      transport: new WsDocumentSocket(ws, socket),
      authorize: (token, name) => authorize(token, name, deps),
      clock: deps.clock,
      handshakeTimeoutMs: deps.handshakeTimeoutMs,
      limits: deps.limits,
      onLimit: deps.onLimit,
      logger: deps.logger,
    });
    serve(ws, hocuspocus);
    deps.supervisor.watchMultiplexed(ws, hocuspocus);
  });
}

/** The y-websocket path's checks, in its order: name, token, grant, then admission (quota, session). */
async function authorize(token: string, name: string, deps: HocuspocusUpgradeDependencies): Promise<AuthorizedDocument> {
  checkDocumentName(name);
  // The provider sends "" when it has no token.
  const principal = await deps.verifier.verify(token === '' ? null : token);
  if (!grantsDocument(principal, name)) throw new WiresocketError('DOCUMENT_FORBIDDEN', name);
  const admission = await deps.documents.admit(principal, name);
  return { principal, admission };
}

function serve(ws: WebSocket, hocuspocus: HocuspocusSocket): void {
  ws.on('message', (data, isBinary) => {
    if (!isBinary) return hocuspocus.receiveText();
    hocuspocus.receive(data as Buffer);
  });
  ws.on('close', () => hocuspocus.markClosed());
}
