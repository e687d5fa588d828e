import type { ElementMutation } from '../storage/boardElements.js';
import type { BoardErrorMessage, ClientBoardMessage, ServerBoardMessage } from '../boards/boardProtocol.js';
import type { Participant } from '../boards/boardSession.js';
import { BatchOutbox } from './batchOutbox.js';
import { BoardClientStoppedError, errorFromFrame, type BoardClientError } from './boardClientError.js';
import type { BoardClientEvents, ConnectionStatus } from './boardClientEvents.js';
import { resolveBoardClientOptions, type BoardClientOptions, type ResolvedBoardClientOptions } from './boardClientOptions.js';
import { BoardSync, type BoardSnapshot, type SyncVerdict } from './boardSync.js';
import { ClientSocket } from './clientSocket.js';
import { BoardFetchError, fetchBoardState } from './fetchBoardState.js';
import { closeReaction, reconnectDelay } from './reconnectPolicy.js';
import { ParticipantRoster } from './participantRoster.js';
import { decodeServerFrame } from './serverMessages.js';
import { TypedEmitter, type Listener } from './typedEmitter.js';
import { WaiterList } from './waiterList.js';

type Timer = ReturnType<typeof setTimeout>;

/** The messages that carry sequences: they wait while a catch-up is not in place yet. */
type SequencedMessage = Extract<ServerBoardMessage, { type: 'mutations' | 'ack' }>;

/** Where the connection is; each phase holds what only it needs. */
type Phase =
  | { kind: 'idle' }
  | { kind: 'waiting'; timer: Timer }
  /** Getting a token (no socket yet) or opening the socket. */
  | { kind: 'opening'; socket: ClientSocket | null }
  /** `join` sent; sequenced messages wait until the catch-up is in place. */
  | { kind: 'joining'; socket: ClientSocket; buffered: SequencedMessage[] }
  /** A `full` join: the state is being fetched; sequenced messages keep waiting. */
  | { kind: 'fetching'; socket: ClientSocket; buffered: SequencedMessage[] }
  | { kind: 'synced'; socket: ClientSocket }
  | { kind: 'stopped'; reason: BoardClientError };

/**
 * The typed client of one board (DESIGN.md "Boards: the wire protocol"): joins, catches up by
 * delta or full state, keeps the confirmed board in server order with its own unacknowledged
 * batches on top, resends them after a reconnect, and reconnects as the close codes say.
 */
export class BoardClient {
  private readonly options: ResolvedBoardClientOptions;
  private readonly emitter = new TypedEmitter<BoardClientEvents>();
  private readonly sync: BoardSync;
  private phase: Phase = { kind: 'idle' };
  private currentStatus: ConnectionStatus = 'stopped';
  /** Numbers each socket; what arrives for an older one is ignored. */
  private connection = 0;
  private reconnectAttempts = 0;
  private cachedToken: string | null = null;
  /** The next join asks for the full state (a catch-up from the client's sequence did not fit). */
  private joinWithoutSequence = false;
  /** The last error frame of this connection not about a batch: the why of a close that follows. */
  private lastServerError: BoardErrorMessage | null = null;
  private readonly outbox: BatchOutbox;
  private latestPresence: { data: unknown } | null = null;
  private readonly roster = new ParticipantRoster();
  private readonly syncWaiters = new WaiterList();
  private readonly settleWaiters = new WaiterList();

  constructor(options: BoardClientOptions) {
    this.options = resolveBoardClientOptions(options);
    this.sync = new BoardSync({
      changed: (origin) => this.emitter.emit('change', { origin }),
      refused: (frame) => this.emitter.emit('error', errorFromFrame(frame)),
    });
    this.outbox = new BatchOutbox(this.sync.pending);
  }

  // --- the public face ------------------------------------------------------------------------

  on<Name extends keyof BoardClientEvents>(event: Name, listener: Listener<BoardClientEvents[Name]>): () => void {
    return this.emitter.on(event, listener);
  }

