import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as Y from 'yjs';
import { DocumentFeed, type FeedSource, type StreamEntry } from '../../src/sync/documentFeed.js';
import { compareStreamIds, streamStart } from '../../src/sync/streamIds.js';
import { eventually } from '../helpers/yjsClient.js';
import { docFrom, idsOnce, insertedIds, RecordingListener, TextWriter, textOf } from './syncFixtures.js';

const self = 'this-node';
const other = 'other-node';

/**
 * A stream in memory standing in for Redis: ids `1-<n>`, each entry linked to the one before,
 * with a trim point and reads that can be held, so a test decides what pub/sub "lost" and what
 * arrives while a catch-up read is in flight.
 */
class FakeStream implements FeedSource {
  readonly entries: StreamEntry[] = [];
  /** Entries below this index were trimmed away. */
  trimmedBefore = 0;
  reads = 0;
  snapshots = 0;
  private held: Array<() => void> | null = null;

  append(update: Uint8Array, writer = other): StreamEntry {
    const entry = { id: `1-${this.entries.length + 1}`, prev: this.last, writer, update };
    this.entries.push(entry);
    return entry;
  }

  get last(): string {
    return this.entries.at(-1)?.id ?? streamStart;
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = null;
    for (const resume of waiting) resume();
  }

  async readAfter(after: string, count: number): Promise<StreamEntry[]> {
    this.reads++;
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    return this.entries
      .slice(this.trimmedBefore)
      .filter((entry) => compareStreamIds(entry.id, after) > 0)
      .slice(0, count);
  }

  /** The document's incarnation (a test changes it to simulate a state lost and begun again). */
  epoch = 'epoch-1';

  async snapshot(): Promise<{ state: Uint8Array; last: string; epoch: string }> {
    this.snapshots++;
    return { state: Y.mergeUpdates(this.entries.map(({ update }) => update)), last: this.last, epoch: this.epoch };
  }
}

function setup(): { stream: FakeStream; feed: DocumentFeed; failures: unknown[] } {
  const stream = new FakeStream();
  const failures: unknown[] = [];
  const feed = new DocumentFeed({ nodeId: self, writerTag: self }, stream, { listenerFailed: (error) => failures.push(error), catchUpFailed: (error) => failures.push(error) });
  return { stream, feed, failures };
}

function publish(feed: DocumentFeed, entry: StreamEntry): void {
  feed.onEvent({ kind: 'update', ...entry });
}

