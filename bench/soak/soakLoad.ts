import { connectPooled } from '../shared/connectPool.js';
import type { RunningServer } from '../shared/serverUnderTest.js';
import { sumOf } from '../shared/windowCpu.js';
import { onAwareness } from '../shared/wireAwareness.js';
import { sleep } from '../shared/withDeadline.js';
import { YjsWireClient } from '../shared/yjsWireClient.js';
import type { SoakMeter } from './soakMeter.js';
import type { SoakPlan } from './soakPlan.js';
import { addTally, emptyTally, SoakReceiver, type DeliveryTally } from './soakReceiver.js';
import { SoakWriter } from './soakWriter.js';

/**
 * Where one editor's connection is: `online` sends and receives; `leaving` has stopped sending
 * and waits for what is on its way before it closes; `away` is closed until it reconnects;
 * `cut` was closed by the server (the run fails) and stays closed.
 */
export type ConnectionPhase = 'online' | 'leaving' | 'away' | 'cut';

/** Whether the editor has a socket open (it may be draining before it leaves). */
export function isOpen(connection: SoakConnection): boolean {
  return connection.phase === 'online' || connection.phase === 'leaving';
}

/** One editor: the same Yjs client for the whole run, a socket and receiver per time it connects. */
export interface SoakConnection {
  readonly writer: SoakWriter;
  readonly doc: number;
  phase: ConnectionPhase;
  socket: YjsWireClient | null;
  receiver: SoakReceiver | null;
  /** A new awareness client id per connect, as a reloaded page gets: a state left behind shows. */
  awarenessClientId: number;
  awarenessClock: number;
  nextUpdateAt: number;
  nextAwarenessAt: number;
}

/** In flight at once while the load is set up (the pace the peer benchmark connects at). */
const setupConcurrency = 64;
/** How long a leaving editor waits for updates on their way; the rest counts as missing. */
const leaveDrainMs = 5_000;
/** How long, at the end, every socket may take to receive the last updates. */
const finalDrainMs = 15_000;

/**
 * The soak's 2,000 editors: connects them, churns them (leave, stay away, come back) and keeps
 * the delivery tally of every socket that has closed, so `finish` can add the open ones.
 */
export class SoakLoad {
  readonly docNames: string[];
  readonly connections: SoakConnection[];
  private readonly closedTally = emptyTally();
  private awarenessIds = 0;
  /** Reconnects done, sockets the server closed, reconnects that failed (the last two fail the run). */
  churned = 0;
  cuts = 0;
  failedReconnects = 0;
  firstFailure: string | null = null;

  constructor(
    private readonly server: RunningServer,
    private readonly plan: SoakPlan,
    private readonly meter: SoakMeter,
    namePrefix: string,
  ) {
    this.docNames = Array.from({ length: plan.docs }, (_, doc) => `${namePrefix}-${doc}`);
    this.connections = Array.from({ length: plan.docs * plan.connectionsPerDoc }, (_, writer) => ({
      writer: new SoakWriter(writer),
      doc: Math.floor(writer / plan.connectionsPerDoc),
      phase: 'away' as ConnectionPhase,
      socket: null,
      receiver: null,
      awarenessClientId: 0,
      awarenessClock: 0,
      nextUpdateAt: Infinity,
      nextAwarenessAt: Infinity,
    }));
  }

  /** Every editor connected; the first that fails stops the setup (the caller closes the rest). */
  async connectAll(): Promise<void> {
    await connectPooled(
      this.connections.map((connection) => () => this.join(connection)),
      setupConcurrency,
    );
  }

  /** The editors of a document, by slot. */
  editorsOf(doc: number): SoakConnection[] {
    const first = doc * this.plan.connectionsPerDoc;
    return this.connections.slice(first, first + this.plan.connectionsPerDoc);
  }

  /** Sockets open on the generator's side (online or draining before they leave). */
  get openConnections(): number {
    return this.connections.filter(isOpen).length;
  }

