/**
 * Runs connects with at most `concurrency` in flight. A load is set up at a pace the server's
 * accept queue takes (the connect storm is the scenario that tests a burst, not every setup).
 * Waits for every started connect (none is left half-open behind a failure), then throws the
 * first error; the caller closes whatever did connect.
 */
export async function connectPooled(connects: readonly (() => Promise<void>)[], concurrency: number): Promise<void> {
  let nextIndex = 0;
  let firstError: unknown = null;
  const lane = async () => {
    while (nextIndex < connects.length && firstError === null) {
      const connect = connects[nextIndex++];
      try {
        await connect();
      } catch (error) {
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, connects.length) }, lane));
  if (firstError !== null) throw firstError;
}
