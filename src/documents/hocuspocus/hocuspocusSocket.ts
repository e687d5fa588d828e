import type { Principal } from '../../auth/index.js';
import type { Clock, TimerHandle } from '../../clock.js';
import { WiresocketError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { DocumentConnection } from '../documentConnection.js';
import type { DocumentLimitName, DocumentLimits } from '../documentLimits.js';
import type { Admission } from '../documentSessions.js';
import type { MinimalSocket } from '../minimalSocket.js';
import type { ClientMessage } from '../protocol.js';
import { decodeHocuspocusFrame } from './decodeHocuspocusFrame.js';
import { encodeAuthenticated, encodeHocuspocusClose, encodeHocuspocusPermissionDenied, encodeNamePrefix, pongFrame, withPrefix } from './encodeHocuspocusMessage.js';
import { HocuspocusConnection } from './hocuspocusConnection.js';
import { HocuspocusDocumentSocket } from './hocuspocusDocumentSocket.js';
import type { HocuspocusLimitName, HocuspocusLimits } from './hocuspocusLimits.js';
import type { HocuspocusClientFrame } from './hocuspocusProtocol.js';

/** A document's token verified, its grant checked and its session joined. */
export interface AuthorizedDocument {
  principal: Principal;
  admission: Admission;
}

export interface HocuspocusSocketOptions {
  /** The WebSocket this socket speaks over. */
  transport: MinimalSocket;
  /** Verifies a document's token and admits it to its session; throws a WiresocketError when refused. */
  authorize: (token: string, name: string) => Promise<AuthorizedDocument>;
  clock: Clock;
  /** A socket that sends nothing within this time is closed (1013): it holds a slot for nothing. */
  handshakeTimeoutMs: number;
  limits: HocuspocusLimits & Pick<DocumentLimits, 'maxMessagesPerSecond' | 'messageBurst'>;
  onLimit: (limit: HocuspocusLimitName | DocumentLimitName) => void;
  logger: Logger;
}

/** Messages of a document that arrived after its Auth and before the answer to it. */
interface Authenticating {
  kind: 'authenticating';
  queue: ClientMessage[];
  bytes: number;
}

interface Attached {
  kind: 'attached';
  connection: DocumentConnection;
  socket: HocuspocusDocumentSocket;
}

type DocumentEntry = Authenticating | Attached;

/**
 * One Hocuspocus WebSocket, carrying many documents. Each document is authenticated by its own
 * Auth message (the same JWT, claims and grants as the y-websocket path) and then served by the
 * document's one session as a `HocuspocusConnection`. Until its answer, the document's messages
 * wait in a queue bounded for the whole socket. A condition of one document (a token refused,
 * expired or rotated, a grant miss, a quota) ends just that document with PermissionDenied: the
 * provider reconnects on any close code, so closing would only make it try the same again, and
 * the socket's other documents are fine. Conditions of the socket (a bad frame, its message
 * rate, liveness) and conditions a retry cures (a store down, a restart, a full document)
 * close the socket with their usual code, and the provider comes back for every document.
 */
export class HocuspocusSocket {
  private readonly documents = new Map<string, DocumentEntry>();
  private handshakeTimer: TimerHandle | null;
  private closed = false;
  private queuedMessages = 0;
  private queuedBytes = 0;
  /** The message token bucket of the whole socket, inline (two numbers). */
  private messageTokens: number;
  private refilledAt: number;

  constructor(private readonly options: HocuspocusSocketOptions) {
    this.messageTokens = options.limits.messageBurst;
    this.refilledAt = options.clock.now();
    this.handshakeTimer = options.clock.setTimeout(() => this.fail(new WiresocketError('HANDSHAKE_TIMEOUT')), options.handshakeTimeoutMs);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Documents open or authenticating on this socket. */
  get documentCount(): number {
    return this.documents.size;
  }

  /** A binary frame arrived. */
  receive(frame: Uint8Array): void {
    if (this.closed) return;
    this.clearHandshakeTimer();
    if (!this.takeMessageToken()) {
      this.options.onLimit('message-rate');
      const { maxMessagesPerSecond, messageBurst } = this.options.limits;
      return this.fail(new WiresocketError('MESSAGE_RATE_LIMITED', `over ${maxMessagesPerSecond}/s with a burst of ${messageBurst}`));
    }
    let decoded: HocuspocusClientFrame;
    try {
      decoded = decodeHocuspocusFrame(frame);
    } catch (error) {
      return this.fail(error);
    }
    this.dispatch(decoded, frame.length);
  }

  /** A text frame arrived: Hocuspocus frames are binary. */
  receiveText(): void {
    this.fail(new WiresocketError('MESSAGE_TEXT_FRAME'));
  }

  /** Closes the whole socket with the close code of a WiresocketError (logged once), or 1011. */
  fail(error: unknown): void {
    if (this.closed) return;
    const known = error instanceof WiresocketError ? error : new WiresocketError('INTERNAL', undefined, { cause: error });
    const level = known.code === 'INTERNAL' ? 'error' : 'info';
    this.options.logger[level]({ code: known.code, err: known.code === 'INTERNAL' ? error : undefined }, known.message);
    this.closeSocket(known.closeCode, known.code);
  }

  /** The WebSocket is gone (closed by either side): every document on it is closed. */
  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearHandshakeTimer();
    const entries = [...this.documents.values()];
    this.documents.clear();
    this.queuedMessages = 0;
    this.queuedBytes = 0;
    for (const entry of entries) if (entry.kind === 'attached') entry.connection.markClosed();
  }

  /** Ends, with PermissionDenied, every document whose token has expired; returns how many. */
  expireTokens(now: number): number {
    return this.denyWhere(
      (principal) => now >= principal.expiresAt,
      () => new WiresocketError('TOKEN_EXPIRED', 'during the session'),
    );
  }

  /** The app's key was rotated: its documents opened with an older key are denied; returns how many. */
  revokeKey(tenantId: string, appId: string, keyVersion: number): number {
    return this.denyWhere(
      (principal) => principal.tenantId === tenantId && principal.appId === appId && principal.keyVersion < keyVersion,
      () => new WiresocketError('TOKEN_KEY_ROTATED', `${tenantId}/${appId}`),
    );
  }

  private denyWhere(matches: (principal: Principal) => boolean, error: () => WiresocketError): number {
    let denied = 0;
    // Each denial deletes its entry: a Map's iterator tolerates that.
    for (const entry of this.documents.values()) {
      if (entry.kind !== 'attached' || !matches(entry.connection.principal)) continue;
      entry.connection.fail(error());
      denied++;
    }
    return denied;
  }

  private dispatch(frame: HocuspocusClientFrame, size: number): void {
    switch (frame.kind) {
      case 'ping':
        return this.options.transport.send(pongFrame);
      case 'pong':
        return;
      case 'auth':
        return this.authenticate(frame.name, frame.token);
      case 'close':
        return this.detach(frame.name);
      case 'document':
        return this.route(frame.name, frame.message, size);
      default: {
        const unknown: never = frame;
        throw new Error(`unhandled frame ${JSON.stringify(unknown)}`);
      }
    }
  }

  /**
   * An Auth message. A repeated one for a document already attached or authenticating is
   * ignored, as Hocuspocus does (the provider sends one per attach).
   */
  private authenticate(name: string, token: string): void {
    if (this.documents.has(name)) return;
    // `sessionAwareness: true` providers address `name\0sessionId`: replies go to that raw key,
    // the token and the session are for the name before the separator.
    const separator = name.indexOf('\0');
    const documentName = separator < 0 ? name : name.slice(0, separator);
    const { maxDocumentsPerSocket } = this.options.limits;
    if (this.documents.size >= maxDocumentsPerSocket) {
      this.options.onLimit('documents-per-socket');
      return this.refuse(name, new WiresocketError('DOCUMENTS_PER_SOCKET', `limit ${maxDocumentsPerSocket}`));
    }
    const pending: Authenticating = { kind: 'authenticating', queue: [], bytes: 0 };
    this.documents.set(name, pending);
    this.options
      .authorize(token, documentName)
      .then(
        (authorized) => this.authorized(name, pending, authorized),
        (error: unknown) => this.refused(name, pending, error),
      )
      // A throw while attaching is a server bug: the socket goes with 1011 rather than an unhandled rejection.
      .catch((error: unknown) => this.fail(error));
  }

  /**
   * The answer to an Auth: Authenticated, then the session's attach and the queued step 1 and
   * awareness, whose replies (step 2, our step 1, the room's awareness) are sent at once: corked,
   * all of it leaves in one write.
   */
  private authorized(name: string, pending: Authenticating, authorized: AuthorizedDocument): void {
    const { transport } = this.options;
    if (transport.corked) transport.corked(() => this.attachAuthorized(name, pending, authorized));
    else this.attachAuthorized(name, pending, authorized);
  }

  private attachAuthorized(name: string, pending: Authenticating, { principal, admission }: AuthorizedDocument): void {
    // The socket closed or the client detached the document while its token was checked.
    if (this.closed || this.documents.get(name) !== pending) return admission.release();
    const prefix = encodeNamePrefix(name);
    this.options.transport.send(withPrefix(prefix, encodeAuthenticated(principal.access === 'read-only' ? 'readonly' : 'read-write')));
    const queue = pending.queue;
    this.dropQueued(pending);
    const socket = new HocuspocusDocumentSocket(this.options.transport, name, prefix, this.documentClosed);
    const connection = admission.attach(socket, principal, (options) => new HocuspocusConnection({ ...options, handshakeTimeoutMs: null }));
    // Attaching closes it at once when its session ended meanwhile (1012: the socket went with it).
    if (this.closed || connection.isClosed) {
      if (this.documents.get(name) === pending) this.documents.delete(name);
      return;
    }
    this.documents.set(name, { kind: 'attached', connection, socket });
    for (const message of queue) connection.deliver(message);
  }

  private refused(name: string, pending: Authenticating, error: unknown): void {
    if (this.closed || this.documents.get(name) !== pending) return;
    this.documents.delete(name);
    this.dropQueued(pending);
    this.refuse(name, error);
  }

  /** A document refused: PermissionDenied when no retry cures it (44xx), else the socket closes with its code. */
  private refuse(name: string, error: unknown): void {
    const known = error instanceof WiresocketError ? error : new WiresocketError('INTERNAL', undefined, { cause: error });
    const level = known.code === 'INTERNAL' ? 'error' : 'info';
    this.options.logger[level]({ code: known.code, document: name, err: level === 'error' ? error : undefined }, `connection refused: ${known.message}`);
    if (!endsOnlyTheDocument(known.closeCode)) return this.closeSocket(known.closeCode, known.code);
    this.options.transport.send(withPrefix(encodeNamePrefix(name), encodeHocuspocusPermissionDenied(known.message)));
  }

  /** A session message: served when attached, queued while authenticating, dropped otherwise. */
  private route(name: string, message: ClientMessage, size: number): void {
    const entry = this.documents.get(name);
    // Never authenticated, denied or detached: a denied provider keeps sending for its document.
    if (!entry) return;
    if (entry.kind === 'attached') return entry.connection.deliver(message);
    const { maxQueuedMessages, maxQueuedBytes } = this.options.limits;
    if (this.queuedMessages + 1 > maxQueuedMessages || this.queuedBytes + size > maxQueuedBytes) {
      this.options.onLimit('preauth-queue');
      return this.fail(new WiresocketError('PREAUTH_QUEUE_FULL', `${maxQueuedMessages} messages or ${maxQueuedBytes} bytes`));
    }
    entry.queue.push(message);
    entry.bytes += size;
    this.queuedMessages++;
    this.queuedBytes += size;
  }

  /** The client's CLOSE: it detaches this one document (its awareness goes, its place is freed). */
  private detach(name: string): void {
    const entry = this.documents.get(name);
    if (!entry) return;
    this.documents.delete(name);
    if (entry.kind === 'authenticating') return this.dropQueued(entry);
    entry.connection.markClosed();
  }

  /**
   * The server ends one document of this socket for good (a 44xx: its token expired or its key
   * was rotated, the document was deleted or refused): the client gets CLOSE with the reason,
   * where a y-websocket client's socket would close with the code, and the socket stays open
   * for its other documents. Returns whether the document was open here. Every server-side
   * close of a Hocuspocus document connection with a 44xx code comes here (`documentClosed`).
   */
  endDocument(name: string, reason: string): boolean {
    const entry = this.documents.get(name);
    if (!entry || this.closed) return false;
    this.documents.delete(name);
    if (entry.kind === 'authenticating') this.dropQueued(entry);
    this.options.transport.send(withPrefix(entry.kind === 'attached' ? entry.socket.prefix : encodeNamePrefix(name), encodeHocuspocusClose(reason)));
    if (entry.kind === 'attached') entry.connection.markClosed();
    return true;
  }

  /**
   * A document's connection closed itself: a 44xx ends just it (CLOSE, after the denial `fail`
   * sent); any other code is for a retry, which the provider makes only for the whole socket.
   */
  private readonly documentClosed = (socket: HocuspocusDocumentSocket, code: number, reason: string): void => {
    if (!endsOnlyTheDocument(code)) return this.closeSocket(code, 'document closed');
    const entry = this.documents.get(socket.name);
    if (entry?.kind === 'attached' && entry.socket === socket) this.endDocument(socket.name, reason);
  };

  private closeSocket(code: number, reason: string): void {
    if (this.closed) return;
    this.options.transport.close(code, reason);
    this.markClosed();
  }

  private dropQueued(entry: Authenticating): void {
    this.queuedMessages -= entry.queue.length;
    this.queuedBytes -= entry.bytes;
    entry.queue = [];
    entry.bytes = 0;
  }

  private takeMessageToken(): boolean {
    const { maxMessagesPerSecond, messageBurst } = this.options.limits;
    const now = this.options.clock.now();
    this.messageTokens = Math.min(messageBurst, this.messageTokens + ((now - this.refilledAt) / 1000) * maxMessagesPerSecond);
    this.refilledAt = now;
    if (this.messageTokens < 1) return false;
    this.messageTokens -= 1;
    return true;
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer === null) return;
    this.options.clock.clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }
}

/** 44xx: no retry cures it, so only the document ends; anything else closes the socket for a retry. */
function endsOnlyTheDocument(code: number): boolean {
  return code >= 4400 && code < 4500;
}
