/** A fixed-size ring buffer: the newest `capacity` items, memory bounded however long it runs. */
export class Ring<T> {
  private readonly buf: (T | undefined)[];
  private head = 0; // next write
  private count = 0;

  constructor(readonly capacity: number) {
    this.buf = new Array(capacity);
  }

  push(item: T): void {
    this.buf[this.head] = item;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.buf.fill(undefined);
    this.head = 0;
    this.count = 0;
  }

  /** Up to `n` items, newest first. */
  newest(n = this.count): T[] {
    const k = Math.min(n, this.count);
    const out = new Array<T>(k);
    for (let i = 0; i < k; i++) out[i] = this.buf[(this.head - 1 - i + this.capacity * 2) % this.capacity] as T;
    return out;
  }
}
