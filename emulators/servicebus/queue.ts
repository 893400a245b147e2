/**
 * The queue model: ready lists per session (`''` when sessionless) in sequence order, peek-locks
 * with expiry deadlines, deferral, scheduling, duplicate detection, TTL and dead-lettering.
 * Session ownership lives in sessions.ts; this file only asks it whether a session lock is held.
 */
import { randomBytes } from 'crypto';
import { type BareMessage, lockTokenFromDeliveryTag, uuidString } from './codec';
import { type QueueSettings } from './config';
import { Deadlines } from './deadlines';
import { ReadyList } from './ready-list';
import { type AmqpError, errors } from './errors';
import { messageIdOf, stampMessageId, type StoredMessage, updateApplicationProperties } from './message';
import { SessionTable } from './sessions';

/** Delivery tags: a random per-process prefix plus a counter (cheaper than 16 random bytes per delivery). */
const TAG_PREFIX = randomBytes(8);
let tagCounter = 0;
function nextTag(): Buffer {
  const tag = Buffer.allocUnsafe(16);
  TAG_PREFIX.copy(tag, 0);
  const n = ++tagCounter;
  tag.writeUInt32BE(Math.floor(n / 0x100000000), 8);
  tag.writeUInt32BE(n >>> 0, 12);
  return tag;
}

/** A receiving link as the queue sees it. */
export interface Consumer {
  readonly receiveAndDelete: boolean;
  /** Session this receiver has accepted (session queues only). */
  sessionId: string | undefined;
  /** How many more messages the client can take now. */
  credit(): number;
  /** Sends one message; `tag` is the lock token's delivery tag (undefined in receiveAndDelete). */
  deliver(msg: StoredMessage, tag: Buffer | undefined): void;
  /** Detaches the link with an error (e.g. its session lock expired). */
  fail(error: AmqpError): void;
}

export type Outcome =
  | { kind: 'complete' }
  | { kind: 'abandon'; properties?: Record<string, unknown> }
  | { kind: 'defer'; properties?: Record<string, unknown> }
  | { kind: 'deadLetter'; reason?: string; description?: string; properties?: Record<string, unknown> };

interface Lock {
  msg: StoredMessage;
  /** The lock's own deadline; undefined for session messages, which live and die with the session lock. */
  expiresAt?: number;
}

export const SESSIONLESS = '';

export class Queue {
  readonly sessions: SessionTable;
  readonly consumers = new Set<Consumer>();
  private seq = 0;
  private readonly all = new Map<number, StoredMessage>();
  private readonly ready = new Map<string, ReadyList<StoredMessage>>();
  private readonly locks = new Map<string, Lock>();
  private readonly lockDeadlines = new Deadlines<string>((token, deadline) => this.lockExpired(token, deadline));
  /** Stored messages with a finite expiry: the background sweep has nothing to do while this is 0. */
  private expiring = 0;
  private readonly dedupe = new Map<string, number>();
  private readonly scheduled = new Map<number, NodeJS.Timeout>();
  private dispatchPending = false;
  private closed = false;

  constructor(
    readonly settings: QueueSettings,
    /** The dead-letter sub-queue; undefined for a dead-letter queue itself. */
    readonly dlq: Queue | undefined,
  ) {
    this.sessions = new SessionTable(this);
  }

  get name(): string {
    return this.settings.name;
  }

  /** Accepts one sent message. Returns an error for a message the entity refuses. */
  accept(bare: BareMessage, size: number, now = Date.now()): AmqpError | undefined {
    const sessionId = bare.decoded.group_id ?? undefined;
    if (this.settings.requiresSession && sessionId === undefined) return errors.sessionIdMissing();
    const window = this.settings.duplicateDetectionWindowMs;
    const sentId = messageIdOf(bare);
    if (window !== undefined && sentId !== undefined) {
      const until = this.dedupe.get(sentId);
      if (until !== undefined && until > now) return undefined; // duplicate: accepted and dropped, as the service does
      this.dedupe.set(sentId, now + window);
    }
    const scheduledFor = bare.annotations.get('x-opt-scheduled-enqueue-time')?.value;
    const at = scheduledFor instanceof Date ? scheduledFor.getTime() : typeof scheduledFor === 'number' ? scheduledFor : undefined;
    this.store(bare, size, sessionId, at !== undefined && at > now ? at : undefined, now);
    return undefined;
  }

