/** Raises each client's clock in `clocks` to the one in `reach` where that is higher. */
export function raiseClocks(clocks: Map<number, number>, reach: ReadonlyMap<number, number>): void {
  for (const [client, clock] of reach) {
    if ((clocks.get(client) ?? 0) < clock) clocks.set(client, clock);
  }
}