  /**
   * Connects (or, after `close()` or a stop, connects again, resuming from the state it has).
   * Resolves when joined and caught up; rejects if the client stops or is closed first.
   */
  connect(): Promise<void> {
    if (this.phase.kind === 'synced') return Promise.resolve();
    const synced = this.syncWaiters.wait();
    if (this.phase.kind === 'idle' || this.phase.kind === 'stopped') {
      this.reconnectAttempts = 0;
      this.open();
    }
    return synced;
  }

  /** Disconnects and stays so; the state and the unacknowledged batches are kept for `connect()`. */
  close(): void {
    this.endConnection(1000, 'client closed');
    this.phase = { kind: 'idle' };
    this.setStatus('stopped');
    this.rejectWaiters({ code: 'CLOSED', message: 'the client was closed' });
  }

  /**
   * Sends a batch now (or after the next join) and shows it at once on top of the confirmed
   * board until its ack. Returns its clientBatchId (a resend uses the same one).
   */
  mutate(mutations: readonly ElementMutation[]): string {
    if (!Array.isArray(mutations) || mutations.length === 0) throw new TypeError('BoardClient.mutate: mutations must be a non-empty array');
    const clientBatchId = globalThis.crypto.randomUUID();
    // A copy: the app may keep changing its objects, the batch must stay what was sent.
    this.sync.addBatch(clientBatchId, structuredClone(mutations));
    this.sendUnsent();
    return clientBatchId;
  }

  /** Relays presence (cursor, selection) to the others; the latest is sent again after a reconnect. */
  presence(data: unknown): void {
    this.latestPresence = { data };
    if (this.phase.kind === 'synced') this.phase.socket.send({ type: 'presence', data });
  }

  /** The visible state: the confirmed board with the unacknowledged batches replayed on top. Read-only. */
  state(): BoardSnapshot {
    return this.sync.visible();
  }

  /** The board in server order only, comparable with the server's `GET /v1/boards/<boardId>`. */
  confirmedState(): BoardSnapshot {
    return this.sync.confirmedSnapshot();
  }

  /** Resolves once no batch waits for an ack; rejects if the client stops or is closed first. */
  whenSettled(): Promise<void> {
    if (this.sync.pending.size === 0) return Promise.resolve();
    return this.settleWaiters.wait();
  }

  /** The last server event the confirmed board includes; null before the first sync. */
  get sequence(): number | null {
    return this.sync.confirmed.sequence;
  }

  get participants(): readonly Participant[] {
    return this.roster.participants;
  }

  /** This client as the server knows it (its user id and color), once joined. */
  get you(): { userId: string; color: string } | null {
    return this.roster.you;
  }

  /** The latest presence of each other participant. */
  get presences(): ReadonlyMap<string, unknown> {
    return this.roster.presences;
  }

  get pendingBatches(): number {
    return this.sync.pending.size;
  }

  get status(): ConnectionStatus {
    return this.currentStatus;
  }

  /** Why the client stopped, while it is stopped. */
  get stopReason(): BoardClientError | null {
    return this.phase.kind === 'stopped' ? this.phase.reason : null;
  }

  // --- the connection ---------------------------------------------------------------------------

  private open(): void {
    const connection = ++this.connection;
    this.phase = { kind: 'opening', socket: null };
    this.lastServerError = null;
    this.setStatus('connecting');
    this.currentToken().then(
      (token) => {
        if (connection === this.connection) this.openSocket(token, connection);
      },
      (error: unknown) => {
        if (connection !== this.connection) return;
        this.emitter.emit('error', { code: 'TOKEN_UNAVAILABLE', message: `the token function failed: ${messageOf(error)}` });
        this.reconnectLater();
      },
    );
  }

  private openSocket(token: string, connection: number): void {
    const url = `${this.options.url}/v1/boards/${encodeURIComponent(this.options.boardId)}`;
    let socket: ClientSocket;
    try {
      socket = new ClientSocket(this.options.WebSocket, url, token, {
        open: () => this.joinOn(socket),
        message: (text) => this.receive(text, connection),
        close: (code, reason) => this.connectionEnded(code, reason),
      });
    } catch (error) {
      return this.stop({ code: 'SOCKET_FAILED', message: `could not open the board socket: ${messageOf(error)}` });
    }
    this.phase = { kind: 'opening', socket };
  }

