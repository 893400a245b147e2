/** Sync errors that retrying cannot fix (configuration or protocol): `transient: false` says so. */
export class SyncConfigError extends Error {
  override name = 'SyncConfigError';
  readonly transient = false;
}

export class SyncProtocolError extends Error {
  override name = 'SyncProtocolError';
  readonly transient = false;
}
