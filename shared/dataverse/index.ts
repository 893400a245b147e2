/** Public surface of the Dataverse Web API client. See README.md. */
export * from './auth';
export * from './batch';
export * from './bulk';
export * from './client';
export * from './errors';
export * from './keys';
export * from './meta';
export * from './metadata';
export * from './options';
export * from './query';
export * from './retry';
export * from './wire-json';
export { Transport, type HttpRequest, type HttpResponse } from './transport';
export * from './source-row';