  get updatesSent(): number {
    return sumOf(this.connections, (connection) => connection.writer.sent);
  }

  /** Leave (after what is on its way arrived), stay away a moment, come back on a new socket. */
  async churn(connection: SoakConnection): Promise<void> {
    connection.phase = 'leaving';
    const endSeq = this.sentSoFar();
    await this.drain([connection], endSeq, leaveDrainMs);
    // The server may have closed it meanwhile (then it is `cut` and stays so).
    if (connection.phase !== 'leaving') return;
    this.closeSocket(connection, 'away', endSeq);
    await sleep(this.plan.churnAwayMs);
    try {
      await this.join(connection);
      this.churned++;
    } catch (error) {
      this.failedReconnects++;
      this.firstFailure ??= `reconnect of editor ${connection.writer.writer}: ${error instanceof Error ? error.message : String(error)}`;
      connection.phase = 'cut';
    }
  }

  /** A socket the server closed: its tally so far is kept, and it does not come back. */
  noteCut(connection: SoakConnection): void {
    this.cuts++;
    this.firstFailure ??= `the server closed editor ${connection.writer.writer}'s socket`;
    this.closeSocket(connection, 'cut', this.sentSoFar());
  }

  /** Once nothing is sent any more: waits until every open socket holds every update, then tallies all. */
  async finish(): Promise<DeliveryTally> {
    const open = this.connections.filter(isOpen);
    const endSeq = this.sentSoFar();
    await this.drain(open, endSeq, finalDrainMs);
    const total = { ...this.closedTally };
    for (const connection of open) if (connection.receiver) addTally(total, connection.receiver.finish(endSeq));
    return total;
  }

  closeAll(): void {
    for (const connection of this.connections) if (connection.socket) connection.socket.close();
  }

  /** What every editor has sent until now, as the end of the range a socket must hold. */
  private sentSoFar(): (writer: number) => number {
    const sent = this.connections.map((connection) => connection.writer.sent);
    return (writer) => sent[writer];
  }

  private readonly sentAtOf = (writer: number, seq: number): number => this.connections[writer].writer.sentAtOf(seq);

  /** Connects (or reconnects) an editor; what its editors had sent so far arrives by sync step 2. */
  private async join(connection: SoakConnection): Promise<void> {
    const editors = this.editorsOf(connection.doc);
    const place = { firstWriter: editors[0].writer.writer, writersPerDoc: editors.length, ownWriter: connection.writer.writer };
    const receiver = new SoakReceiver(
      place,
      editors.map((editor) => editor.writer.sent),
      this.meter,
    );
    const socket = await YjsWireClient.connect({
      serverUrl: this.server.writerUrl,
      docName: this.docNames[connection.doc],
      token: this.server.token,
      dialect: this.server.dialect,
      answerStep1: (stateVector) => connection.writer.missingFor(stateVector),
      onUpdate: (update, receivedAt) => receiver.record(update, receivedAt, this.sentAtOf),
    });
    receiver.goLive();
    onAwareness(socket, () => this.meter.awareness());
    connection.writer.attach(socket);
    connection.socket = socket;
    connection.receiver = receiver;
    connection.awarenessClientId = 4_000_000 + this.awarenessIds++;
    connection.awarenessClock = 0;
    connection.phase = 'online';
  }

  private closeSocket(connection: SoakConnection, phase: 'away' | 'cut', endSeq: (writer: number) => number): void {
    if (connection.receiver) addTally(this.closedTally, connection.receiver.finish(endSeq));
    connection.socket?.close();
    connection.socket = null;
    connection.receiver = null;
    connection.phase = phase;
  }

  private async drain(connections: readonly SoakConnection[], endSeq: (writer: number) => number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const waiting = () => connections.some((connection) => connection.receiver !== null && !connection.receiver.holdsAll(endSeq));
    while (waiting() && Date.now() < deadline) await sleep(20);
  }
}
