export * from './telemetry';
export * from './outcomes';
export * from './scope';
