/** Public surface of the throttle controller. See shared/throttle/README.md. */
export * from './clock';
export * from './errors';
export * from './lane';
export * from './options';
export * from './pool';
export * from './run';
export * from './environment';