  /** Schedules messages (management `schedule-message`); returns their sequence numbers. */
  schedule(items: { bare: BareMessage; size: number; at: number }[], now = Date.now()): number[] | AmqpError {
    for (const it of items) {
      if (this.settings.requiresSession && it.bare.decoded.group_id === undefined) return errors.sessionIdMissing();
    }
    return items.map((it) => this.store(it.bare, it.size, it.bare.decoded.group_id ?? undefined, Math.max(it.at, now), now).seq);
  }

  cancelScheduled(seqs: number[]): void {
    for (const seq of seqs) {
      const timer = this.scheduled.get(seq);
      if (!timer) continue;
      clearTimeout(timer);
      this.scheduled.delete(seq);
      const msg = this.all.get(seq);
      if (msg) this.forget(msg);
    }
  }

  private store(bare: BareMessage, size: number, sessionId: string | undefined, scheduledAt: number | undefined, now: number): StoredMessage {
    const msg: StoredMessage = {
      seq: ++this.seq,
      bare,
      messageId: stampMessageId(bare),
      sessionId,
      enqueuedAt: scheduledAt ?? now,
      expiresAt: Infinity,
      deliveryCount: 0,
      state: scheduledAt !== undefined ? 'scheduled' : 'active',
      scheduledAt,
      size,
    };
    const ttl = Math.min(bare.header.ttl ?? Infinity, this.settings.defaultTtlMs);
    msg.expiresAt = msg.enqueuedAt + ttl;
    // The service reports the effective time-to-live (the queue default when the sender set none).
    if (Number.isFinite(ttl) && ttl <= 0xffffffff) bare.header.ttl = ttl;
    if (Number.isFinite(msg.expiresAt)) this.expiring++;
    this.all.set(msg.seq, msg);
    if (scheduledAt !== undefined) {
      const timer = setTimeout(() => this.activateScheduled(msg), scheduledAt - now);
      timer.unref();
      this.scheduled.set(msg.seq, timer);
    } else {
      this.makeReady(msg);
    }
    return msg;
  }

  private activateScheduled(msg: StoredMessage): void {
    this.scheduled.delete(msg.seq);
    if (this.closed || !this.all.has(msg.seq)) return;
    msg.state = 'active';
    this.makeReady(msg);
  }

  /** Adds a message to the dead-letter queue keeping its sequence number (used by the parent queue). */
  adoptDeadLetter(msg: StoredMessage): void {
    this.seq = Math.max(this.seq, msg.seq);
    this.all.set(msg.seq, msg);
    this.makeReady(msg);
  }

  /** Inserts in sequence order, so an abandoned message goes back to its original place. */
  private makeReady(msg: StoredMessage): void {
    const key = msg.sessionId ?? SESSIONLESS;
    const keyForQueue = this.settings.requiresSession ? key : SESSIONLESS;
    let list = this.ready.get(keyForQueue);
    if (!list) this.ready.set(keyForQueue, (list = new ReadyList()));
    list.insert(msg);
    if (this.settings.requiresSession) this.sessions.messageAvailable(keyForQueue);
    this.scheduleDispatch();
  }

  /** Number of ready messages for a session (or all sessionless ones). */
  readyCount(key: string): number {
    return this.ready.get(key)?.length ?? 0;
  }

  /** Session ids with ready messages, oldest first message first. */
  sessionsWithMessages(): string[] {
    return [...this.ready.entries()]
      .filter(([, list]) => list.length > 0)
      .sort((a, b) => (a[1].first() as StoredMessage).seq - (b[1].first() as StoredMessage).seq)
      .map(([k]) => k);
  }

  scheduleDispatch(): void {
    if (this.dispatchPending || this.closed) return;
    this.dispatchPending = true;
    setImmediate(() => {
      this.dispatchPending = false;
      this.dispatch();
    });
  }

