import type { ElementMutation } from '../storage/boardElements.js';
import type { ServerBoardMessage } from '../boards/boardProtocol.js';

/** One decoded server frame: a message, a type this client does not know, or a broken frame. */
export type DecodedServerFrame = { kind: 'message'; message: ServerBoardMessage } | { kind: 'unknown' } | { kind: 'invalid'; why: string };

type Fields = Record<string, unknown>;

const isRecord = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isSequence = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;
const isText = (value: unknown): value is string => typeof value === 'string';

function isMutation(value: unknown): value is ElementMutation {
  if (!isRecord(value) || !isText(value.pageId)) return false;
  if (value.op === 'delete') return isText(value.elementId);
  return value.op === 'upsert' && isRecord(value.element) && isText(value.element.id) && isText(value.element.type);
}

const isMutationList = (value: unknown): value is ElementMutation[] => Array.isArray(value) && value.every(isMutation);
const isParticipant = (value: unknown): boolean => isRecord(value) && isText(value.userId) && isText(value.color);

/** Checks what the client relies on in each message, so the state code can trust its types. */
const checks: Record<ServerBoardMessage['type'], (frame: Fields) => boolean> = {
  joined: (frame) =>
    (frame.syncType === 'full' || frame.syncType === 'delta') &&
    isSequence(frame.sequence) &&
    (frame.missedMutations === undefined || isMutationList(frame.missedMutations)) &&
    Array.isArray(frame.participants) &&
    frame.participants.every(isParticipant) &&
    isRecord(frame.you) &&
    isText(frame.you.userId),
  ack: (frame) => isText(frame.clientBatchId) && isSequence(frame.sequence) && isSequence(frame.applied),
  mutations: (frame) => isText(frame.userId) && isSequence(frame.sequence) && isMutationList(frame.mutations) && frame.mutations.length > 0,
  'participant-joined': (frame) => isParticipant(frame.participant),
  'participant-left': (frame) => isParticipant(frame.participant),
  presence: (frame) => isText(frame.userId),
  error: (frame) => isText(frame.code) && isText(frame.message),
};

/**
 * Decodes one text frame at the boundary. A type this client does not know is reported as such
 * (a newer server may add messages); a known type with the wrong shape is invalid.
 */
export function decodeServerFrame(text: string): DecodedServerFrame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'invalid', why: 'not JSON' };
  }
  if (!isRecord(parsed) || !isText(parsed.type)) return { kind: 'invalid', why: 'not a message' };
  if (!Object.hasOwn(checks, parsed.type)) return { kind: 'unknown' };
  const check = checks[parsed.type as ServerBoardMessage['type']];
  if (!check(parsed)) return { kind: 'invalid', why: `a ${parsed.type} message of the wrong shape` };
  return { kind: 'message', message: parsed as unknown as ServerBoardMessage };
}
