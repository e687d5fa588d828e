/**
 * The seeded fuzz frames for Hocuspocus sockets (HOCUS-14): every message type with real and
 * random payloads, bad varints, names never authenticated (or not UTF-8, or far too long),
 * lengths that claim gigabytes, Auth floods over many names and pre-auth floods, mixed with the
 * y-websocket corpus of fuzzFrames.ts addressed to Hocuspocus documents (types 0-3 mean the same
 * in both dialects). One generator for the test (test/documents/hocuspocusFuzz.test.ts) and the
 * Hocuspocus phase of `npm run fuzz`, so a seed and frame index found by one replay in the other.
 */
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { FuzzRandom, nextFrame, recordTraffic, type Frame } from './fuzzFrames.js';

export interface HocuspocusFuzzOptions {
  seed: number;
  maxMessageBytes: number;
  /** Documents the fuzz addresses (each socket authenticates them first, see `openingFrames`). */
  names: readonly string[];
  /** A valid token: most Auth frames carry it, so what follows reaches the sessions. */
  token: string;
}

/** Hocuspocus types, the internal 4 and 6 included, and a few that do not exist. */
const types = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 127, 128, 0x7fffffff];

function encoded(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
}

/** A frame for `name`: its name, its type, then whatever `write` adds. */
export function addressed(name: string, type: number, write: (encoder: encoding.Encoder) => void = () => undefined): Uint8Array {
  return encoded((encoder) => {
    encoding.writeVarString(encoder, name);
    encoding.writeVarUint(encoder, type);
    write(encoder);
  });
}

/** Auth Token as the 4.x provider sends it (the token, then its version). */
export function hocuspocusAuth(name: string, token: string): Uint8Array {
  return addressed(name, 2, (encoder) => {
    encoding.writeVarUint(encoder, 0);
    encoding.writeVarString(encoder, token);
    encoding.writeVarString(encoder, '4.8.0');
  });
}

/** What each fuzz socket sends first: Auth for every fuzzed document. */
export function openingFrames(options: Pick<HocuspocusFuzzOptions, 'names' | 'token'>): Uint8Array[] {
  return options.names.map((name) => hocuspocusAuth(name, options.token));
}

/** The bare Ping a probe ends with: the server answers Pong after every frame before it. */
export const pingFrame: Uint8Array = Uint8Array.of(9);