  private dispatch(now = Date.now()): void {
    for (const consumer of this.consumers) {
      let key = SESSIONLESS;
      if (this.settings.requiresSession) {
        if (consumer.sessionId === undefined || !this.sessions.isOwnedBy(consumer.sessionId, consumer)) continue;
        key = consumer.sessionId;
      }
      let credit = consumer.credit();
      while (credit > 0) {
        const msg = this.takeNext(key, now);
        if (!msg) break;
        this.deliverTo(consumer, msg, now);
        credit--;
      }
    }
  }

  private takeNext(key: string, now: number): StoredMessage | undefined {
    const list = this.ready.get(key);
    if (!list) return undefined;
    for (let msg = list.shift(); msg !== undefined; msg = list.shift()) {
      if (msg.expiresAt <= now) {
        this.expire(msg);
        continue;
      }
      return msg;
    }
    return undefined;
  }

  private deliverTo(consumer: Consumer, msg: StoredMessage, now: number): void {
    if (consumer.receiveAndDelete) {
      this.forget(msg);
      consumer.deliver(msg, undefined);
      return;
    }
    const tag = nextTag();
    this.lock(msg, lockTokenFromDeliveryTag(tag), now);
    consumer.deliver(msg, tag);
  }

  /** Locks a message under `token` (the string the SDK shows). Session messages share the session's lock. */
  lock(msg: StoredMessage, token: string, now = Date.now()): void {
    const lock: Lock = { msg };
    msg.lockToken = token;
    if (this.settings.requiresSession && msg.sessionId !== undefined) {
      msg.lockedUntil = this.sessions.lockedUntil(msg.sessionId) ?? now + this.settings.lockDurationMs;
    } else {
      msg.lockedUntil = lock.expiresAt = now + this.settings.lockDurationMs;
      this.lockDeadlines.add(token, lock.expiresAt);
    }
    this.locks.set(token, lock);
  }

  /** A lock deadline passed; entries left behind by a renewal or settlement no longer match and are ignored. */
  private lockExpired(token: string, deadline: number): void {
    const lock = this.locks.get(token);
    if (!lock || lock.expiresAt !== deadline) return;
    this.unlock(token, lock);
    this.redeliverLater(lock.msg);
  }

  private unlock(token: string, lock: Lock): void {
    this.locks.delete(token);
    lock.msg.lockToken = undefined;
    lock.msg.lockedUntil = undefined;
  }

  /** A delivery ended without settlement: count it, then dead-letter at MaxDeliveryCount or make it ready again. */
  private redeliverLater(msg: StoredMessage): void {
    msg.deliveryCount++;
    if (msg.deliveryCount >= this.settings.maxDeliveryCount) {
      this.deadLetter(msg, 'MaxDeliveryCountExceeded', `Message could not be consumed after ${this.settings.maxDeliveryCount} delivery attempts.`);
    } else if (msg.state === 'active') {
      this.makeReady(msg);
    }
  }

  /** Settles a locked message by lock token. */
  settle(token: string, outcome: Outcome): AmqpError | undefined {
    const lock = this.locks.get(token);
    if (!lock) return errors.messageLockLost();
    const { msg } = lock;
    if (msg.sessionId !== undefined && this.settings.requiresSession && !this.sessions.isLocked(msg.sessionId)) {
      return errors.sessionLockLost(msg.sessionId);
    }
    this.unlock(token, lock);
    switch (outcome.kind) {
      case 'complete':
        this.forget(msg);
        break;
      case 'abandon':
        updateApplicationProperties(msg, outcome.properties ?? {});
        if (msg.state === 'deferred') break; // a deferred message stays deferred
        this.redeliverLater(msg);
        break;
      case 'defer':
        updateApplicationProperties(msg, outcome.properties ?? {});
        msg.state = 'deferred';
        break;
      case 'deadLetter':
        updateApplicationProperties(msg, outcome.properties ?? {});
        this.deadLetter(msg, outcome.reason, outcome.description);
        break;
    }
    return undefined;
  }

  renewLock(token: string, now = Date.now()): number | AmqpError {
    const lock = this.locks.get(token);
    if (!lock || lock.expiresAt === undefined) return errors.messageLockLost();
    lock.msg.lockedUntil = lock.expiresAt = now + this.settings.lockDurationMs;
    this.lockDeadlines.add(token, lock.expiresAt);
    return lock.expiresAt;
  }