  private joinOn(socket: ClientSocket): void {
    this.phase = { kind: 'joining', socket, buffered: [] };
    this.setStatus('connected');
    const lastSequence = this.joinWithoutSequence ? null : this.sync.confirmed.sequence;
    const join: ClientBoardMessage = {
      type: 'join',
      displayName: this.options.displayName,
      ...(lastSequence === null ? {} : { lastSequence }),
      ...(this.options.sessionType ? { sessionType: this.options.sessionType } : {}),
    };
    socket.send(join);
  }

  /** The socket closed (or a state fetch failed as if it had): reconnect, re-authenticate or stop, per the code. */
  private connectionEnded(code: number, reason: string): void {
    const why = this.lastServerError;
    this.endConnection(1000, '');
    const reaction = closeReaction(code);
    if (reaction === 'retry') return this.reconnectLater();
    if (reaction === 'reauthenticate' && typeof this.options.token === 'function') {
      this.cachedToken = null;
      return this.reconnectLater();
    }
    this.stop({ code: why?.code ?? (reason || 'CLOSED'), message: why?.message ?? `the server closed the socket with ${code}`, closeCode: code });
  }

  /** Lets go of the current socket and whatever waits on it. */
  private endConnection(code: number, reason: string): void {
    if (this.phase.kind === 'waiting') clearTimeout(this.phase.timer);
    if ('socket' in this.phase) this.phase.socket?.dispose(code, reason);
    this.outbox.cancel();
    // Bumped so that a token or state fetch still running for this connection is ignored.
    this.connection++;
    this.sync.connectionLost();
  }

  private reconnectLater(delay = reconnectDelay(this.reconnectAttempts, this.options.reconnect)): void {
    this.reconnectAttempts++;
    this.phase = { kind: 'waiting', timer: setTimeout(() => this.open(), delay) };
    this.setStatus('disconnected');
  }

  /** Rejoins from the client's sequence (or for the full state): at once the first time, then backing off. */
  private rejoin(verdict: Exclude<SyncVerdict, 'ok'>): void {
    this.endConnection(1000, 'resync');
    this.joinWithoutSequence = verdict === 'refetch';
    this.reconnectLater(this.reconnectAttempts === 0 ? 0 : undefined);
  }

  private stop(reason: BoardClientError): void {
    this.endConnection(1000, '');
    this.phase = { kind: 'stopped', reason };
    this.setStatus('stopped');
    this.emitter.emit('error', reason);
    this.rejectWaiters(reason);
  }

  private async currentToken(): Promise<string> {
    if (typeof this.options.token === 'string') return this.options.token;
    this.cachedToken ??= await this.options.token();
    return this.cachedToken;
  }

  // --- what the server says ---------------------------------------------------------------------

  private receive(text: string, connection: number): void {
    const frame = decodeServerFrame(text);
    if (frame.kind === 'unknown') return;
    if (frame.kind === 'invalid') {
      this.emitter.emit('error', { code: 'SERVER_MESSAGE_INVALID', message: frame.why });
      return this.rejoin('resync');
    }
    const { message } = frame;
    if (message.type === 'joined') return this.phase.kind === 'joining' ? this.joined(message, connection) : this.rejoin('resync');
    const sequenced = message.type === 'mutations' || message.type === 'ack';
    if (sequenced && (this.phase.kind === 'joining' || this.phase.kind === 'fetching')) return void this.phase.buffered.push(message);
    this.handle(message, connection);
  }

  private joined(message: Extract<ServerBoardMessage, { type: 'joined' }>, connection: number): void {
    if (this.phase.kind !== 'joining') return;
    const { socket, buffered } = this.phase;
    this.joinWithoutSequence = false;
    this.roster.joined(message);
    this.emitter.emit('participants', this.participants);
    if (message.syncType === 'full') return this.fetchFullState(socket, buffered, connection);
    const verdict = this.sync.catchUp(message.sequence, message.missedMutations ?? [], connection);
    if (verdict !== 'ok') return this.rejoin(verdict);
    this.caughtUp('delta', socket, buffered, connection);
  }

