type TypedArray = Uint8Array | Float64Array;

interface TypedArrayConstructor<T extends TypedArray> {
  new (length: number): T;
}

/**
 * A typed array indexed by seq that grows on write: per-update bookkeeping for ~10^5 updates
 * without a Map entry (and its garbage) per update. Reads past the end give 0.
 */
export class GrowableArray<T extends TypedArray> {
  private values: T;

  constructor(private readonly make: TypedArrayConstructor<T>) {
    this.values = new make(1024);
  }

  get(index: number): number {
    return index < this.values.length ? (this.values[index] as number) : 0;
  }

  set(index: number, value: number): void {
    if (index >= this.values.length) this.grow(index + 1);
    this.values[index] = value;
  }

  private grow(minimum: number): void {
    let length = this.values.length * 2;
    while (length < minimum) length *= 2;
    const next = new this.make(length);
    next.set(this.values);
    this.values = next;
  }
}
