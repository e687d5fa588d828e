/** The document and board the page opens, from the URL hash (`#doc=notes&board=sprint`): a link shares them. */
export interface RoomNames {
  doc: string;
  board: string;
}

const defaults: RoomNames = { doc: 'notes', board: 'sprint' };

/** Reads the names from a hash, falling back to the defaults for what it lacks. */
export function roomNamesFromHash(hash: string): RoomNames {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const pick = (key: keyof RoomNames) => {
    const value = params.get(key)?.trim();
    return value ? value : defaults[key];
  };
  return { doc: pick('doc'), board: pick('board') };
}

export function hashOf(names: RoomNames): string {
  return `#${new URLSearchParams({ doc: names.doc, board: names.board }).toString()}`;
}
