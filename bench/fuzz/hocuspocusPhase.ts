import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import { connectHocuspocus, destroyHocuspocus, hocuspocusSocket, waitForHocuspocusSync, type HocuspocusClient } from '../../test/helpers/hocuspocusClient.js';
import { hocuspocusFuzzSource, openingFrames } from '../../test/helpers/hocuspocusFuzzFrames.js';
import { hocuspocusFuzzCloseCodes, sendHocuspocusFuzzTraffic } from '../../test/helpers/hocuspocusFuzzTraffic.js';
import type { FuzzTraffic } from '../../test/helpers/fuzzTraffic.js';
import { eventually } from '../../test/helpers/yjsClient.js';

export interface HocuspocusPhaseOptions {
  serverUrl: string;
  token: string;
  seed: number;
  frames: number;
  sockets: number;
  maxMessageBytes: number;
  timeoutMs: number;
  /** The document the stock writer edits: the phase's clean HocuspocusProvider edits it too, and the fuzz addresses it. */
  cleanDocument: string;
  shouldStop: () => boolean;
  onProgress: (drawn: number) => void;
}

export interface HocuspocusPhaseResult {
  traffic: FuzzTraffic;
  elapsedSeconds: number;
  /** Edits of the clean HocuspocusProvider during the phase. */
  edits: number;
  /** Times its socket closed (none is the pass). */
  disconnects: number;
  /** null: a fresh HocuspocusProvider received exactly the clean provider's document. */
  mismatch: string | null;
}

const editEveryFrames = 1_000;
/** The label of the clean provider's edits (the stock writer's are `edit N; `). */
const editPattern = /hocus \d+; /g;

/**
 * The Hocuspocus phase of `npm run fuzz` (HOCUS-14): the seeded Hocuspocus bursts over raw
 * sockets at `/`, each socket multiplexing three fuzzed documents and the clean one, next to a
 * clean HocuspocusProvider editing the clean document. Then a fresh provider must receive
 * exactly that provider's document.
 */
export async function runHocuspocusPhase(options: HocuspocusPhaseOptions): Promise<HocuspocusPhaseResult> {
  const names = ['fuzz-h-0', 'fuzz-h-1', 'fuzz-h-2', options.cleanDocument];
  const clean = await openClean(options);
  let disconnects = 0;
  clean.provider.configuration.websocketProvider.on('disconnect', () => disconnects++);
  let edits = 0;
  const started = performance.now();
  try {
    const traffic = await sendHocuspocusFuzzTraffic({
      url: options.serverUrl,
      sockets: options.sockets,
      opening: openingFrames({ names, token: options.token }),
      totalFrames: options.frames,
      nextBurst: hocuspocusFuzzSource({ seed: options.seed, maxMessageBytes: options.maxMessageBytes, names, token: options.token }),
      maxMessageBytes: options.maxMessageBytes,
      burstsPerProbe: 4,
      timeoutMs: options.timeoutMs,
      allowedCloseCodes: hocuspocusFuzzCloseCodes,
      onFrame: (index) => {
        options.onProgress(index + 1);
        if (index % editEveryFrames !== 0) return;
        const text = clean.doc.getText('t');
        text.insert(text.length, `hocus ${edits++}; `);
      },
      shouldStop: options.shouldStop,
    });
    const elapsedSeconds = (performance.now() - started) / 1000;
    return { traffic, elapsedSeconds, edits, disconnects, mismatch: await compareFresh(options, clean, edits) };
  } finally {
    destroyHocuspocus([clean.provider], [clean.provider.configuration.websocketProvider]);
  }
}

async function openClean(options: HocuspocusPhaseOptions): Promise<HocuspocusClient> {
  const client = connectHocuspocus(hocuspocusSocket(options.serverUrl), options.cleanDocument, options.token);
  await waitForHocuspocusSync(client.provider, 10_000);
  return client;
}

/** A fresh provider's copy against the clean provider's: every edit, the same text and state vector. */
async function compareFresh(options: HocuspocusPhaseOptions, clean: HocuspocusClient, edits: number): Promise<string | null> {
  await eventually(() => !clean.provider.hasUnsyncedChanges, 10_000, 'the clean edits stored').catch(() => undefined);
  if (clean.provider.hasUnsyncedChanges) return 'the clean provider still has unsynced changes';
  const fresh = connectHocuspocus(hocuspocusSocket(options.serverUrl), options.cleanDocument, options.token);
  try {
    await waitForHocuspocusSync(fresh.provider, 10_000);
    const expected = clean.doc.getText('t').toString();
    const same = () => fresh.doc.getText('t').toString() === expected && Buffer.from(Y.encodeStateVector(fresh.doc)).equals(Buffer.from(Y.encodeStateVector(clean.doc)));
    await eventually(same, 10_000, 'the clean document').catch(() => undefined);
    const text = fresh.doc.getText('t').toString();
    if (text !== expected) return `text of ${text.length} characters, expected ${expected.length}`;
    const count = text.match(editPattern)?.length ?? 0;
    if (count !== edits) return `${count} Hocuspocus edits in the text, the provider made ${edits}`;
    if (!same()) return 'state vectors differ';
    return null;
  } finally {
    destroyHocuspocus([fresh.provider], [fresh.provider.configuration.websocketProvider]);
  }
}
