import type { Principal } from '../auth/index.js';
import type { Clock, TimerHandle } from '../clock.js';
import { WiresocketError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BoardLimits } from './boardLimits.js';
import { decodeClientBoardMessage, type ClientBoardMessage, type ServerBoardMessage } from './boardProtocol.js';
import type { BatchOutcome, CollaborationService } from './collaborationService.js';
import { TokenBucket } from './tokenBucket.js';
import { BatchInvalidError } from './validateMutations.js';

/** The little a board connection needs from a socket: JSON goes out as text frames. */
export interface BoardSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
  readonly bufferedAmount: number;
}

export interface BoardConnectionOptions {
  socket: BoardSocket;
  principal: Principal;
  /** The board key (`tenantId::appId::boardId`): what the service knows the board by. */
  boardKey: string;
  service: CollaborationService;
  clock: Clock;
  /** A socket that sends no join within this time is closed with 1013. */
  joinTimeoutMs: number;
  logger: Logger;
  /** The connection is done (closed by either side): the rooms forget it. */
  onGone(connection: BoardConnection): void;
}

/** A broadcast frame, encoded once for every receiver; `sequence` when it carries logged mutations. */
export interface BoardBroadcast {
  text: string;
  sequence?: number;
}

type Phase = { kind: 'awaiting-join' } | { kind: 'joining'; held: BoardBroadcast[] } | { kind: 'joined' } | { kind: 'closed' };

/**
 * One client's socket on one board: decodes its frames at the boundary, runs join, mutate and
 * presence against the service, and closes with the catalog's code when the client breaks the
 * protocol. A refused batch or mutation is an `error` frame; the socket stays open.
 */
export class BoardConnection {
  readonly userId: string;
  readonly boardKey: string;
  private phase: Phase = { kind: 'awaiting-join' };
  /** The service counts this socket among the board's participants (its join succeeded). */
  private inSession = false;
  private readonly batches: TokenBucket;
  private readonly limits: BoardLimits;
  private joinTimer: TimerHandle | null;
  private lastPresenceAt = Number.NEGATIVE_INFINITY;
  private heldPresence: unknown = undefined;
  private presenceTimer: TimerHandle | null = null;

  constructor(private readonly options: BoardConnectionOptions) {
    this.userId = options.principal.userId;
    this.boardKey = options.boardKey;
    this.limits = options.service.limits;
    this.batches = new TokenBucket(this.limits.maxBatchesPerSecond, this.limits.maxBatchesPerSecond, options.clock.now());
    this.joinTimer = options.clock.setTimeout(() => this.fail(new WiresocketError('BOARD_JOIN_TIMEOUT')), options.joinTimeoutMs);
  }

  /** A text frame arrived. */
  receive(text: string): void {
    if (this.phase.kind === 'closed') return;
    let message: ClientBoardMessage;
    try {
      message = decodeClientBoardMessage(text, this.limits.maxJsonDepth);
    } catch (error) {
      return this.fail(error);
    }
    this.handle(message, Buffer.byteLength(text, 'utf8')).catch((error: unknown) => this.fail(error));
  }

  /** A binary frame arrived: board sockets speak JSON text only. */
  receiveBinary(): void {
    this.fail(new WiresocketError('BOARD_MESSAGE_INVALID', 'board sockets carry JSON text frames'));
  }

  /**
   * A broadcast for this socket. While the join runs it is held: the client gets `joined` first
   * and then only what follows the head that `joined` names.
   */
  deliver(broadcast: BoardBroadcast): void {
    if (this.phase.kind === 'joining') this.phase.held.push(broadcast);
    else if (this.phase.kind === 'joined') this.options.socket.send(broadcast.text);
  }

  get isJoined(): boolean {
    return this.phase.kind === 'joined';
  }

  close(code: number, reason: string): void {
    if (this.phase.kind === 'closed') return;
    this.options.socket.close(code, reason);
    this.markClosed();
  }

  /** The socket is gone (closed by either side). */
  markClosed(): void {
    if (this.phase.kind === 'closed') return;
    this.phase = { kind: 'closed' };
    this.clearTimers();
    this.options.onGone(this);
    if (this.inSession) this.markLeft();
  }

  private async handle(message: ClientBoardMessage, bytes: number): Promise<void> {
    if (message.type === 'join') return this.join(message);
    if (this.phase.kind !== 'joined') throw new WiresocketError('BOARD_NOT_JOINED');
    if (message.type === 'mutate') return this.mutate(message);
    if (bytes > this.limits.maxPresenceBytes) return this.sendError('PRESENCE_TOO_LARGE', `presence frames hold at most ${this.limits.maxPresenceBytes} bytes`);
    this.presence(message.data);
  }

