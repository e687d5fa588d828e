/**
 * Whether a parsed JSON value nests arrays and objects deeper than `maxDepth` (a bare object or
 * array is depth 1). Walks with its own stack, so a hostile depth cannot overflow the call stack
 * here either; stops at the first value past the limit.
 */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: object[] = [];
  const depths: number[] = [];
  if (value !== null && typeof value === 'object') {
    pending.push(value);
    depths.push(1);
  }
  while (pending.length > 0) {
    const current = pending.pop()!;
    const depth = depths.pop()!;
    if (depth > maxDepth) return true;
    for (const child of Object.values(current)) {
      if (child === null || typeof child !== 'object') continue;
      pending.push(child as object);
      depths.push(depth + 1);
    }
  }
  return false;
}
