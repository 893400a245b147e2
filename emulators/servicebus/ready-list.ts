/**
 * Messages ready for delivery in sequence order. Taking from the front is O(1) (a head index, not
 * `Array.shift()`, which copies the whole backlog each time); an abandoned message is inserted back
 * at its sequence position by binary search.
 */
export interface Sequenced {
  seq: number;
}

/** Compact once the consumed prefix is this long and at least half the array. */
const COMPACT_AFTER = 1024;

export class ReadyList<T extends Sequenced> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  first(): T | undefined {
    return this.items[this.head];
  }

  /** Inserts in sequence order (appending is the common case). */
  insert(item: T): void {
    const items = this.items;
    if (items.length === this.head || (items[items.length - 1] as T).seq < item.seq) {
      items.push(item);
      return;
    }
    let lo = this.head;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((items[mid] as T).seq < item.seq) lo = mid + 1;
      else hi = mid;
    }
    items.splice(lo, 0, item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  remove(item: T): boolean {
    const i = this.items.indexOf(item, this.head);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }

  /** Removes and returns every item matching `predicate`, keeping the others in order. */
  removeWhere(predicate: (item: T) => boolean): T[] {
    const kept: T[] = [];
    const removed: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i] as T;
      (predicate(item) ? removed : kept).push(item);
    }
    if (removed.length > 0) {
      this.items = kept;
      this.head = 0;
    }
    return removed;
  }
}
