/**
 * Service Bus trigger on dvsync-inbound (DVSYNC_INBOUND_QUEUE): `{route, record | records}` → ChangeMessages.
 * Translation only; the core is shared/webhook/inbound.ts. A message that can never succeed is recorded in
 * the `failures` table with its reason and completed (the function returns); a transient failure, or a
 * rejection that could not be recorded, throws: the host abandons the message, Service Bus redelivers it and
 * dead-letters it at maxDeliveryCount.
 */
import type { InvocationContext } from '@azure/functions';
import { queueNamesFrom } from '../shared/config/settings';
import { contextTelemetry } from '../shared/telemetry/telemetry';
import { processInboundMessage } from '../shared/webhook/inbound';
import { intakeRuntime } from '../shared/app';
import type { IntakeRuntime } from '../shared/webhook/runtime';
import { serviceBusQueueFunction } from './definition';

export function createInboundHandler(runtime: () => Promise<IntakeRuntime>) {
  return async (message: unknown, context: InvocationContext): Promise<void> => {
    const meta = context.triggerMetadata ?? {};
    // The library JSON-parses metadata strings, so a digits-only id arrives as a number.
    const messageId = meta.messageId === undefined || meta.messageId === null ? '' : String(meta.messageId);
    const deliveryCount = typeof meta.deliveryCount === 'number' ? meta.deliveryCount : undefined;
    const outcome = await processInboundMessage(await runtime(), message, { messageId, deliveryCount }, contextTelemetry(context));
    if (outcome.status === 'rejected')
      context.warn(`inbound: message ${messageId} refused (${outcome.code}) and recorded in the failures table: ${outcome.detail}`);
  };
}

export const inbound = serviceBusQueueFunction('inbound', {
  connection: 'ServiceBusConnection',
  // Read at registration: the host needs a literal name.
  queueName: queueNamesFrom(process.env).inbound,
  handler: createInboundHandler(intakeRuntime),
});
