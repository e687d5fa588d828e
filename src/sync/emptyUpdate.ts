/** A Yjs V1 update with no structs and no deletions (`[0, 0]`): nothing to store or relay. */
export function isEmptyUpdate(update: Uint8Array): boolean {
  return update.length === 2 && update[0] === 0 && update[1] === 0;
}
