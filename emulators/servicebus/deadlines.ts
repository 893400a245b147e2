/**
 * Lock deadlines for one queue on a single timer. Every lock of a queue lasts the same
 * `lockDuration`, so deadlines arrive in the order they expire: a FIFO with one timer armed for the
 * head replaces one `setTimeout` per locked message. A renewed or settled lock leaves its old entry
 * behind; `fire` gets the deadline it was added with, so the owner can tell a stale entry apart.
 */
const COMPACT_AFTER = 1024;

export class Deadlines<K> {
  private keys: (K | undefined)[] = [];
  private times: number[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private closed = false;

  constructor(private readonly fire: (key: K, deadline: number) => void) {}

  /**
   * Adds a deadline (ms since epoch). One earlier than the last added one (a wall-clock step back)
   * fires with its successors, no earlier than they do.
   */
  add(key: K, deadline: number): void {
    if (this.closed) return;
    this.keys.push(key);
    this.times.push(deadline);
    if (!this.timer && !this.running) this.arm();
  }

  get pending(): number {
    return this.keys.length - this.head;
  }

  private arm(): void {
    if (this.head >= this.keys.length || this.closed) return;
    this.timer = setTimeout(() => this.run(), Math.max(0, this.times[this.head] - Date.now()));
    this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    this.running = true;
    try {
      const now = Date.now();
      while (this.head < this.keys.length && this.times[this.head] <= now && !this.closed) {
        const key = this.keys[this.head] as K;
        const deadline = this.times[this.head];
        this.keys[this.head] = undefined;
        this.head++;
        this.fire(key, deadline);
      }
      if (this.head === this.keys.length) {
        this.keys = [];
        this.times = [];
        this.head = 0;
      } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.keys.length) {
        this.keys = this.keys.slice(this.head);
        this.times = this.times.slice(this.head);
        this.head = 0;
      }
    } finally {
      this.running = false;
      this.arm();
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
