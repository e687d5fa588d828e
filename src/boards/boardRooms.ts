import type { BoardEvent } from '../storage/index.js';
import type { BoardBroadcast, BoardConnection } from './boardConnection.js';
import type { ServerBoardMessage } from './boardProtocol.js';
import type { Participant } from './boardSession.js';
import type { BoardActivityObserver, CollaborationService } from './collaborationService.js';

/**
 * The sockets of every board on this node, and the fan-out of what happens on a board to them:
 * each message is encoded once and the same text goes to every receiver. A sender does not get
 * its own batch back (it gets the `ack`), nor its own presence.
 */
export class BoardRooms implements BoardActivityObserver {
  private readonly rooms = new Map<string, Set<BoardConnection>>();
  private readonly stopObserving: () => void;

  constructor(service: CollaborationService) {
    this.stopObserving = service.observe(this);
  }

  add(connection: BoardConnection): void {
    let room = this.rooms.get(connection.boardKey);
    if (!room) this.rooms.set(connection.boardKey, (room = new Set()));
    room.add(connection);
  }

  remove(connection: BoardConnection): void {
    const room = this.rooms.get(connection.boardKey);
    room?.delete(connection);
    if (room?.size === 0) this.rooms.delete(connection.boardKey);
  }

  /** Sockets on this node, for all boards (stats, shutdown). */
  get size(): number {
    let count = 0;
    for (const room of this.rooms.values()) count += room.size;
    return count;
  }

  /** Closes every board socket with `code` (shutdown: 1012, so clients come back). */
  closeAll(code: number, reason: string): void {
    for (const room of [...this.rooms.values()]) for (const connection of [...room]) connection.close(code, reason);
  }

  dispose(): void {
    this.stopObserving();
  }

  mutations(boardKey: string, userId: string, events: readonly BoardEvent[], origin: unknown): void {
    const sequence = events[events.length - 1].sequence;
    this.broadcast(boardKey, { type: 'mutations', userId, sequence, mutations: events.map(({ mutation }) => mutation) }, sequence, (connection) => connection !== origin);
  }

  participantJoined(boardKey: string, participant: Participant): void {
    this.broadcast(boardKey, { type: 'participant-joined', participant }, undefined, (connection) => connection.userId !== participant.userId);
  }

  participantLeft(boardKey: string, participant: Participant): void {
    this.broadcast(boardKey, { type: 'participant-left', participant }, undefined, (connection) => connection.userId !== participant.userId);
  }

  presence(boardKey: string, userId: string, data: unknown, origin: unknown): void {
    this.broadcast(boardKey, { type: 'presence', userId, data }, undefined, (connection) => connection !== origin);
  }

  /** The service ended the session (closeSession): its sockets rejoin a new one (1012). */
  sessionClosed(boardKey: string): void {
    for (const connection of [...(this.rooms.get(boardKey) ?? [])]) connection.close(1012, 'SESSION_CLOSED');
  }

  private broadcast(boardKey: string, message: ServerBoardMessage, sequence: number | undefined, to: (connection: BoardConnection) => boolean): void {
    const room = this.rooms.get(boardKey);
    if (!room) return;
    const broadcast: BoardBroadcast = { text: JSON.stringify(message), ...(sequence === undefined ? {} : { sequence }) };
    for (const connection of room) if (to(connection)) connection.deliver(broadcast);
  }
}
