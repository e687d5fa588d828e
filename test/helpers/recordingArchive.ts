import type { DocumentArchive } from '../../src/archive/documentArchive.js';

/** A real archive, with every write recorded (when, which document, by which node) for assertions. */
export class RecordingArchive implements DocumentArchive {
  readonly puts: { docKey: string; at: number; bytes: number }[] = [];
  /** Puts wait on this while held (holdPuts): a write in flight, for races. */
  private gate: Promise<void> | null = null;
  /** How many puts wait on the gate now. */
  waiting = 0;

  constructor(
    private readonly inner: DocumentArchive,
    /** Shared with other recorders (the order of calls across parts). */
    private readonly calls: string[] = [],
  ) {}

  get kind(): string {
    return this.inner.kind;
  }

  putsOf(docKey: string): number {
    return this.puts.filter((put) => put.docKey === docKey).length;
  }

  get(docKey: string): Promise<Uint8Array | null> {
    return this.inner.get(docKey);
  }

  /** Holds every put until the returned function is called. */
  holdPuts(): () => void {
    let release!: () => void;
    this.gate = new Promise((resolve) => (release = resolve));
    return () => {
      this.gate = null;
      release();
    };
  }

  async put(docKey: string, state: Uint8Array): Promise<void> {
    this.calls.push(`archive ${docKey}`);
    if (this.gate) {
      this.waiting += 1;
      await this.gate;
      this.waiting -= 1;
    }
    await this.inner.put(docKey, state);
    this.puts.push({ docKey, at: Date.now(), bytes: state.byteLength });
  }

  delete(docKey: string): Promise<boolean> {
    return this.inner.delete(docKey);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  /** The inner archive is the test's to close. */
  async close(): Promise<void> {}
}
