/** Public API of the import core (see README.md). */
export { runImport, versionOf, ImportAbortedError, type ImportDeps, type ImportPosition, type CheckpointStore } from './runner';
export { parseImportOptions, ImportConfigError, type ImportOptions, type ImportOptionsInput } from './options';
export { applyChunk, InMemoryRescheduler, type ChangeApplier, type ChunkTally } from './apply';
export { readRecords, readCsv, readJsonLines, type RawRecord } from './readers';
export { RecordValidator } from './validate';
export { fileIdentity, type FileIdentity } from './identity';
export { formatReport, type ImportReport, type ImportCounts } from './report';
export { createProgress, type ProgressSink } from './progress';
export { loadImportConfiguration, IMPORT_ENGINE_RETRY } from './wiring';
