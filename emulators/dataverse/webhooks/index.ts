/** Webhooks out of the Dataverse emulator: registrations through the Web API, RemoteExecutionContext delivery. */
export { webhookControl, handleWebhookOperator, type WebhookControl, type WebhookReport } from './operator';
export { webhookHandler } from './handler';
export { webhookTables } from './tables';
export { serializeRemoteExecutionContext, buildRemoteExecutionContext, type ExecutionContextInput } from './serialize';
export type { DeliveryAttempt, SystemJob } from './runner';
export type { WebhookOptionsInput } from './options';
