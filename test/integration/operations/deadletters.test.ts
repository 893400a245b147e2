/** Dead-letter list and resubmit against the Service Bus emulator with the real SDK. */
import { ServiceBusClient } from '@azure/service-bus';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../emulators/servicebus';
import { listDeadLetters, resubmitDeadLetters } from '../../../shared/operations/deadletters';

const QUEUE = 'ops-changes';
let sb: ServiceBusEmulator;
let client: ServiceBusClient;

beforeAll(async () => {
  sb = await startServiceBusEmulator({
    port: 0,
    queues: [{ name: QUEUE, requiresSession: true, requiresDuplicateDetection: true, duplicateDetectionHistoryTimeWindow: 'PT10M' }],
  });
  client = new ServiceBusClient(sb.connectionString, { retryOptions: { timeoutInMs: 2000, maxRetries: 0 } });
});
afterAll(async () => {
  await client?.close();
  await sb?.close();
});

async function deadLetterOne(messageId: string, session: string): Promise<void> {
  const sender = client.createSender(QUEUE);
  await sender.sendMessages({
    body: { route: 'accounts', values: { name: messageId } },
    messageId,
    sessionId: session,
    correlationId: `corr-${messageId}`,
    subject: 'accounts/Update',
    applicationProperties: { route: 'accounts', rowId: messageId },
  });
  await sender.close();
  const receiver = await client.acceptSession(QUEUE, session);
  const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
  await receiver.deadLetterMessage(m, { deadLetterReason: 'MappingError', deadLetterErrorDescription: `key column has no value (${messageId})` });
  await receiver.close();
}

describe('dead letters', () => {
  it('lists a dead-lettered message with its reason, description and delivery count; resubmit puts it back on the queue', async () => {
    await deadLetterOne('m-1', 'target-0001');
    const listed = await listDeadLetters(client, QUEUE, 10);
    expect(listed).toEqual([
      expect.objectContaining({
        messageId: 'm-1',
        sessionId: 'target-0001',
        reason: 'MappingError',
        description: 'key column has no value (m-1)',
        deliveryCount: expect.any(Number),
      }),
    ]);

    const dry = await resubmitDeadLetters(client, QUEUE, { max: 10, dryRun: true });
    expect(dry.resubmitted).toEqual([expect.objectContaining({ messageId: 'm-1', reason: 'MappingError' })]);
    expect(await listDeadLetters(client, QUEUE, 10)).toHaveLength(1); // a dry run moves nothing

    const report = await resubmitDeadLetters(client, QUEUE, { max: 10, waitMs: 500 });
    expect(report.resubmitted).toEqual([expect.objectContaining({ messageId: 'm-1', newMessageId: expect.stringMatching(/^m-1~dlq\d+$/) })]);
    expect(await listDeadLetters(client, QUEUE, 10)).toEqual([]);

    const receiver = await client.acceptSession(QUEUE, 'target-0001');
    const [again] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await receiver.completeMessage(again);
    await receiver.close();
    expect(again.body).toEqual({ route: 'accounts', values: { name: 'm-1' } });
    expect(again).toMatchObject({ sessionId: 'target-0001', correlationId: 'corr-m-1', subject: 'accounts/Update' });
    expect(again.applicationProperties).toEqual({ route: 'accounts', rowId: 'm-1' }); // without the broker's DeadLetterReason/Description
    expect(again.messageId).toBe(report.resubmitted[0].newMessageId);
  });

  it('resubmits at most --max messages and leaves the rest dead-lettered', async () => {
    await deadLetterOne('m-2', 'target-0002');
    await deadLetterOne('m-3', 'target-0003');
    const report = await resubmitDeadLetters(client, QUEUE, { max: 1, waitMs: 500 });
    expect(report.resubmitted).toHaveLength(1);
    const left = await listDeadLetters(client, QUEUE, 10);
    expect(left).toHaveLength(1);
    expect([report.resubmitted[0].messageId, left[0].messageId].sort()).toEqual(['m-2', 'm-3']);
  });
});
