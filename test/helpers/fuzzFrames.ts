/**
 * The seeded fuzz frames for document sockets (LIM-6): random bytes, frames mutated from real
 * y-websocket traffic, and the real frames themselves. One generator for the 10,000-frame test
 * (test/documents/fuzz.test.ts) and the long run (bench/fuzz/main.ts), so a frame index and a seed
 * found by one can be replayed with the other.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { encodeAwarenessMessage } from '../../src/documents/encodeServerMessage.js';
import { seededRandom } from './randomEditors.js';

/** A binary frame, or (rarely) a text frame, which document sockets refuse. */
export type Frame = Uint8Array | string;

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

export class FuzzRandom {
  private readonly next: () => number;

  constructor(start: number) {
    // Seeded: every run sends the same frames.
    this.next = seededRandom(start);
  }

  /** An integer in [0, below). */
  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Real traffic: the frames a stock y-websocket client sends for real edits

export function syncFrame(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 0);
  write(encoder);
  return encoding.toUint8Array(encoder);
}

/** Fixed client ids keep the recorded frames, and so the whole run, the same for one seed. */
function docWithClientId(clientId: number): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = clientId;
  return doc;
}

/** Updates of a few real edits on several shared types, by two editors. */
function recordEdits(): { docs: Y.Doc[]; updates: Uint8Array[] } {
  const docs = [docWithClientId(1001), docWithClientId(1002)];
  const updates: Uint8Array[] = [];
  for (const doc of docs) doc.on('update', (update: Uint8Array) => updates.push(update));
  const [a, b] = docs;
  a.getText('t').insert(0, 'hello fuzz');
  a.getText('t').format(0, 5, { bold: true });
  b.getMap('m').set('answer', 42);
  b.getMap('m').set('nested', new Y.Map());
  a.getArray('list').push([1, 'two', { three: 3 }, new Uint8Array([4])]);
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  b.getText('t').delete(2, 3);
  b.getText('t').insert(1, '✓ unicode');
  a.getXmlFragment('xml').insert(0, [new Y.XmlElement('p')]);
  return { docs, updates };
}

function awarenessFrames(): Uint8Array[] {
  const doc = docWithClientId(1003);
  const awareness = new awarenessProtocol.Awareness(doc);
  const frames: Uint8Array[] = [];
  const record = () => frames.push(encodeAwarenessMessage(awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID])));
  awareness.setLocalState({ user: { name: 'fuzzer', color: '#30bced' } });
  record();
  awareness.setLocalStateField('cursor', { anchor: 3, head: 7 });
  record();
  awareness.setLocalState(null);
  record();
  awareness.destroy();
  return frames;
}

/** Every kind of client message, built from real Yjs documents and y-protocols encoders. */
export function recordTraffic(): Uint8Array[] {
  const { docs, updates } = recordEdits();
  const [a, b] = docs;
  return [
    ...updates.map((update) => syncFrame((encoder) => syncProtocol.writeUpdate(encoder, update))),
    ...[a, b, new Y.Doc()].map((doc) => syncFrame((encoder) => syncProtocol.writeSyncStep1(encoder, doc))),
    syncFrame((encoder) => syncProtocol.writeSyncStep2(encoder, a)),
    syncFrame((encoder) => syncProtocol.writeSyncStep2(encoder, b, Y.encodeStateVector(a))),
    syncFrame((encoder) => syncProtocol.writeSyncStep2(encoder, new Y.Doc())),
    ...awarenessFrames(),
    new Uint8Array([3]),
    new Uint8Array([2, 0, 3, 0x61, 0x62, 0x63]),
  ];
}

// ---------------------------------------------------------------------------------------------
// Mutations

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function flipBytes(random: FuzzRandom, frame: Uint8Array): Uint8Array {
  const out = frame.slice();
  for (let flips = 1 + random.int(4); flips > 0 && out.length > 0; flips--) out[random.int(out.length)] ^= 1 + random.int(255);
  return out;
}

function duplicateRange(random: FuzzRandom, frame: Uint8Array): Uint8Array {
  const start = random.int(frame.length);
  const end = start + 1 + random.int(frame.length - start);
  return concat(frame.subarray(0, end), frame.subarray(start));
}

/**
 * Flips bytes inside the payload of a sync or awareness message and frames it again with a
 * correct length, so the damage reaches the Yjs and awareness decoders instead of the framing.
 */
function flipPayload(random: FuzzRandom, frame: Uint8Array): Uint8Array {
  const decoder = decoding.createDecoder(frame);
  const type = decoding.readVarUint(decoder);
  if (type !== 0 && type !== 1) return flipBytes(random, frame);
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, type);
  if (type === 0) encoding.writeVarUint(encoder, decoding.readVarUint(decoder));
  encoding.writeVarUint8Array(encoder, flipBytes(random, decoding.readVarUint8Array(decoder)));
  return encoding.toUint8Array(encoder);
}

const mutations: ((random: FuzzRandom, frame: Uint8Array, corpus: readonly Uint8Array[]) => Uint8Array)[] = [
  flipBytes,
  flipPayload,
  flipPayload,
  (random, frame) => frame.slice(0, random.int(frame.length)),
  (random, frame) => concat(frame, random.bytes(1 + random.int(16))),
  (_, frame) => concat(frame, frame),
  duplicateRange,
  (random, frame, corpus) => concat(frame, random.pick(corpus)),
];

/** Message headers (type, sync sub-type) that get random bytes past the type switch. */
const headers = [[0, 0], [0, 1], [0, 2], [1], [2, 0], [3]];

/** A real header and a correct length prefix around random bytes: reaches the Yjs decoders. */
function randomPayload(random: FuzzRandom): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeUint8Array(encoder, new Uint8Array(random.pick(headers)));
  encoding.writeVarUint8Array(encoder, random.bytes(random.int(48)));
  return encoding.toUint8Array(encoder);
}

// ---------------------------------------------------------------------------------------------
// The sequence

/**
 * One fuzz frame: random bytes, a mutated real frame, a valid real frame, or a rare oddity (a
 * text frame; a frame one to 1024 bytes over `maxMessageBytes`, which the server refuses 1009).
 */
export function nextFrame(random: FuzzRandom, corpus: readonly Uint8Array[], maxMessageBytes: number): Frame {
  const roll = random.int(1000);
  if (roll === 0) return random.bytes(maxMessageBytes + 1 + random.int(1024));
  if (roll < 3) return 'a text frame on a document socket';
  if (roll < 130) return random.bytes(random.int(64));
  if (roll < 250) return randomPayload(random);
  if (roll < 600) return random.pick(mutations)(random, random.pick(corpus), corpus);
  return random.pick(corpus);
}

/** The frame sequence of one seed: the same frames in the same order on every run. */
export function fuzzFrameSource(seed: number, maxMessageBytes: number): () => Frame {
  const random = new FuzzRandom(seed);
  const corpus = recordTraffic();
  return () => nextFrame(random, corpus, maxMessageBytes);
}

/** A frame as text for failure messages: hex, cut after 256 bytes. */
export function frameHex(frame: Frame): string {
  if (typeof frame === 'string') return `text ${JSON.stringify(frame)}`;
  const shown = Buffer.from(frame.subarray(0, 256)).toString('hex');
  return frame.length > 256 ? `${shown}... (${frame.length} bytes)` : shown;
}
