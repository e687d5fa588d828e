import { createHash } from 'node:crypto';
import type * as Y from 'yjs';
import { fetchNodeState, sameSnapshot, snapshotOfDoc, snapshotOfUpdate, type DocumentShape, type DocumentSnapshot } from './nodeState.js';
import { eventually } from './yjsClient.js';

/** The parties that must end up holding one state: clients' docs, and server nodes asked over a socket. */
export interface AgreementParties {
  clients: ReadonlyArray<{ name: string; doc: Y.Doc }>;
  nodes: ReadonlyArray<{ name: string; url: string }>;
  docName: string;
  token: string;
  shape: DocumentShape;
}

/** The common snapshot when every client and then every node agree, else undefined. */
export async function agreedSnapshot(parties: AgreementParties): Promise<DocumentSnapshot | undefined> {
  const [first, ...rest] = parties.clients.map(({ doc }) => snapshotOfDoc(doc, parties.shape));
  if (first === undefined || !rest.every((snapshot) => sameSnapshot(snapshot, first))) return undefined;
  const states = await Promise.all(parties.nodes.map(({ url }) => fetchNodeState(url, parties.docName, parties.token)));
  return states.every((state) => sameSnapshot(snapshotOfUpdate(state, parties.shape), first)) ? first : undefined;
}

/** Waits until everyone agrees; on a timeout the error lists who holds which state. */
export async function waitForAgreement(parties: AgreementParties, timeoutMs: number, extraReport: () => string[] = () => []): Promise<DocumentSnapshot> {
  let reference: DocumentSnapshot | undefined;
  try {
    await eventually(async () => (reference = await agreedSnapshot(parties)) !== undefined, timeoutMs, 'every client and every node to hold the identical state');
  } catch (error) {
    throw new Error([(error as Error).message, ...(await divergenceReport(parties)), ...extraReport()].join('\n'));
  }
  if (reference === undefined) throw new Error('no agreed state');
  return reference;
}

/** Groups the parties by the state they hold (digest and content length), for a readable failure. */
export async function divergenceReport(parties: AgreementParties): Promise<string[]> {
  const held = parties.clients.map(({ name, doc }) => ({ name, snapshot: snapshotOfDoc(doc, parties.shape) }));
  for (const { name, url } of parties.nodes) {
    const state = await fetchNodeState(url, parties.docName, parties.token).catch(() => null);
    if (state !== null) held.push({ name, snapshot: snapshotOfUpdate(state, parties.shape) });
  }
  const groups = new Map<string, string[]>();
  for (const { name, snapshot } of held) {
    const digest = createHash('sha256').update(snapshot.stateVector).update(snapshot.content).digest('hex').slice(0, 12);
    const group = `state ${digest} (content ${snapshot.content.length} chars)`;
    groups.set(group, [...(groups.get(group) ?? []), name]);
  }
  return [...groups].map(([group, names]) => `${group}: ${names.join(', ')}`);
}
