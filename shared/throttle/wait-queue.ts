/**
 * A FIFO of callers waiting for a slot (a lane's, or the application-user pool's). Each waiter leaves
 * the queue exactly once: when it is granted a slot, when its AbortSignal fires, or when its deadline
 * passes (then it fails with what `onDeadline` returns, a RescheduleError: the caller reschedules the
 * work instead of sleeping past its time budget).
 */
import type { Clock } from './clock';

export interface QueuedWaiter<T> {
  grant(value: T): void;
  fail(error: unknown): void;
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Epoch ms. */
  deadline?: number;
  clock: Clock;
  onDeadline(): unknown;
}

/** Appends a waiter to `queue` (synchronously, so the caller may serve the queue right after). */
export function enqueueWaiter<T>(queue: QueuedWaiter<T>[], options: WaitOptions): Promise<T> {
  const { signal, deadline, clock } = options;
  return new Promise<T>((resolve, reject) => {
    let cancelDeadline: (() => void) | undefined;
    const leave = (): void => {
      signal?.removeEventListener('abort', onAbort);
      cancelDeadline?.();
      const at = queue.indexOf(waiter);
      if (at >= 0) queue.splice(at, 1);
    };
    const waiter: QueuedWaiter<T> = {
      grant: (value) => {
        leave();
        resolve(value);
      },
      fail: (error) => {
        leave();
        reject(error);
      },
    };
    const onAbort = (): void => waiter.fail(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (deadline !== undefined) cancelDeadline = clock.setTimer(() => waiter.fail(options.onDeadline()), deadline - clock.now());
    queue.push(waiter);
  });
}
