/**
 * Counts the log lines the serve child prints during a run (serveProcess.ts forwards them to
 * our stderr as `serve log: {json}`; serve runs at --log-level warn, so each is a warning or an
 * error). A server bug the fuzz provokes may be caught and logged rather than close a socket
 * (e.g. "a validated update failed to apply"), so the run reports them; after the first few,
 * lines are only counted, so a flood cannot drown the summary.
 */
export class ServeLogTally {
  /** Lines by message, e.g. `error: a validated update failed to apply; not relayed`. */
  readonly byMessage = new Map<string, number>();
  total = 0;
  private readonly write = process.stderr.write.bind(process.stderr);

  constructor(private readonly shownLines: number) {
    const prefix = 'serve log: ';
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (!text.startsWith(prefix)) return (this.write as (...args: unknown[]) => boolean)(chunk, ...rest);
      this.total++;
      const key = describe(text.slice(prefix.length));
      this.byMessage.set(key, (this.byMessage.get(key) ?? 0) + 1);
      if (this.total <= this.shownLines) return this.write(text);
      if (this.total === this.shownLines + 1) this.write(`(further serve log lines are only counted)\n`);
      return true;
    }) as typeof process.stderr.write;
  }

  /** Puts stderr back as it was. */
  stop(): void {
    process.stderr.write = this.write;
  }
}

const levelNames: Readonly<Record<number, string>> = { 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** A pino JSON line as `level: message` (the line itself when it is not JSON). */
function describe(line: string): string {
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string };
    return `${levelNames[entry.level ?? 0] ?? `level ${entry.level}`}: ${entry.msg ?? '(no message)'}`;
  } catch {
    return line.trim().slice(0, 200);
  }
}
