import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { decodeClientFrame } from '../../src/documents/decodeClientFrame.js';
import type { ClientMessage } from '../../src/documents/protocol.js';
import { WiresocketError, type ErrorCode } from '../../src/errors.js';

/** A document with text and map content, so updates carry several kinds of structs. */
function editedDoc(): Y.Doc {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, 'hello world');
  doc.getMap('m').set('k', { a: 1 });
  return doc;
}

/** Builds one frame from messages written with lib0/y-protocols, as a stock client would. */
function frame(...writers: ((encoder: encoding.Encoder) => void)[]): Uint8Array {
  const encoder = encoding.createEncoder();
  for (const write of writers) write(encoder);
  return encoding.toUint8Array(encoder);
}

const step1 = (doc: Y.Doc) => (encoder: encoding.Encoder) => {
  encoding.writeVarUint(encoder, 0);
  syncProtocol.writeSyncStep1(encoder, doc);
};
const step2 = (doc: Y.Doc) => (encoder: encoding.Encoder) => {
  encoding.writeVarUint(encoder, 0);
  syncProtocol.writeSyncStep2(encoder, doc);
};
const update = (bytes: Uint8Array) => (encoder: encoding.Encoder) => {
  encoding.writeVarUint(encoder, 0);
  syncProtocol.writeUpdate(encoder, bytes);
};
/** A sync step 2 carrying the given bytes as its update. */
const step2Of = (bytes: Uint8Array) => (encoder: encoding.Encoder) => {
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarUint(encoder, 1);
  encoding.writeVarUint8Array(encoder, bytes);
};
const awareness = (bytes: Uint8Array) => (encoder: encoding.Encoder) => {
  encoding.writeVarUint(encoder, 1);
  encoding.writeVarUint8Array(encoder, bytes);
};
const queryAwareness = () => (encoder: encoding.Encoder) => encoding.writeVarUint(encoder, 3);
const raw = (...bytes: number[]) => (encoder: encoding.Encoder) => encoding.writeUint8Array(encoder, new Uint8Array(bytes));

/** A message without the decoded update it carries (compared separately). */
function withoutChecked(message: ClientMessage): Omit<ClientMessage, 'checked'> {
  if (message.type !== 'sync-step2' && message.type !== 'sync-update') return message;
  const { checked: _checked, ...rest } = message;
  return rest;
}

/** A real awareness update from a y-protocols Awareness (destroyed at once: it runs a timer). */
function realAwarenessUpdate(state: Record<string, unknown> | null): { bytes: Uint8Array; clientId: number } {
  const doc = new Y.Doc();
  const instance = new awarenessProtocol.Awareness(doc);
  instance.setLocalState(state);
  const bytes = awarenessProtocol.encodeAwarenessUpdate(instance, [doc.clientID]);
  instance.destroy();
  return { bytes, clientId: doc.clientID };
}

/** An awareness payload written by hand, so the state text can be anything. */
function awarenessPayload(clientId: number, clock: number, state: string): Uint8Array {
  return frame((encoder) => {
    encoding.writeVarUint(encoder, 1);
    encoding.writeVarUint(encoder, clientId);
    encoding.writeVarUint(encoder, clock);
    encoding.writeVarString(encoder, state);
  });
}

function decodeOne(bytes: Uint8Array): ClientMessage {
  const messages = decodeClientFrame(bytes);
  assert.equal(messages.length, 1);
  return messages[0];
}

function assertRejected(bytes: Uint8Array, code: ErrorCode): void {
  assert.throws(
    () => decodeClientFrame(bytes),
    (error: unknown) => {
      assert.ok(error instanceof WiresocketError, `expected a WiresocketError, got ${String(error)}`);
      assert.equal(error.code, code);
      assert.equal(error.closeCode, 4400);
      return true;
    },
  );
}

/** True when `part` is a view on `whole`'s memory (same buffer, inside its range). */
function isViewInto(part: Uint8Array, whole: Uint8Array): boolean {
  return (
    part.buffer === whole.buffer &&
    part.byteOffset >= whole.byteOffset &&
    part.byteOffset + part.byteLength <= whole.byteOffset + whole.byteLength
  );
}