  private async join(message: Extract<ClientBoardMessage, { type: 'join' }>): Promise<void> {
    if (this.phase.kind !== 'awaiting-join') throw new WiresocketError('BOARD_MESSAGE_INVALID', 'join was sent twice');
    this.clearJoinTimer();
    this.phase = { kind: 'joining', held: [] };
    const result = await this.options.service.joinSession(this.boardKey, this.userId, message.displayName, message.lastSequence, message.sessionType);
    this.inSession = true;
    // Closed while the join ran: the leave the close could not send yet.
    if (this.phase.kind !== 'joining') return this.markLeft();
    const held = this.phase.held;
    const sequence = result.session.currentSequence;
    const you = result.session.participants.get(this.userId);
    this.send({
      type: 'joined',
      syncType: result.syncType,
      sequence,
      ...(result.missedMutations ? { missedMutations: result.missedMutations } : {}),
      participants: [...result.session.participants.values()],
      you: { userId: this.userId, color: you?.color ?? '' },
    });
    this.phase = { kind: 'joined' };
    // Held while joining: what the join's head already covers was in the catch-up.
    for (const broadcast of held) if (broadcast.sequence === undefined || broadcast.sequence > sequence) this.deliver(broadcast);
  }

  private markLeft(): void {
    this.inSession = false;
    this.options.service.leaveSession(this.boardKey, this.userId).catch((error: unknown) => this.options.logger.warn({ err: error, boardKey: this.boardKey }, 'leave failed'));
  }

  private async mutate(message: Extract<ClientBoardMessage, { type: 'mutate' }>): Promise<void> {
    const { clientBatchId } = message;
    if (this.options.principal.access === 'read-only') return this.sendError('READ_ONLY', 'this token may not change the board', { clientBatchId });
    if (!this.batches.take(this.options.clock.now())) return this.sendError('RATE_LIMITED', `at most ${this.limits.maxBatchesPerSecond} batches a second; resend later`, { clientBatchId });
    let outcome: BatchOutcome;
    try {
      outcome = await this.options.service.applyBatch(this.boardKey, this.userId, message.mutations, { clientBatchId, origin: this });
    } catch (error) {
      if (error instanceof BatchInvalidError) return this.sendError(error.code, error.message, { clientBatchId, ...(error.index === undefined ? {} : { index: error.index }) });
      throw error;
    }
    for (const { index, rejection } of outcome.rejected) {
      const authoritative = rejection.code === 'ELEMENT_DELETED' ? { tombstone: rejection.tombstone } : { pageId: rejection.pageId, elementId: rejection.elementId };
      this.sendError('MUTATION_CONFLICT', `mutation ${index} was refused: ${rejection.code}`, { clientBatchId, index, reason: rejection.code, ...authoritative });
    }
    this.send({ type: 'ack', clientBatchId, sequence: outcome.sequence, applied: outcome.events.length, ...(outcome.duplicate ? { duplicate: true as const } : {}) });
  }

  /**
   * Presence is relayed at most `maxPresencePerSecond` times a second; within that, only the
   * newest payload waits for its turn (coalesced, never queued).
   */
  private presence(data: unknown): void {
    const spacing = 1000 / this.limits.maxPresencePerSecond;
    const now = this.options.clock.now();
    if (now - this.lastPresenceAt >= spacing && this.presenceTimer === null) return this.relayPresence(data, now);
    this.heldPresence = data;
    this.presenceTimer ??= this.options.clock.setTimeout(() => {
      this.presenceTimer = null;
      this.relayPresence(this.heldPresence, this.options.clock.now());
    }, Math.max(0, this.lastPresenceAt + spacing - now));
  }

  private relayPresence(data: unknown, now: number): void {
    if (this.phase.kind !== 'joined') return;
    this.lastPresenceAt = now;
    this.options.service.publishPresence(this.boardKey, this.userId, data, this);
  }

  private send(message: ServerBoardMessage): void {
    if (this.phase.kind !== 'closed') this.options.socket.send(JSON.stringify(message));
  }

  private sendError(code: string, message: string, details: Partial<Extract<ServerBoardMessage, { type: 'error' }>> = {}): void {
    this.send({ type: 'error', code, message, ...details });
  }

  /** Closes with the close code of a WiresocketError (logged once), or 1011 for anything else. */
  fail(error: unknown): void {
    if (this.phase.kind === 'closed') return;
    const known = error instanceof WiresocketError ? error : new WiresocketError('INTERNAL', undefined, { cause: error });
    const level = known.code === 'INTERNAL' ? 'error' : 'info';
    this.options.logger[level]({ boardKey: this.boardKey, code: known.code, err: level === 'error' ? error : undefined }, known.message);
    this.send({ type: 'error', code: known.code, message: known.message });
    this.close(known.closeCode, known.code);
  }

  private clearJoinTimer(): void {
    if (this.joinTimer !== null) this.options.clock.clearTimeout(this.joinTimer);
    this.joinTimer = null;
  }

  private clearTimers(): void {
    this.clearJoinTimer();
    if (this.presenceTimer !== null) this.options.clock.clearTimeout(this.presenceTimer);
    this.presenceTimer = null;
  }
}
