import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';

export interface HeapCensus {
  /** Bytes of everything on the heap except compiled code (which only grows as V8 optimises). */
  dataBytes: number;
  /** Live objects per constructor name. */
  objects: Map<string, number>;
}

interface SnapshotFile {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/**
 * Takes a heap snapshot after full collections and counts it. The plain heap size is no good for
 * leak tests: JIT code and deopt data keep growing for minutes, which is not retention.
 */
export async function heapCensus(): Promise<HeapCensus> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('heapCensus needs node --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const file = path.join(tmpdir(), `wiresocket-${process.pid}-${Date.now()}.heapsnapshot`);
  v8.writeHeapSnapshot(file);
  try {
    return countSnapshot(JSON.parse(await readFile(file, 'utf8')) as SnapshotFile);
  } finally {
    await rm(file, { force: true });
  }
}

function countSnapshot(snapshot: SnapshotFile): HeapCensus {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((field) => fields.indexOf(field));
  const objects = new Map<string, number>();
  let dataBytes = 0;
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = types[snapshot.nodes[i + typeAt]];
    if (type === 'code') continue;
    dataBytes += snapshot.nodes[i + sizeAt];
    if (type === 'object') {
      const name = snapshot.strings[snapshot.nodes[i + nameAt]];
      objects.set(name, (objects.get(name) ?? 0) + 1);
    }
  }
  return { dataBytes, objects };
}