/** Concatenates byte arrays (a prefix and a body, a body and junk). */
function joined(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A name the socket never authenticated: unknown, empty, NUL-keyed, control characters, too long. */
function strangeName(random: FuzzRandom): string {
  return random.pick(['never-authed', '', 'fz-0\0session', 'fz-\u0001', '../../etc', 'x'.repeat(600 + random.int(400)), '✓ unicode name']);
}

/** A name length or payload length that claims far more than the frame holds. */
function hugeLength(random: FuzzRandom): Uint8Array {
  return encoded((encoder) => encoding.writeVarUint(encoder, random.pick([2 ** 31, 2 ** 32 - 1, 2 ** 40, Number.MAX_SAFE_INTEGER, 0x7fffffff])));
}

/** Varints that never end, are cut short, or overflow 53 bits. */
function badVarint(random: FuzzRandom): Uint8Array {
  switch (random.int(3)) {
    case 0:
      return new Uint8Array(1 + random.int(12)).fill(0x80);
    case 1:
      return new Uint8Array(10).fill(0xff);
    default:
      return Uint8Array.of(0x81);
  }
}

/**
 * The burst sequence of one seed: each draw is one frame, or a flood sent as one burst (Auth of
 * a fresh name and then hundreds of messages for it before its answer can come, or Auth for one
 * name after another).
 */
export function hocuspocusFuzzSource(options: HocuspocusFuzzOptions): () => Frame[] {
  const random = new FuzzRandom(options.seed);
  const corpus = recordTraffic();
  const { names, token, maxMessageBytes } = options;
  let floods = 0;
  const name = () => random.pick(names);
  const stepOne = (to: string) => addressed(to, 0, (encoder) => {
    encoding.writeVarUint(encoder, 0);
    encoding.writeVarUint8Array(encoder, Y.encodeStateVector(new Y.Doc()));
  });

  const draws: ((() => Frame) | (() => Frame[]))[] = [
    // The y-websocket corpus, mutated or not, behind a fuzzed document's name.
    () => {
      const frame = nextFrame(random, corpus, maxMessageBytes);
      return typeof frame === 'string' ? frame : joined(encoded((encoder) => encoding.writeVarString(encoder, name())), frame);
    },
    () => {
      const frame = nextFrame(random, corpus, maxMessageBytes);
      return typeof frame === 'string' ? frame : joined(encoded((encoder) => encoding.writeVarString(encoder, name())), frame);
    },
    // Every type with random bytes after it.
    () => addressed(name(), random.pick(types), (encoder) => encoding.writeUint8Array(encoder, random.bytes(random.int(40)))),
    // Auth: valid, garbage, empty, for a strange name, a bad sub-type, no token at all.
    () => {
      switch (random.int(6)) {
        case 0:
          return hocuspocusAuth(name(), token);
        case 1:
          return hocuspocusAuth(name(), random.pick(['', 'not.a.jwt', token.slice(0, -3), `${token}x`]));
        case 2:
          return hocuspocusAuth(strangeName(random), token);
        case 3:
          return addressed(name(), 2, (encoder) => encoding.writeVarUint(encoder, 1 + random.int(5)));
        case 4:
          return addressed(name(), 2);
        default:
          return addressed(name(), 2, (encoder) => encoding.writeVarUint(encoder, 0));
      }
    },
    // CLOSE for an open document (it is authenticated again by a later Auth), or a strange one.
    () => addressed(random.int(2) === 0 ? name() : strangeName(random), 7),
    // Stateless, valid or with a length past its end.
    () => addressed(name(), 5, (encoder) => {
      if (random.int(3) === 0) encoding.writeUint8Array(encoder, hugeLength(random));
      else encoding.writeVarString(encoder, JSON.stringify({ fuzz: random.int(1e6), text: 'grüße' }));
    }),
    // Query awareness, Ping and Pong, bare and with a name.
    () => random.pick([addressed(name(), 3), Uint8Array.of(9), Uint8Array.of(10), addressed(name(), 9), addressed(name(), 10), Uint8Array.of(8)]),
    // Valid messages for names never authenticated here (dropped), strange or not.
    () => joined(encoded((encoder) => encoding.writeVarString(encoder, strangeName(random))), random.pick(corpus)),
    // Bad varints: in the name length, in the type, in a sync sub-type, in a payload length.
    () => {
      const prefix = encoded((encoder) => encoding.writeVarString(encoder, name()));
      switch (random.int(4)) {
        case 0:
          return joined(badVarint(random), random.bytes(random.int(8)));
        case 1:
          return joined(prefix, badVarint(random));
        case 2:
          return joined(prefix, Uint8Array.of(0), badVarint(random));
        default:
          return joined(prefix, Uint8Array.of(0, 2), badVarint(random), random.bytes(random.int(8)));
      }
    },
    // Lengths that claim gigabytes: of the name, of an update, of awareness.
    () => {
      const prefix = encoded((encoder) => encoding.writeVarString(encoder, name()));
      switch (random.int(3)) {
        case 0:
          return joined(hugeLength(random), random.bytes(random.int(32)));
        case 1:
          return joined(prefix, Uint8Array.of(0, 2), hugeLength(random), random.bytes(random.int(32)));
        default:
          return joined(prefix, Uint8Array.of(1), hugeLength(random), random.bytes(random.int(32)));
      }
    },
    // A pre-auth flood: Auth for a fresh name, then step 1 after step 1 before any answer can come.
    () => {
      const fresh = `flood-${floods++ % 64}`;
      // Half of them past the default bound of 1,000 queued messages.
      const length = random.int(2) === 0 ? 1_001 + random.int(500) : 50 + random.int(900);
      return [hocuspocusAuth(fresh, token), ...Array.from({ length }, () => stepOne(fresh))];
    },
    // An Auth flood: one name after another (the per-socket document limit), each asking for state.
    () => Array.from({ length: 20 + random.int(130) }, (_, index) => [hocuspocusAuth(`many-${index}`, token), stepOne(`many-${index}`)]).flat(),
  ];

  return () => {
    // Floods are rare: one draw in about 200.
    const draw = random.int(200) === 0 ? draws[draws.length - 1 - random.int(2)] : draws[random.int(draws.length - 2)];
    const drawn = draw();
    return Array.isArray(drawn) ? drawn : [drawn];
  };
}
