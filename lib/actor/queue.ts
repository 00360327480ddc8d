/**
 * A growable ring buffer: O(1) push and shift without the re-indexing cost that
 * `Array.prototype.shift` pays on large arrays. Mailboxes live on this hot path.
 */
export class Queue<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;
  private mask: number;

  constructor(initialCapacity = 16) {
    let capacity = 4;
    while (capacity < initialCapacity) capacity <<= 1;
    this.items = new Array<T | undefined>(capacity);
    this.mask = capacity - 1;
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & this.mask] = item;
    this.count++;
  }

  /** Removes and returns the oldest item; the caller checks `length` first. */
  shift(): T {
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    return item;
  }

  /** The oldest item without removing it; the caller checks `length` first. */
  peek(): T {
    return this.items[this.head] as T;
  }

  /** Keeps only the items for which `keep` is true, in order. */
  retain(keep: (item: T) => boolean): void {
    const n = this.count;
    for (let i = 0; i < n; i++) {
      const item = this.shift();
      if (keep(item)) this.push(item);
    }
  }

  /** Empties the queue, handing each item to `sink` in order. */
  drainTo(sink: (item: T) => void): void {
    while (this.count > 0) sink(this.shift());
  }

  private grow(): void {
    const old = this.items;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & this.mask];
    this.items = next;
    this.head = 0;
    this.mask = next.length - 1;
  }
}
