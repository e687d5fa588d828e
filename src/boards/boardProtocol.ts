import { z } from 'zod';
import { WiresocketError } from '../errors.js';
import type { ElementMutation, Tombstone } from '../storage/index.js';
import { defaultBoardLimits } from './boardLimits.js';
import { nestsDeeperThan } from './jsonDepth.js';
import type { Participant, SessionType } from './boardSession.js';

/**
 * The board socket's JSON protocol (DESIGN.md "Boards: the wire protocol"), one message per text
 * frame. Types only plus the decoder of client messages, so the typed client can share them.
 */
export type ClientBoardMessage =
  | { type: 'join'; displayName: string; lastSequence?: number; sessionType?: SessionType }
  /** `resend`: the client sent this batch before (it reconnected before the ack came). */
  | { type: 'mutate'; clientBatchId: string; mutations: unknown; resend?: boolean }
  | { type: 'presence'; data: unknown };

export type ServerBoardMessage =
  | {
      type: 'joined';
      syncType: 'full' | 'delta';
      /** The board's head: with `delta`, `missedMutations` are sequences lastSequence + 1 ... this. */
      sequence: number;
      missedMutations?: ElementMutation[];
      participants: Participant[];
      you: { userId: string; color: string };
    }
  /** The batch is durable: `sequence` is its last event's (the head when none of it applied). */
  | { type: 'ack'; clientBatchId: string; sequence: number; applied: number; duplicate?: true }
  /** Another participant's logged mutations: sequences `sequence - mutations.length + 1 ... sequence`. */
  | { type: 'mutations'; userId: string; sequence: number; mutations: ElementMutation[] }
  | { type: 'participant-joined'; participant: Participant }
  | { type: 'participant-left'; participant: Participant }
  | { type: 'presence'; userId: string; data: unknown }
  | BoardErrorMessage;

/** Sent for a refused batch or mutation; the connection stays open. */
export interface BoardErrorMessage {
  type: 'error';
  code: string;
  message: string;
  clientBatchId?: string;
  /** The refused mutation's position in its batch. */
  index?: number;
  /** With MUTATION_CONFLICT: why, and the board's authoritative word on the element. */
  reason?: 'ELEMENT_DELETED' | 'ELEMENT_NOT_FOUND';
  tombstone?: Tombstone;
  pageId?: string;
  elementId?: string;
}

const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('join'),
    displayName: z.string().min(1).max(256),
    lastSequence: z.number().int().min(0).optional(),
    sessionType: z.enum(['ephemeral', 'persistent']).optional(),
  }),
  z.object({ type: z.literal('mutate'), clientBatchId: z.string().min(1).max(256), mutations: z.unknown(), resend: z.boolean().optional() }),
  z.object({ type: z.literal('presence'), data: z.unknown() }),
]);

/**
 * Decodes one client frame: invalid JSON, an unknown type or a wrong envelope is a protocol
 * violation (4400). The mutations and the presence payload are kept as the client sent them
 * (zod's copies would drop keys like `__proto__`); they are checked where they are used.
 * A message nested deeper than `maxDepth` is refused here, before anything serialises it again.
 */
export function decodeClientBoardMessage(text: string, maxDepth = defaultBoardLimits.maxJsonDepth): ClientBoardMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WiresocketError('BOARD_MESSAGE_INVALID', 'not JSON');
  }
  if (nestsDeeperThan(parsed, maxDepth)) throw new WiresocketError('BOARD_MESSAGE_INVALID', `nested deeper than ${maxDepth} levels`);
  const checked = clientMessageSchema.safeParse(parsed);
  if (!checked.success) throw new WiresocketError('BOARD_MESSAGE_INVALID', checked.error.issues[0]?.message ?? 'wrong shape');
  const raw = parsed as Record<string, unknown>;
  if (checked.data.type === 'mutate') return { ...checked.data, mutations: raw.mutations };
  if (checked.data.type === 'presence') return { type: 'presence', data: raw.data };
  return checked.data;
}
