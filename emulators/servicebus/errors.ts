/**
 * AMQP error conditions and descriptions the real service returns, and how the SDK maps them
 * (@azure/core-amqp `ConditionErrorNameMapper`, @azure/service-bus `wellKnownMessageCodesToServiceBusCodes`).
 */
export interface AmqpError {
  condition: string;
  description: string;
  /** Status code used when the error is a `$management` reply. */
  status: number;
}

const err = (condition: string, status: number, description: string): AmqpError => ({ condition, status, description });

export const errors = {
  /** core-amqp turns this description pattern into MessagingEntityNotFound. */
  entityNotFound: (address: string, port: number) =>
    err(
      'amqp:not-found',
      404,
      `The messaging entity 'sb://localhost:${port}/${address}' could not be found. To know more visit https://aka.ms/sbResourceMgrExceptions.`,
    ),
  /** SDK code MessageLockLost. */
  messageLockLost: () =>
    err(
      'com.microsoft:message-lock-lost',
      410,
      'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue, or was received by a different receiver instance.',
    ),
  sessionLockLost: (sessionId: string) =>
    err('com.microsoft:session-lock-lost', 410, `The session lock has expired on the MessageSession '${sessionId}'. Accept a new MessageSession.`),
  sessionCannotBeLocked: (sessionId: string) =>
    err('com.microsoft:session-cannot-be-locked', 410, `The requested session '${sessionId}' cannot be accepted. It may be locked by another receiver.`),
  noSessionAvailable: () =>
    err('com.microsoft:timeout', 408, 'The operation did not complete within the allotted timeout: no unlocked session with messages is available.'),
  /** The .NET SDK surfaces this as InvalidOperationException (amqp:not-allowed). */
  sessionIdMissing: () =>
    err(
      'amqp:not-allowed',
      400,
      'The SessionId was not set on a message, and it cannot be sent to the entity. Entities that have session support enabled can only receive messages that have the SessionId set to a valid value.',
    ),
  sessionlessReceiverOnSessionQueue: () =>
    err('amqp:not-allowed', 400, 'It is not possible for an entity that requires sessions to create a non-sessionful message receiver.'),
  sessionReceiverOnSessionlessQueue: () =>
    err('amqp:not-allowed', 400, 'It is not possible for an entity that does not require sessions to create a sessionful message receiver.'),
  /** SDK code MessageSizeExceeded. */
  messageTooLarge: (size: number, max: number) =>
    err('amqp:link:message-size-exceeded', 403, `The received message (size ${size} bytes) exceeds the limit (${max} bytes) currently allowed on the link.`),
  messageNotFound: (seq: number) =>
    err(
      'com.microsoft:message-not-found',
      404,
      `Failed to lock one or more specified messages. The message with sequence number ${seq} was not found or is not deferred.`,
    ),
  badRequest: (description: string) => err('amqp:invalid-field', 400, description),
  notImplemented: (what: string) => err('amqp:not-implemented', 501, `The Service Bus emulator does not support ${what}.`),
};
