/**
 * Service Bus trigger data, shaped as a Node function sees it in Azure: the extension's binding data
 * (PascalCase keys, Azure/azure-sdk-for-net `ServiceBusTriggerStrategyTests.cs`; `…Array` keys in batch mode) passed through the Node library's
 * conversion: keys camel-cased (nested ones too), string values JSON-parsed when they parse (so a
 * numeric messageId arrives as a number: Azure/azure-functions-nodejs-library `src/converters/fromRpcTriggerMetadata.ts`). The message body gets the same treatment.
 */
import type { ServiceBusReceivedMessage } from '@azure/service-bus';

type Json = unknown;

/** The library's `tryJsonParse`: any valid JSON text is parsed, anything else stays a string. */
export function tryJsonParse(text: string): Json {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The handler's first argument for one message: the body bytes as UTF-8 text, JSON-parsed when it is JSON. */
export function hostBody(message: ServiceBusReceivedMessage): Json {
  const body: unknown = message.body;
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return tryJsonParse(Buffer.from(body).toString('utf8'));
  if (typeof body === 'string') return tryJsonParse(body);
  if (body === undefined || body === null) return '';
  // AMQP value/sequence sections: the host serializes them; the worker parses them back.
  return tryJsonParse(JSON.stringify(body));
}

/** The binding data of one message, PascalCase as the Service Bus extension produces it. */
function bindingData(m: ServiceBusReceivedMessage): Record<string, unknown> {
  return {
    // The JS SDK reports AMQP header.delivery-count (previous deliveries: 0 the first time); the host's
    // .NET SDK adds one for received messages, so a function sees 1 on its first attempt.
    DeliveryCount: (m.deliveryCount ?? 0) + 1,
    DeadLetterSource: m.deadLetterSource,
    LockToken: m.lockToken,
    ExpiresAtUtc: m.expiresAtUtc?.toISOString(),
    EnqueuedTimeUtc: m.enqueuedTimeUtc?.toISOString(),
    MessageId: m.messageId === undefined ? undefined : String(m.messageId),
    ContentType: m.contentType,
    ReplyTo: m.replyTo,
    SequenceNumber: m.sequenceNumber === undefined ? undefined : Number(m.sequenceNumber.toString()),
    To: m.to,
    Label: m.subject,
    CorrelationId: m.correlationId === undefined ? undefined : String(m.correlationId),
    SessionId: m.sessionId,
    ReplyToSessionId: m.replyToSessionId,
    PartitionKey: m.partitionKey,
    TransactionPartitionKey: undefined,
    ApplicationProperties: m.applicationProperties ?? {},
  };
}

export function singleTriggerMetadata(message: ServiceBusReceivedMessage): Record<string, Json> {
  return convert(withoutUndefined(bindingData(message)));
}

export function batchTriggerMetadata(messages: ServiceBusReceivedMessage[]): Record<string, Json> {
  const perMessage = messages.map(bindingData);
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(perMessage[0] ?? {})) {
    const arrayKey = key === 'Label' ? 'SubjectArray' : `${key}Array`;
    raw[arrayKey] = perMessage.map((d) => d[key] ?? null);
  }
  return convert(raw);
}

function withoutUndefined(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
}

/** fromRpcTriggerMetadata: camel-case each key, JSON-parse strings (element-wise in string collections). */
function convert(raw: Record<string, unknown>): Record<string, Json> {
  const result: Record<string, Json> = {};
  for (const [key, value] of Object.entries(raw)) result[camelKey(key)] = camelValue(parseStrings(value));
  return result;
}

function parseStrings(value: unknown): unknown {
  if (typeof value === 'string') return tryJsonParse(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? tryJsonParse(v) : v));
  return value;
}

function camelKey(key: string): string {
  return key.charAt(0).toLowerCase() + key.slice(1);
}

function camelValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Date || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map(camelValue);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [camelKey(k), camelValue(v)]));
}
