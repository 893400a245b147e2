/**
 * The engine's own failures (shared/model/failure.ts vocabulary). Failures of a sink call are
 * WriteFailure (./write-failure.ts), translated by the sink.
 */
import { Failure } from '../model/failure';

/** A routes/engine configuration mistake found when the engine is built (never at write time). */
export class EngineConfigError extends Error {
  override name = 'EngineConfigError';
}

/** A change that cannot be mapped to a target write; permanent (retrying gives the same result). */
export class MappingError extends Failure {
  override name = 'MappingError';
  constructor(
    readonly route: string,
    readonly column: string | undefined,
    message: string,
  ) {
    super('MappingError', 'never', `Route "${route}"${column ? `, column "${column}"` : ''}: ${message}`);
  }
}

/** The batch as a whole cannot proceed right now (storage down, Dataverse unreachable): the host redelivers it. */
export class BatchTransientError extends Failure {
  override name = 'BatchTransientError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('BatchTransient', 'redeliver', message, options);
  }
}

/** A `blobRef` names a blob that does not exist (deleted, or written to another account): permanent. */
export class BlobNotFoundError extends Failure {
  override name = 'BlobNotFoundError';
  constructor(message: string) {
    super('BlobMissing', 'never', message);
  }
}