describe('decodeClientFrame: valid frames (LIM-2)', () => {
  it('LIM-2: sync step 1 decodes with the client state vector', () => {
    const doc = editedDoc();
    assert.deepEqual(decodeOne(frame(step1(doc))), { type: 'sync-step1', stateVector: Y.encodeStateVector(doc) });
  });

  it('LIM-2: sync step 2 decodes with the whole update, also from an empty document ([0, 0])', () => {
    const doc = editedDoc();
    assert.deepEqual(withoutChecked(decodeOne(frame(step2(doc)))), { type: 'sync-step2', update: Y.encodeStateAsUpdate(doc) });
    assert.deepEqual(withoutChecked(decodeOne(frame(step2(new Y.Doc())))), { type: 'sync-step2', update: new Uint8Array([0, 0]) });
  });

  it('LIM-2: a sync update decodes with its bytes', () => {
    const bytes = Y.encodeStateAsUpdate(editedDoc());
    const message = decodeOne(frame(update(bytes)));
    assert.deepEqual(withoutChecked(message), { type: 'sync-update', update: bytes });
    // The decoded form travels with it, so the session does not decode the update again.
    assert.ok(message.type === 'sync-update' && message.checked.bytes === message.update && message.checked.inYjsOrder);
    assert.equal(message.checked.decoded.structs.length, Y.decodeUpdate(bytes).structs.length);
  });

  it('LIM-2: a y-protocols awareness update decodes with its entries (states as JSON text)', () => {
    const { bytes, clientId } = realAwarenessUpdate({ user: { name: 'ada', color: '#f00' } });
    assert.deepEqual(decodeOne(frame(awareness(bytes))), {
      type: 'awareness',
      update: bytes,
      entries: [{ clientId, clock: 1, state: JSON.stringify({ user: { name: 'ada', color: '#f00' } }) }],
    });
  });

  it("LIM-2: an awareness removal decodes with state 'null'", () => {
    const { bytes, clientId } = realAwarenessUpdate(null);
    const message = decodeOne(frame(awareness(bytes)));
    assert.ok(message.type === 'awareness');
    assert.deepEqual(message.entries, [{ clientId, clock: 1, state: 'null' }]);
  });

  it('LIM-2: query-awareness and auth (bare, or with a permission payload) decode', () => {
    assert.deepEqual(decodeOne(frame(queryAwareness())), { type: 'query-awareness' });
    assert.deepEqual(decodeOne(frame(raw(2))), { type: 'auth' });
    assert.deepEqual(decodeOne(frame(raw(2, 0), (encoder) => encoding.writeVarString(encoder, 'why'))), { type: 'auth' });
  });

  it('LIM-2: several complete messages in one frame decode in order', () => {
    const doc = editedDoc();
    const { bytes } = realAwarenessUpdate({ cursor: 3 });
    const messages = decodeClientFrame(frame(step1(doc), update(Y.encodeStateAsUpdate(doc)), awareness(bytes), queryAwareness()));
    assert.deepEqual(
      messages.map((message) => message.type),
      ['sync-step1', 'sync-update', 'awareness', 'query-awareness'],
    );
  });
});

describe('decodeClientFrame: decoded bytes are views into the frame', () => {
  it('LIM-2: update, state vector and awareness bytes share the frame buffer (no copy)', () => {
    const doc = editedDoc();
    const { bytes } = realAwarenessUpdate({ a: 1 });
    const whole = frame(step1(doc), update(Y.encodeStateAsUpdate(doc)), awareness(bytes));
    const [first, second, third] = decodeClientFrame(whole);
    assert.ok(first.type === 'sync-step1' && isViewInto(first.stateVector, whole));
    assert.ok(second.type === 'sync-update' && isViewInto(second.update, whole));
    assert.ok(third.type === 'awareness' && isViewInto(third.update, whole));
  });

  it('LIM-2: a frame that is itself a view (a pooled Buffer slice) yields views inside that slice', () => {
    const inner = frame(update(Y.encodeStateAsUpdate(editedDoc())));
    const pool = new Uint8Array(inner.length + 64).fill(0xee);
    pool.set(inner, 32);
    const slice = pool.subarray(32, 32 + inner.length);
    const message = decodeOne(slice);
    assert.ok(message.type === 'sync-update' && isViewInto(message.update, slice));
  });
});

