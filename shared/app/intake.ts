/** The intake door (webhook, ingest, inbound): the configuration plus the root's publisher, large-message store and failures table. */
import type { FailureStorePort } from '../ledger/failures';
import { intakeRuntimeOf, type IntakeRuntime } from '../webhook/runtime';
import type { SharedParts } from './parts';

export function intakeOf(parts: SharedParts): IntakeRuntime {
  const { overrides } = parts;
  return intakeRuntimeOf(parts.configuration(), {
    publisher: parts.changePublisher(),
    largeMessages: parts.largeMessages(),
    failures: overrides.intakeFailures === null ? undefined : (overrides.intakeFailures ?? intakeFailures(parts)),
    ...(overrides.now ? { now: overrides.now } : {}),
  });
}

/** The failures table, reached on first use only: the webhook path never touches it. Absent without storage. */
function intakeFailures(parts: SharedParts): FailureStorePort | undefined {
  if (!parts.settings.storage.accountConnection) return undefined;
  return { record: (failures) => parts.failures().record(failures) };
}
