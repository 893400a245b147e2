/** The incremental-sync door (the timer function, `dvsync sync`): the root's publisher, checkpoints, pools and large-message store. */
import { SyncRuntime } from '../sync/runtime';
import type { SharedParts } from './parts';

/** `close`: what closing the runtime closes (its own root); a runtime of a shared root closes nothing. */
export function syncOf(parts: SharedParts, close?: () => Promise<void>): SyncRuntime {
  const { overrides } = parts;
  return new SyncRuntime(parts.configuration(), {
    publisher: parts.changePublisher(),
    checkpoints: overrides.syncCheckpoints ?? parts.checkpoints(),
    source:
      overrides.changeSource ??
      ((environment) => {
        const pool = parts.pools()(environment);
        // One client per pass: a delta read is a chain of pages on one connection; the lane still sees every response.
        return pool.clientOf(pool.pick());
      }),
    largeMessages: parts.largeMessages(),
    ...(close ? { close } : {}),
  });
}
