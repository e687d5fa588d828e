/** A bad command line: printed as one line with the usage, no stack, exit 2 (see runBenchmark). */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

/**
 * Runs a flag parser (node's strict `parseArgs` and the checks after it) so that what it throws
 * (an unknown flag, `--help`, a missing or bad value) becomes a usage message naming the flag,
 * not a TypeError's stack.
 */
export function parsedWithUsage<T>(usage: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new BenchUsageError(`${error instanceof Error ? error.message : String(error)}; ${usage}`);
  }
}
