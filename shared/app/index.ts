/** The composition root (see root.ts): the top of shared/, used by functions/ and cli/ only. */
export { AppRoot, type RootConfiguration, type RootOptions } from './root';
export type { RootOverrides, SharedParts } from './parts';
export { engineDependencies, workerDeadline, type EngineDoor } from './engine';
export { appRoot, closeAppRoot, closeIntakeRuntime, intakeRuntime } from './process';
export { buildWorkerEngine, createAppRoot, createIntakeRuntime, createSyncRuntime, type IntakeOverrides, type SyncOverrides } from './standalone';
export { operatorRoot } from './operators';
export { engineProblems, resetStartupConfiguration, startupConfiguration } from './startup';