describe('decodeClientFrame: malformed frames -> WiresocketError, close 4400 (LIM-2)', () => {
  const validUpdate = Y.encodeStateAsUpdate(editedDoc());
  const cases: { name: string; bytes: Uint8Array; code: ErrorCode }[] = [
    { name: 'an empty frame', bytes: new Uint8Array(0), code: 'MESSAGE_MALFORMED' },
    { name: 'a truncated type varint [0x80]', bytes: new Uint8Array([0x80]), code: 'MESSAGE_MALFORMED' },
    { name: 'a sync message without its sub-type', bytes: new Uint8Array([0]), code: 'MESSAGE_MALFORMED' },
    { name: 'a sync message without its payload', bytes: new Uint8Array([0, 2]), code: 'MESSAGE_MALFORMED' },
    { name: 'a length prefix past the end of the frame', bytes: new Uint8Array([0, 2, 10, 1, 2, 3]), code: 'MESSAGE_MALFORMED' },
    { name: 'a length prefix of 2^53', bytes: new Uint8Array([0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]), code: 'MESSAGE_MALFORMED' },
    { name: 'unknown message type 7', bytes: new Uint8Array([7]), code: 'MESSAGE_UNKNOWN_TYPE' },
    { name: 'unknown message type 4 with a payload', bytes: new Uint8Array([4, 1, 0]), code: 'MESSAGE_UNKNOWN_TYPE' },
    { name: 'unknown message type 300 (two-byte varint)', bytes: new Uint8Array([0xac, 0x02]), code: 'MESSAGE_UNKNOWN_TYPE' },
    { name: 'unknown sync sub-type 3', bytes: new Uint8Array([0, 3, 0]), code: 'MESSAGE_UNKNOWN_TYPE' },
    { name: 'an empty update (zero-length payload)', bytes: new Uint8Array([0, 2, 0]), code: 'UPDATE_INVALID' },
    { name: 'an empty step 2 (zero-length payload)', bytes: new Uint8Array([0, 1, 0]), code: 'UPDATE_INVALID' },
    { name: 'garbage update bytes', bytes: frame(update(new Uint8Array([0xff, 0xff, 0xff, 0xff]))), code: 'UPDATE_INVALID' },
    { name: 'a one-byte update [0]', bytes: frame(update(new Uint8Array([0]))), code: 'UPDATE_INVALID' },
    { name: 'a real update cut short', bytes: frame(update(validUpdate.subarray(0, validUpdate.length - 4))), code: 'UPDATE_INVALID' },
    { name: 'a step 2 whose update does not decode', bytes: frame(raw(0, 1, 3, 1, 2, 3)), code: 'UPDATE_INVALID' },
    { name: 'a step 1 whose state vector is truncated', bytes: new Uint8Array([0, 0, 1, 0x80]), code: 'MESSAGE_MALFORMED' },
    { name: 'an empty step 1 state vector', bytes: new Uint8Array([0, 0, 0]), code: 'MESSAGE_MALFORMED' },
    { name: 'awareness whose state is not JSON', bytes: frame(awareness(awarenessPayload(1, 1, '{not json'))), code: 'MESSAGE_MALFORMED' },
    { name: 'awareness that announces more entries than it holds', bytes: frame(raw(1, 3, 2, 1, 1)), code: 'MESSAGE_MALFORMED' },
    { name: 'an auth message with a truncated reason', bytes: new Uint8Array([2, 0, 5, 0x61]), code: 'MESSAGE_MALFORMED' },
  ];
  for (const { name, bytes, code } of cases) {
    it(`LIM-2: ${name} -> ${code}`, () => assertRejected(bytes, code));
  }

  it('LIM-2: a length prefix past the frame is refused even when the frame is a view on a larger buffer', () => {
    const pool = new Uint8Array(64).fill(0x41);
    pool.set([0, 2, 10, 1, 2, 3], 0);
    assertRejected(pool.subarray(0, 6), 'MESSAGE_MALFORMED');
  });

  it('LIM-2: a valid update followed by a truncated message rejects the whole frame', () => {
    assertRejected(frame(update(validUpdate), raw(0, 2, 0x80)), 'MESSAGE_MALFORMED');
    assertRejected(frame(update(validUpdate), raw(0x80)), 'MESSAGE_MALFORMED');
  });

  it('LIM-2: a valid update followed by an unknown message or an empty update rejects the whole frame', () => {
    assertRejected(frame(update(validUpdate), raw(9)), 'MESSAGE_UNKNOWN_TYPE');
    assertRejected(frame(update(validUpdate), raw(0, 2, 0)), 'UPDATE_INVALID');
  });

  it('LIM-2: the error carries the catalog message and HTTP status 400', () => {
    assert.throws(
      () => decodeClientFrame(new Uint8Array([7])),
      (error: unknown) => error instanceof WiresocketError && error.httpStatus === 400 && /unknown message type: type 7/.test(error.message),
    );
  });
});

/**
 * Updates the fuzz test (LIM-6) found: Y.decodeUpdate reads them without complaint, but applying
 * them throws inside Yjs, so a server that stores them first poisons the document for every later
 * load. Hex of the update payload, and what is wrong with it.
 */
const fuzzFoundUpdates = [
  {
    what: 'an item whose rightOrigin is a later clock of its own client (1001:10 -> 1001:62)',
    hex: '0106e90700040101740568656c6c6f84e90704052038757a7a46e9073e04626f6c640474727565c6e90704e9070504626f6c64046e756c6c0801046c697374037d01770374776f76010574687265657d0383e9070e010400',
    throwsOnEmptyDoc: true,
  },
  {
    what: 'a delete set range of length 0',
    hex: '0001ea0702c4e90700e9cd01017800',
    throwsOnEmptyDoc: true,
  },
  {
    what: 'an item whose origin is a later clock of its own client (1001:10 -> 1001:37; throws once 1001 has content)',
    hex: '0102e9070a46e9072504626f6c640474727565c6e90704e9070504626f6c64046e756c6c00',
    throwsOnEmptyDoc: false,
  },
];

describe('decodeClientFrame: updates that decode but crash Yjs (found by fuzzing)', () => {
  for (const { what, hex, throwsOnEmptyDoc } of fuzzFoundUpdates) {
    it(`LIM-2: ${what} -> UPDATE_INVALID`, () => {
      const bytes = new Uint8Array(Buffer.from(hex, 'hex'));
      assert.doesNotThrow(() => Y.decodeUpdate(bytes), 'the update gets past Y.decodeUpdate');
      if (throwsOnEmptyDoc) assert.throws(() => Y.applyUpdate(new Y.Doc(), bytes), 'applying it throws inside Yjs');
      assertRejected(frame(update(bytes)), 'UPDATE_INVALID');
      assertRejected(frame(step2Of(bytes)), 'UPDATE_INVALID');
    });
  }
});

