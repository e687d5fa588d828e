/** The spec's palette, in order (collaboration-service.md "Participant Colors"). */
export const participantPalette = ['#FF6B6B', '#4ECDC4', '#45B7D1', '#96CEB4', '#FFEAA7', '#DDA0DD', '#98D8C8', '#F7DC6F'] as const;

export type ParticipantColor = (typeof participantPalette)[number];

/**
 * The color of a participant joining a board that already has `present` participants (their
 * colors given). The spec's rule, index = count modulo the palette, unless a present participant
 * holds that color: then the first free one, so nobody present shares a color while fewer than
 * eight are present. A participant who was on the board earlier in the session gets `previous`
 * back when nobody present holds it.
 */
export function assignColor(presentColors: readonly string[], previous?: string): string {
  const taken = new Set(presentColors);
  if (previous !== undefined && !taken.has(previous)) return previous;
  const byCount = participantPalette[presentColors.length % participantPalette.length];
  if (!taken.has(byCount)) return byCount;
  return participantPalette.find((color) => !taken.has(color)) ?? byCount;
}