  /** Returns every message locked under a session to the queue (session closed or its lock expired). */
  releaseSessionMessages(sessionId: string): void {
    for (const [token, lock] of [...this.locks]) {
      if (lock.msg.sessionId !== sessionId) continue;
      this.unlock(token, lock);
      this.redeliverLater(lock.msg);
    }
  }

  refreshSessionLocks(sessionId: string, until: number): void {
    for (const lock of this.locks.values()) if (lock.msg.sessionId === sessionId) lock.msg.lockedUntil = until;
  }

  deadLetter(msg: StoredMessage, reason: string | undefined, description: string | undefined): void {
    this.forget(msg);
    this.removeFromReady(msg);
    if (!this.dlq) return; // a dead-letter queue has no dead-letter queue of its own
    const props: Record<string, unknown> = {};
    if (reason !== undefined) props.DeadLetterReason = reason;
    if (description !== undefined) props.DeadLetterErrorDescription = description;
    updateApplicationProperties(msg, props);
    msg.state = 'active';
    msg.deadLetterSource = this.name;
    msg.expiresAt = Infinity;
    this.dlq.adoptDeadLetter(msg);
  }

  /** Drops a message from the store (settled, expired, moved to the DLQ, received-and-deleted). */
  private forget(msg: StoredMessage): void {
    if (this.all.delete(msg.seq) && Number.isFinite(msg.expiresAt)) this.expiring--;
  }

  private removeFromReady(msg: StoredMessage): void {
    const list = this.ready.get(this.settings.requiresSession ? (msg.sessionId ?? SESSIONLESS) : SESSIONLESS);
    list?.remove(msg);
  }

  private expire(msg: StoredMessage): void {
    if (this.settings.deadLetterOnExpiry) this.deadLetter(msg, 'TTLExpiredException', 'The message expired and was dead lettered.');
    else this.forget(msg);
  }

  /** Moves expired ready messages out (the service purges in the background, not only on receive). */
  sweepExpired(now = Date.now()): void {
    if (this.expiring === 0) return;
    for (const list of this.ready.values()) {
      for (const msg of list.removeWhere((m) => m.expiresAt <= now)) this.expire(msg);
    }
  }

  /** Messages with sequence number >= `from`, in order (active, deferred and scheduled, as the service peeks). */
  peek(from: number, count: number, sessionId?: string): StoredMessage[] {
    const seqs = [...this.all.keys()].filter((s) => s >= from).sort((a, b) => a - b);
    const out: StoredMessage[] = [];
    for (const s of seqs) {
      const msg = this.all.get(s) as StoredMessage;
      if (sessionId !== undefined && msg.sessionId !== sessionId) continue;
      out.push(msg);
      if (out.length >= count) break;
    }
    return out;
  }

  /** Deferred messages by sequence number, locked (peekLock) or removed (receiveAndDelete). */
  receiveDeferred(seqs: number[], receiveAndDelete: boolean, sessionId?: string): { msg: StoredMessage; token?: Buffer }[] | AmqpError {
    const found: StoredMessage[] = [];
    for (const seq of seqs) {
      const msg = this.all.get(seq);
      if (!msg || msg.state !== 'deferred' || msg.lockToken !== undefined || (sessionId !== undefined && msg.sessionId !== sessionId)) {
        return errors.messageNotFound(seq);
      }
      found.push(msg);
    }
    return found.map((msg) => {
      if (receiveAndDelete) {
        this.forget(msg);
        return { msg };
      }
      const token = randomBytes(16);
      // Tokens inside a management response are plain uuids: the SDK does not reorder them.
      this.lock(msg, uuidString(token));
      return { msg, token };
    });
  }

  /** Counts for tests and `dvsync` output. */
  stats(): { active: number; scheduled: number; deferred: number; locked: number } {
    let scheduled = 0;
    let deferred = 0;
    for (const m of this.all.values()) {
      if (m.state === 'scheduled') scheduled++;
      else if (m.state === 'deferred') deferred++;
    }
    return { active: this.all.size - scheduled - deferred, scheduled, deferred, locked: this.locks.size };
  }

  close(): void {
    this.closed = true;
    this.lockDeadlines.close();
    for (const timer of this.scheduled.values()) clearTimeout(timer);
    this.sessions.close();
    this.dlq?.close();
  }
}
