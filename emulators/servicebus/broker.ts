/** The namespace: queues by name (case-insensitive, like Service Bus) and AMQP address resolution. */
import { type QueueSettings } from './config';
import { Queue } from './queue';

export interface ResolvedAddress {
  queue: Queue;
  /** `<entity>/$management` rather than the entity itself. */
  management: boolean;
}

const DLQ_SUFFIX = '$deadletterqueue';

export class Broker {
  private readonly queues = new Map<string, Queue>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    settings: QueueSettings[],
    /** Create unknown queues on first use (off by default: the real service answers MessagingEntityNotFound). */
    private readonly autoCreateQueues: boolean,
  ) {
    for (const s of settings) this.addQueue(s);
    this.sweeper = setInterval(() => this.forEachQueue((q) => q.sweepExpired()), 1000);
    this.sweeper.unref();
  }

  addQueue(settings: QueueSettings): Queue {
    const dlq = new Queue(
      {
        name: `${settings.name}/$DeadLetterQueue`,
        requiresSession: false,
        duplicateDetectionWindowMs: undefined,
        maxDeliveryCount: Number.MAX_SAFE_INTEGER,
        lockDurationMs: settings.lockDurationMs,
        defaultTtlMs: Infinity,
        deadLetterOnExpiry: false,
      },
      undefined,
    );
    const queue = new Queue(settings, dlq);
    this.queues.set(settings.name.toLowerCase(), queue);
    return queue;
  }

  queue(name: string): Queue | undefined {
    return this.queues.get(name.toLowerCase());
  }

  /** Maps a link address (`q`, `q/$DeadLetterQueue`, `q/$management`, `sb://host/q`...) to its queue. */
  resolve(address: string | undefined): ResolvedAddress | undefined {
    if (!address) return undefined;
    const path = address.replace(/^(amqps?|sb):\/\/[^/]+\//i, '').replace(/^\/+/, '');
    const parts = path.split('/');
    let management = false;
    if (parts.length > 1 && parts[parts.length - 1].toLowerCase() === '$management') {
      management = true;
      parts.pop();
    }
    let deadLetter = false;
    if (parts.length > 1 && parts[parts.length - 1].toLowerCase() === DLQ_SUFFIX) {
      deadLetter = true;
      parts.pop();
    }
    if (parts.length !== 1 || !parts[0]) return undefined;
    let queue = this.queue(parts[0]);
    if (!queue && this.autoCreateQueues && !parts[0].startsWith('$')) {
      queue = this.addQueue({
        name: parts[0],
        requiresSession: false,
        duplicateDetectionWindowMs: undefined,
        maxDeliveryCount: 10,
        lockDurationMs: 60_000,
        defaultTtlMs: Infinity,
        deadLetterOnExpiry: false,
      });
    }
    if (!queue) return undefined;
    return { queue: deadLetter ? (queue.dlq as Queue) : queue, management };
  }

  forEachQueue(fn: (q: Queue) => void): void {
    for (const q of this.queues.values()) {
      fn(q);
      if (q.dlq) fn(q.dlq);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const q of this.queues.values()) q.close();
  }
}
