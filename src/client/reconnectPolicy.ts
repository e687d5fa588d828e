import { clientReactionByCode, type ClientReaction } from '../closeCodes.js';

export interface ReconnectDelays {
  /** The shortest wait before a reconnect. */
  minDelayMs: number;
  /** The longest wait, however many attempts failed. */
  maxDelayMs: number;
}

export const defaultReconnectDelays: ReconnectDelays = { minDelayMs: 500, maxDelayMs: 15_000 };

/** What the client does after its socket closed with a code. */
export type CloseReaction = Exclude<ClientReaction, 'none'>;

/**
 * The reaction the server's close-code module prescribes (DESIGN.md "Close codes"). A code it
 * does not list follows its ranges: 44xx means no retry can cure it, anything else (1006 from a
 * dropped connection, a 1000 from a server that went away) is worth a retry. 1000 is listed as
 * `none` for the server's side; a client that was not asked to close wants to stay connected.
 */
export function closeReaction(code: number): CloseReaction {
  const listed: ClientReaction | undefined = (clientReactionByCode as Readonly<Record<number, ClientReaction>>)[code];
  if (listed === 'stop' || listed === 'reauthenticate' || listed === 'retry') return listed;
  return code >= 4400 && code <= 4499 ? 'stop' : 'retry';
}

/**
 * The wait before reconnect attempt `attempt` (0 for the first): exponential, capped, and spread
 * at random between the minimum and the cap, so the clients a restart cut off all at once do not
 * all come back at once.
 */
export function reconnectDelay(attempt: number, delays: ReconnectDelays, random: () => number = Math.random): number {
  const cap = Math.min(delays.maxDelayMs, delays.minDelayMs * 2 ** (attempt + 1));
  return Math.max(delays.minDelayMs, delays.minDelayMs + random() * (cap - delays.minDelayMs));
}
