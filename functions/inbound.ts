/**
 * Service Bus trigger on dvsync-inbound (DVSYNC_INBOUND_QUEUE): `{route, record | records}` → ChangeMessages.
 * An invalid message throws InvalidInboundMessageError: the host abandons it, and after the queue's
 * maxDeliveryCount Service Bus dead-letters it (reason MaxDeliveryCountExceeded); the specific reason is
 * in the logged exception with the messageId. Transient failures (queue down) also throw and are redelivered.
 */
import type { InvocationContext } from '@azure/functions';
import { contextTelemetry } from '../shared/telemetry/telemetry';
import { handleInbound, InvalidInboundMessageError } from '../shared/webhook/ingest';
import { intakeRuntime, type IntakeRuntime } from '../shared/webhook/runtime';
import { serviceBusQueueFunction } from './definition';

export function createInboundHandler(runtime: () => Promise<IntakeRuntime>) {
  return async (message: unknown, context: InvocationContext): Promise<void> => {
    const telemetry = contextTelemetry(context);
    const messageId = String(context.triggerMetadata?.messageId ?? '');
    try {
      const n = await handleInbound(await runtime(), typeof message === 'string' ? JSON.parse(message) : message);
      telemetry.count('inbound.accepted', { messageId }, n);
    } catch (e) {
      if (e instanceof InvalidInboundMessageError) telemetry.count('inbound.invalid', { messageId, reason: e.message });
      if (e instanceof SyntaxError) throw new InvalidInboundMessageError(`The inbound message is not JSON: ${e.message}`);
      throw e;
    }
  };
}

export const inbound = serviceBusQueueFunction('inbound', {
  connection: 'ServiceBusConnection',
  // Read at registration: the host needs a literal name (the same default as shared/config/settings.ts).
  queueName: process.env.DVSYNC_INBOUND_QUEUE?.trim() || 'dvsync-inbound',
  handler: createInboundHandler(intakeRuntime),
});
