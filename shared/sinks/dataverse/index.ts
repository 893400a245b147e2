/** The Dataverse sink: writes (./sink.ts), source re-reads (./source-reader.ts), error translation (./failures.ts). */
export { DataverseSink, DEFAULT_BUDGET_MS, type DataverseSinkOptions, type PoolResolver } from './sink';
export { DataverseSourceReader } from './source-reader';
export { dataverseFailure, systemicCause } from './failures';