  /** A `full` join: the confirmed board becomes the fetched state; what came meanwhile follows it. */
  private fetchFullState(socket: ClientSocket, buffered: SequencedMessage[], connection: number): void {
    this.phase = { kind: 'fetching', socket, buffered };
    this.currentToken()
      .then((token) => fetchBoardState(this.options.fetch, this.options.url, this.options.boardId, token))
      .then(
        (fetched) => {
          if (connection !== this.connection) return;
          this.sync.replace(fetched.pages, fetched.sequence);
          this.caughtUp('full', socket, buffered, connection);
        },
        (error: unknown) => {
          if (connection !== this.connection) return;
          this.emitter.emit('error', { code: 'BOARD_FETCH_FAILED', message: messageOf(error) });
          this.connectionEnded(error instanceof BoardFetchError ? error.closeCode : 1011, 'BOARD_FETCH_FAILED');
        },
      );
  }

  /** The catch-up is in place: buffered messages, then the batches and presence that wait, then `synced`. */
  private caughtUp(syncType: 'full' | 'delta', socket: ClientSocket, buffered: readonly SequencedMessage[], connection: number): void {
    this.phase = { kind: 'synced', socket };
    for (const message of buffered) {
      this.handle(message, connection);
      if (connection !== this.connection) return;
    }
    this.reconnectAttempts = 0;
    this.sendUnsent();
    if (this.latestPresence) socket.send({ type: 'presence', data: this.latestPresence.data });
    this.emitter.emit('synced', { syncType, sequence: this.sync.confirmed.sequence ?? 0 });
    this.syncWaiters.resolveAll();
  }

  private handle(message: Exclude<ServerBoardMessage, { type: 'joined' }>, connection: number): void {
    switch (message.type) {
      case 'mutations':
        return this.verdict(this.sync.receiveMutations(message, connection));
      case 'ack':
        this.outbox.acknowledged();
        this.verdict(this.sync.receiveAck(message, connection));
        return this.settledIfIdle();
      case 'error':
        return this.serverError(message);
      case 'presence':
        this.roster.setPresence(message.userId, message.data);
        return this.emitter.emit('presence', { userId: message.userId, data: message.data });
      case 'participant-joined':
        this.roster.add(message.participant);
        return this.emitter.emit('participants', this.participants);
      case 'participant-left':
        this.roster.remove(message.participant);
        return this.emitter.emit('participants', this.participants);
    }
  }

  private verdict(verdict: SyncVerdict): void {
    if (verdict !== 'ok') this.rejoin(verdict);
  }

  /**
   * An error frame. About a batch: a refused mutation waits for the ack, a rate-limited batch is
   * sent again later, any other refusal drops the batch. Otherwise it is told to the app, and kept
   * as the reason of a close that may follow.
   */
  private serverError(frame: BoardErrorMessage): void {
    const batch = this.sync.pending.get(frame.clientBatchId);
    if (frame.clientBatchId === undefined) {
      this.lastServerError = frame;
      return this.emitter.emit('error', errorFromFrame(frame));
    }
    if (!batch) return;
    if (frame.code === 'MUTATION_CONFLICT') return this.sync.receiveRefusal(frame);
    if (frame.code === 'RATE_LIMITED') return this.outbox.rateLimited(batch, () => this.sendUnsent());
    this.sync.dropBatch(batch.clientBatchId);
    this.emitter.emit('error', errorFromFrame(frame));
    this.settledIfIdle();
  }

  private sendUnsent(): void {
    if (this.phase.kind === 'synced') this.outbox.flush(this.phase.socket, this.connection);
  }

  // --- plumbing ---------------------------------------------------------------------------------

  private setStatus(status: ConnectionStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    this.emitter.emit('status', status);
  }

  private settledIfIdle(): void {
    if (this.sync.pending.size === 0) this.settleWaiters.resolveAll();
  }

  private rejectWaiters(reason: BoardClientError): void {
    this.syncWaiters.rejectAll(new BoardClientStoppedError(reason));
    this.settleWaiters.rejectAll(new BoardClientStoppedError(reason));
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
