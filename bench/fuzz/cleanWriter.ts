import * as Y from 'yjs';
import { connectClient, destroyAll, eventually, waitForSync } from '../../test/helpers/yjsClient.js';

/**
 * A well-behaved stock y-websocket client editing one document of its own while the fuzz runs
 * next to it: the fuzz must neither disconnect it nor change what a fresh client receives.
 */
export class CleanWriter {
  /** Close codes the writer saw (none is the pass). */
  readonly closes: number[] = [];
  edits = 0;

  private constructor(
    private readonly client: ReturnType<typeof connectClient>,
    private readonly serverUrl: string,
    private readonly token: string,
    readonly docName: string,
  ) {
    client.provider.on('connection-close', (event) => this.closes.push(event?.code ?? -1));
  }

  static async connect(serverUrl: string, token: string, docName: string): Promise<CleanWriter> {
    const client = connectClient(serverUrl, docName, { token });
    try {
      await waitForSync(client.provider, 10_000);
    } catch (error) {
      destroyAll([client.provider]);
      throw error;
    }
    return new CleanWriter(client, serverUrl, token, docName);
  }

  /** One edit, labelled so the end check can count them. */
  edit(label: number): void {
    const text = this.client.doc.getText('t');
    text.insert(text.length, `edit ${label}; `);
    this.client.doc.getMap('m').set('last', label);
    this.edits++;
  }

  /**
   * A fresh stock client's copy of the document against the writer's: the same text, the same
   * map, the same state vector, every edit present. null when equal, else what differs.
   */
  async compareFreshClient(): Promise<string | null> {
    const fresh = connectClient(this.serverUrl, this.docName, { token: this.token });
    try {
      await waitForSync(fresh.provider, 10_000);
      const expected = this.client.doc.getText('t').toString();
      // The writer's last edits may still be on their way to the server.
      await eventually(() => fresh.doc.getText('t').toString() === expected, 10_000, 'the clean document').catch(() => undefined);
      const text = fresh.doc.getText('t').toString();
      if (text !== expected) return `text of ${text.length} characters, expected ${expected.length}`;
      const count = text.match(/edit \d+; /g)?.length ?? 0;
      if (count !== this.edits) return `${count} edits in the text, the writer made ${this.edits}`;
      if (fresh.doc.getMap('m').get('last') !== this.client.doc.getMap('m').get('last')) return 'map entry "last" differs';
      if (!Buffer.from(Y.encodeStateVector(fresh.doc)).equals(Buffer.from(Y.encodeStateVector(this.client.doc)))) return 'state vectors differ';
      return null;
    } finally {
      destroyAll([fresh.provider]);
    }
  }

  close(): void {
    destroyAll([this.client.provider]);
  }
}

/** Whether a fresh stock client still completes the sync handshake on a document (a fuzzed one). */
export async function syncsAfresh(serverUrl: string, token: string, docName: string): Promise<boolean> {
  const fresh = connectClient(serverUrl, docName, { token });
  try {
    await waitForSync(fresh.provider, 10_000);
    return true;
  } catch {
    return false;
  } finally {
    destroyAll([fresh.provider]);
  }
}
