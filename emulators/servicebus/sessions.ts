/**
 * Session locks and state for one session-enabled queue: accept a named session, accept the next
 * available one (waiting up to the client's timeout), renew, expire, release on detach.
 */
import { type AmqpError, errors } from './errors';
import type { Consumer, Queue } from './queue';

interface SessionRecord {
  id: string;
  state: Buffer | null;
  owner: Consumer | undefined;
  lockedUntil: number;
  timer?: NodeJS.Timeout;
}

interface Waiter {
  consumer: Consumer;
  done: (result: { sessionId: string; lockedUntil: number } | AmqpError) => void;
  timer: NodeJS.Timeout;
}

export class SessionTable {
  private readonly records = new Map<string, SessionRecord>();
  private waiters: Waiter[] = [];

  constructor(private readonly queue: Queue) {}

  private record(id: string): SessionRecord {
    let r = this.records.get(id);
    if (!r) this.records.set(id, (r = { id, state: null, owner: undefined, lockedUntil: 0 }));
    return r;
  }

  /**
   * Locks `requested` for `consumer`, or (requested null) the session whose oldest ready message
   * is oldest; with none available, waits up to `timeoutMs` for one to appear.
   */
  acquire(
    consumer: Consumer,
    requested: string | null,
    timeoutMs: number,
    done: (result: { sessionId: string; lockedUntil: number } | AmqpError) => void,
  ): void {
    if (requested !== null) {
      const r = this.record(requested);
      if (r.owner) return done(errors.sessionCannotBeLocked(requested));
      return done({ sessionId: requested, lockedUntil: this.lockFor(r, consumer) });
    }
    const free = this.queue.sessionsWithMessages().find((id) => !this.records.get(id)?.owner);
    if (free !== undefined) return done({ sessionId: free, lockedUntil: this.lockFor(this.record(free), consumer) });
    const waiter: Waiter = {
      consumer,
      done,
      timer: setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        done(errors.noSessionAvailable());
      }, timeoutMs),
    };
    waiter.timer.unref();
    this.waiters.push(waiter);
  }

  /** Called when a session gets a ready message: hands it to a waiting acceptNextSession. */
  messageAvailable(sessionId: string): void {
    if (this.waiters.length === 0 || this.records.get(sessionId)?.owner) return;
    const waiter = this.waiters.shift() as Waiter;
    clearTimeout(waiter.timer);
    waiter.done({ sessionId, lockedUntil: this.lockFor(this.record(sessionId), waiter.consumer) });
  }

  /** Drops a waiting acceptNextSession whose link went away. */
  cancelWait(consumer: Consumer): void {
    for (const w of this.waiters.filter((x) => x.consumer === consumer)) clearTimeout(w.timer);
    this.waiters = this.waiters.filter((w) => w.consumer !== consumer);
  }

  private lockFor(r: SessionRecord, consumer: Consumer): number {
    r.owner = consumer;
    consumer.sessionId = r.id;
    this.armLock(r);
    return r.lockedUntil;
  }

  private armLock(r: SessionRecord): void {
    if (r.timer) clearTimeout(r.timer);
    r.lockedUntil = Date.now() + this.queue.settings.lockDurationMs;
    r.timer = setTimeout(() => this.expire(r), this.queue.settings.lockDurationMs);
    r.timer.unref();
    this.queue.refreshSessionLocks(r.id, r.lockedUntil);
  }

  private expire(r: SessionRecord): void {
    const owner = r.owner;
    this.release(r);
    owner?.fail(errors.sessionLockLost(r.id));
  }

  private release(r: SessionRecord): void {
    if (r.timer) clearTimeout(r.timer);
    r.timer = undefined;
    r.owner = undefined;
    this.queue.releaseSessionMessages(r.id);
    if (this.queue.readyCount(r.id) > 0) this.messageAvailable(r.id);
  }

  /** The receiver's link closed: its session becomes available again. */
  releaseOwner(consumer: Consumer): void {
    this.cancelWait(consumer);
    for (const r of this.records.values()) if (r.owner === consumer) this.release(r);
  }

  isOwnedBy(sessionId: string, consumer: Consumer): boolean {
    return this.records.get(sessionId)?.owner === consumer;
  }

  isLocked(sessionId: string): boolean {
    return this.records.get(sessionId)?.owner !== undefined;
  }

  lockedUntil(sessionId: string): number | undefined {
    const r = this.records.get(sessionId);
    return r?.owner ? r.lockedUntil : undefined;
  }

  renew(sessionId: string): number | AmqpError {
    const r = this.records.get(sessionId);
    if (!r?.owner) return errors.sessionLockLost(sessionId);
    this.armLock(r);
    return r.lockedUntil;
  }

  getState(sessionId: string): Buffer | null | AmqpError {
    const r = this.records.get(sessionId);
    if (!r?.owner) return errors.sessionLockLost(sessionId);
    return r.state;
  }

  setState(sessionId: string, state: Buffer | null): AmqpError | undefined {
    const r = this.records.get(sessionId);
    if (!r?.owner) return errors.sessionLockLost(sessionId);
    r.state = state;
    return undefined;
  }

  /** Session ids with messages or state (management `get-message-sessions`). */
  list(): string[] {
    const ids = new Set(this.queue.sessionsWithMessages());
    for (const r of this.records.values()) if (r.state !== null) ids.add(r.id);
    return [...ids];
  }

  close(): void {
    for (const r of this.records.values()) if (r.timer) clearTimeout(r.timer);
    for (const w of this.waiters) clearTimeout(w.timer);
    this.waiters = [];
  }
}
