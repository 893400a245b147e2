export * from './telemetry';
export * from './outcomes';
