import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/index.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { CloseCode } from '../closeCodes.js';
import { WiresocketError } from '../errors.js';
import type { Logger } from '../log.js';
import type { AwarenessGate } from './awarenessGate.js';
import { decodeClientFrame } from './decodeClientFrame.js';
import type { DocumentLimitName, DocumentLimits } from './documentLimits.js';
import { encodePermissionDenied } from './encodeServerMessage.js';
import type { MinimalSocket } from './minimalSocket.js';
import type { SharedMessage } from './sharedMessage.js';
import type { ClientMessage } from './protocol.js';

/** What a connection reports to its session. */
export interface ConnectionHandler {
  handleMessage(connection: DocumentConnection, message: ClientMessage): Promise<void>;
  connectionClosed(connection: DocumentConnection): void;
}

export interface DocumentConnectionOptions {
  socket: MinimalSocket;
  principal: Principal;
  connectionId?: string;
  clock: Clock;
  /**
   * A connection that sends nothing within this time is closed (1013): it holds a slot for
   * nothing. Null: its socket keeps that deadline (one Hocuspocus socket, many documents).
   */
  handshakeTimeoutMs: number | null;
  limits: DocumentLimits;
  onLimit: (limit: DocumentLimitName) => void;
  logger: Logger;
}

/**
 * One client's socket on one document: decodes its frames at the boundary, keeps per-connection
 * flags, and closes with the catalog's close code when something is wrong.
 */
export class DocumentConnection {
  readonly id: string;
  readonly principal: Principal;
  protected readonly socket: MinimalSocket;
  private handler: ConnectionHandler | null = null;
  private handshakeTimer: TimerHandle | null;
  private closed = false;
  private readOnlyNoticeSent = false;
  /** Whether our last sync step 1 waits for its answer (the first goes out at attach). */
  private stateAsked = true;
  private unreachableLogged = false;
  /** The message token bucket, inline (two numbers, no object per connection). */
  private messageTokens: number;
  private refilledAt: number;
  /** The stateless-message bucket, the same way (Hocuspocus connections only ever use it). */
  private statelessTokens: number;
  private statelessRefilledAt: number;
  /** What this connection may announce as awareness; made by the session at its first awareness message. */
  awarenessGate: AwarenessGate | null = null;

  constructor(private readonly options: DocumentConnectionOptions) {
    this.id = options.connectionId ?? randomUUID();
    this.principal = options.principal;
    this.socket = options.socket;
    this.messageTokens = options.limits.messageBurst;
    this.refilledAt = options.clock.now();
    this.statelessTokens = 2 * options.limits.maxStatelessPerSecond;
    this.statelessRefilledAt = this.refilledAt;
    this.handshakeTimer =
      options.handshakeTimeoutMs === null
        ? null
        : options.clock.setTimeout(() => this.fail(new WiresocketError('HANDSHAKE_TIMEOUT')), options.handshakeTimeoutMs);
  }

  /**
   * Whether the session sends its sync step 1 as soon as the connection is attached (y-websocket)
   * or right after its step 2 answers the client's step 1 (Hocuspocus's order).
   */
  get sendsStepOneAtAttach(): boolean {
    return true;
  }

  get isReadOnly(): boolean {
    return this.principal.access === 'read-only';
  }

  get isClosed(): boolean {
    return this.closed;
  }

  bind(handler: ConnectionHandler): void {
    this.handler = handler;
  }

