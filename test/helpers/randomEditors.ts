import type * as Y from 'yjs';

/** mulberry32: a tiny seeded PRNG, so a failing edit schedule can be replayed from its seed. */
export function seededRandom(seedValue: number): () => number {
  let state = seedValue >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, limit). */
export const below = (random: () => number, limit: number) => Math.floor(random() * limit);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Something that edits a document: a stock client's Y.Doc, counted. */
export interface Editor {
  index: number;
  doc: Y.Doc;
  edits: number;
}

/** One random edit: mostly inserts, some deletes at random positions in text `t`, some sets in map `m`. */
export function randomEdit(editor: Editor, random: () => number): void {
  const text = editor.doc.getText('t');
  const roll = random();
  if (roll < 0.6 || text.length === 0) {
    const letters = Array.from({ length: 1 + below(random, 4) }, () => String.fromCharCode(97 + below(random, 26)));
    text.insert(below(random, text.length + 1), letters.join(''));
  } else if (roll < 0.85) {
    const position = below(random, text.length);
    text.delete(position, Math.min(1 + below(random, 5), text.length - position));
  } else {
    editor.doc.getMap('m').set(`k${below(random, 12)}`, `${editor.index}:${editor.edits}`);
  }
  editor.edits++;
}

/** The editor edits at its own random intervals (`minMs` to `maxMs`) until `shouldStop()` or `endAt`. */
export async function editUntil(editor: Editor, random: () => number, endAt: number, minMs = 50, maxMs = 300, shouldStop = () => false): Promise<void> {
  for (;;) {
    await sleep(minMs + below(random, maxMs - minMs + 1));
    if (Date.now() >= endAt || shouldStop()) return;
    randomEdit(editor, random);
  }
}

/** Every editor edits from its own stream derived from `seed`; resolves with the total edit count. */
export async function runEditPhase(editors: readonly Editor[], seed: number, durationMs: number, minMs = 50, maxMs = 300): Promise<number> {
  const random = seededRandom(seed);
  const endAt = Date.now() + durationMs;
  await Promise.all(editors.map((editor) => editUntil(editor, seededRandom(below(random, 2 ** 32)), endAt, minMs, maxMs)));
  return editors.reduce((sum, editor) => sum + editor.edits, 0);
}
