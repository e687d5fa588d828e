import type { ServerBoardMessage } from '../boards/boardProtocol.js';
import type { Participant } from '../boards/boardSession.js';

type JoinedMessage = Extract<ServerBoardMessage, { type: 'joined' }>;

/** Who is on the board as this client last heard: participants, their presence, and this client itself. */
export class ParticipantRoster {
  private readonly byUser = new Map<string, Participant>();
  private readonly presenceByUser = new Map<string, unknown>();
  private self: { userId: string; color: string } | null = null;

  get you(): { userId: string; color: string } | null {
    return this.self;
  }

  get participants(): readonly Participant[] {
    return [...this.byUser.values()];
  }

  get presences(): ReadonlyMap<string, unknown> {
    return this.presenceByUser;
  }

  /** A join's list replaces everything: presence from before a reconnect may be stale. */
  joined(message: JoinedMessage): void {
    this.self = { userId: message.you.userId, color: message.you.color };
    this.byUser.clear();
    this.presenceByUser.clear();
    for (const participant of message.participants) this.byUser.set(participant.userId, participant);
  }

  add(participant: Participant): void {
    this.byUser.set(participant.userId, participant);
  }

  remove(participant: Participant): void {
    this.byUser.delete(participant.userId);
    this.presenceByUser.delete(participant.userId);
  }

  setPresence(userId: string, data: unknown): void {
    this.presenceByUser.set(userId, data);
  }
}