describe('DocumentFeed (the Redis reader model, without Redis)', () => {
  it('SYNC-2: delivers a continuous chain as it comes and skips, but follows, its own entries', () => {
    const { stream, feed } = setup();
    const listener = new RecordingListener();
    feed.add(listener, streamStart);
    const writer = new TextWriter();
    publish(feed, stream.append(writer.type('a')));
    publish(feed, stream.append(new TextWriter().type('mine'), self));
    publish(feed, stream.append(writer.type('b')));
    assert.deepEqual(idsOnce(listener.updates), idsOnce(writer.updates));
    assert.equal(stream.reads, 0, 'no catch-up read without a gap');
  });

  it('SYNC-2: a broken chain is read back from the stream: nothing lost, nothing twice, even with messages arriving mid-read', async () => {
    const { stream, feed } = setup();
    const listener = new RecordingListener();
    feed.add(listener, streamStart);
    const writer = new TextWriter();
    publish(feed, stream.append(writer.type('1')));
    stream.append(writer.type('2')); // lost by pub/sub
    stream.hold();
    publish(feed, stream.append(writer.type('3'))); // gap: starts a held read
    publish(feed, stream.append(writer.type('4'))); // arrives while the read is in flight
    stream.append(writer.type('5')); // lost too, after the read was sent
    stream.release();
    await eventually(() => listener.updates.flatMap(insertedIds).length >= 5, 2000, 'every entry');
    assert.deepEqual(idsOnce(listener.updates), idsOnce(writer.updates));
    assert.equal(stream.snapshots, 0);
  });

  it('SYNC-2: a listener added behind what the feed has seen is caught up at once', async () => {
    const { stream, feed } = setup();
    const writer = new TextWriter();
    const first = stream.append(writer.type('x'));
    publish(feed, first); // nobody listening yet
    const listener = new RecordingListener();
    feed.add(listener, streamStart);
    await eventually(() => listener.updates.length === 1, 2000, 'the entry published before the listener existed');
    assert.deepEqual(idsOnce(listener.updates), idsOnce(writer.updates));
  });

  it('SYNC-2: noteLast (the periodic check) finds entries no message announced', async () => {
    const { stream, feed } = setup();
    const listener = new RecordingListener();
    feed.add(listener, streamStart);
    const writer = new TextWriter();
    for (const update of writer.typeEach('quiet')) stream.append(update);
    feed.noteLast(stream.last);
    await eventually(() => listener.updates.length === 5, 2000, 'the unannounced entries');
    assert.deepEqual(idsOnce(listener.updates), idsOnce(writer.updates));
    feed.noteLast(stream.last);
    assert.equal(stream.reads, 1, 'no read when nobody is behind');
  });

  it('SYNC-2: a listener the trim overtook gets the merged state once, then the chain again', async () => {
    const { stream, feed } = setup();
    const listener = new RecordingListener();
    feed.add(listener, streamStart);
    const writer = new TextWriter();
    publish(feed, stream.append(writer.type('a')));
    for (const update of writer.typeEach('bcd')) stream.append(update);
    stream.trimmedBefore = 3; // 'b' and 'c' are gone from the stream
    feed.noteLast(stream.last);
    await eventually(() => stream.snapshots === 1, 2000, 'the snapshot');
    publish(feed, stream.append(writer.type('e')));
    assert.equal(textOf(docFrom(new Uint8Array([0, 0]), listener.updates)), writer.text);
    assert.deepEqual(insertedIds(listener.updates.at(-1)!), insertedIds(writer.updates.at(-1)!), 'the chain resumed after the state');
    assert.deepEqual(idsOnce(listener.updates), idsOnce(writer.updates), "nothing twice: 'a' is not in what the state brought");
  });

  it('SYNC-2: a listener that cannot say what it holds gets the whole merged state', async () => {
    const { stream, feed } = setup();
    const updates: Uint8Array[] = [];
    feed.add({ onRemoteUpdate: (update) => updates.push(update), onRemoteAwareness: () => undefined, onResyncNeeded: () => undefined }, streamStart);
    const writer = new TextWriter();
    publish(feed, stream.append(writer.type('a')));
    for (const update of writer.typeEach('bc')) stream.append(update);
    stream.trimmedBefore = 2;
    feed.noteLast(stream.last);
    await eventually(() => stream.snapshots === 1, 2000, 'the snapshot');
    assert.equal(updates.length, 2);
    assert.equal(textOf(docFrom(new Uint8Array([0, 0]), updates.slice(1))), 'abc', 'the state, whole');
  });

  it('SYNC-2: a throwing listener is reported and does not stop the others; a removed one hears nothing', () => {
    const { stream, feed, failures } = setup();
    const throwing = { onRemoteUpdate: () => assert.fail('boom'), onRemoteAwareness: () => assert.fail('boom'), onResyncNeeded: () => assert.fail('boom') };
    const [recorder, removed] = [new RecordingListener(), new RecordingListener()];
    feed.add(throwing, streamStart);
    feed.add(recorder, streamStart);
    const gone = feed.add(removed, streamStart);
    assert.equal(feed.remove(gone), false);
    publish(feed, stream.append(new TextWriter().type('x')));
    feed.onEvent({ kind: 'awareness', nodeId: other, awareness: new Uint8Array([1]) });
    feed.onEvent({ kind: 'awareness', nodeId: self, awareness: new Uint8Array([2]) });
    assert.equal(recorder.updates.length, 1);
    assert.deepEqual(recorder.awareness, [new Uint8Array([1])]);
    assert.deepEqual(recorder.awarenessFrom, [other]);
    assert.equal(removed.updates.length + removed.awareness.length, 0);
    assert.equal(failures.length, 2);
  });

  it('CLUSTER-6: a changed epoch (the state lost and begun again) asks every listener to resync, once per change', async () => {
    const { stream, feed } = setup();
    const [first, second] = [new RecordingListener(), new RecordingListener()];
    feed.add(first, streamStart);
    feed.add(second, streamStart);
    feed.noteEpoch('epoch-1');
    feed.noteEpoch('epoch-1');
    assert.deepEqual([first.resyncRequests, second.resyncRequests], [0, 0], 'the first epoch seen is no change');
    feed.noteEpoch('epoch-2');
    feed.noteEpoch('epoch-2');
    assert.deepEqual([first.resyncRequests, second.resyncRequests], [1, 1]);
    // A snapshot taken for a reader the trim overtook also carries the epoch.
    stream.epoch = 'epoch-3';
    for (const update of new TextWriter().typeEach('ab')) stream.append(update);
    stream.trimmedBefore = 1;
    feed.noteLast(stream.last);
    await eventually(() => first.resyncRequests === 2, 2000, 'the resync request from the snapshot');
    feed.resyncNeeded();
    assert.deepEqual([first.resyncRequests, second.resyncRequests], [3, 3]);
  });
});