  /** A binary frame arrived. */
  receive(frame: Uint8Array): void {
    if (this.closed) return;
    this.clearHandshakeTimer();
    let messages: ClientMessage[];
    try {
      messages = decodeClientFrame(frame);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (!this.takeMessageTokens(messages.length)) {
      this.options.onLimit('message-rate');
      this.fail(new WiresocketError('MESSAGE_RATE_LIMITED', `over ${this.options.limits.maxMessagesPerSecond}/s with a burst of ${this.options.limits.messageBurst}`));
      return;
    }
    for (const message of messages) this.deliver(message);
  }

  /** Hands a decoded, validated message to the session; a failure closes the connection. */
  deliver(message: ClientMessage): void {
    if (this.closed) return;
    this.handler?.handleMessage(this, message).catch((error: unknown) => this.fail(error));
  }

  /** A token bucket: sustained traffic above the rate drains the burst, and then the socket goes. */
  private takeMessageTokens(count: number): boolean {
    const { maxMessagesPerSecond, messageBurst } = this.options.limits;
    const now = this.options.clock.now();
    this.messageTokens = Math.min(messageBurst, this.messageTokens + ((now - this.refilledAt) / 1000) * maxMessagesPerSecond);
    this.refilledAt = now;
    if (this.messageTokens < count) return false;
    this.messageTokens -= count;
    return true;
  }

  /**
   * One stateless message may be relayed; false when the connection is over its rate and burst,
   * and then it is closed with 4429 (counted, logged once).
   */
  takeStatelessToken(): boolean {
    const rate = this.options.limits.maxStatelessPerSecond;
    const now = this.options.clock.now();
    this.statelessTokens = Math.min(2 * rate, this.statelessTokens + ((now - this.statelessRefilledAt) / 1000) * rate);
    this.statelessRefilledAt = now;
    if (this.statelessTokens >= 1) {
      this.statelessTokens -= 1;
      return true;
    }
    this.options.onLimit('stateless-rate');
    this.fail(new WiresocketError('STATELESS_RATE_LIMITED', `over ${rate} stateless messages/s with a burst of ${2 * rate}`));
    return false;
  }

  /** A text frame arrived: document sockets are binary only (y-websocket#82). */
  receiveText(): void {
    this.fail(new WiresocketError('MESSAGE_TEXT_FRAME'));
  }

  send(data: Uint8Array): void {
    if (!this.closed) this.socket.send(data);
  }

  /** One of many receivers of a broadcast. */
  sendShared(message: SharedMessage): void {
    if (this.closed) return;
    if (this.socket.sendShared) this.socket.sendShared(message);
    else this.socket.send(message.payload);
  }

  /** Tells a read-only client once that its edits are ignored (the stock client logs it). */
  noticeReadOnly(): void {
    if (this.readOnlyNoticeSent) return;
    this.readOnlyNoticeSent = true;
    this.send(this.permissionDenied('read-only: edits from this connection are not applied'));
  }

  /**
   * A client update of this connection was stored (or held nothing to store). y-websocket needs
   * no word: the echo of its own update is its acknowledgement (PROTO-3).
   */
  acknowledgeUpdate(): void {}

  /** A Hocuspocus stateless message from another connection; y-websocket has no such message. */
  sendStateless(_payload: string): void {}

  /** The denial this dialect's client reads: y-protocols auth "permission denied" with the reason. */
  protected permissionDenied(reason: string): Uint8Array {
    return encodePermissionDenied(reason);
  }

  /** The client answered our sync step 1 (its step 2 arrived). */
  stateAnswered(): void {
    this.stateAsked = false;
  }

  /** Whether to send the client a sync step 1 now: not while an earlier one waits for its answer. */
  askForState(): boolean {
    if (this.stateAsked) return false;
    this.stateAsked = true;
    return true;
  }

  /** Content this connection sent was refused for what it builds on: counted, and logged once. */
  noticeUnreachableContent(missing: ReadonlyMap<number, number>): void {
    this.options.onLimit('unreachable-content');
    if (this.unreachableLogged) return;
    this.unreachableLogged = true;
    const waitingFor = Object.fromEntries([...missing].slice(0, 8));
    this.options.logger.info({ connectionId: this.id, waitingFor }, 'refused update content that builds on clocks this document lacks; the client keeps it');
  }

  /** Closes with the close code of a WiresocketError (logged once), or 1011 for anything else. */
  fail(error: unknown): void {
    if (this.closed) return;
    const known = error instanceof WiresocketError ? error : new WiresocketError('INTERNAL', undefined, { cause: error });
    if (known.code === 'AWARENESS_TOO_LARGE') this.options.onLimit('awareness-size');
    const level = known.code === 'INTERNAL' ? 'error' : 'info';
    this.options.logger[level]({ connectionId: this.id, code: known.code, err: known.code === 'INTERNAL' ? error : undefined }, known.message);
    if (known.closeCode >= 4400 && known.closeCode < 4500) this.socket.send(this.permissionDenied(known.message));
    this.close(known.closeCode, known.code);
  }

  close(code: CloseCode, reason: string): void {
    if (this.closed) return;
    this.socket.close(code, reason);
    this.markClosed();
  }

  /** The socket is gone (closed by either side). */
  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearHandshakeTimer();
    this.awarenessGate?.stop();
    this.handler?.connectionClosed(this);
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer === null) return;
    this.options.clock.clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }
}
