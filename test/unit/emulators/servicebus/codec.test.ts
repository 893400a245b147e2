import {
  amqpMessage,
  BATCH_FORMAT,
  dotnetTicks,
  lockTokenFromDeliveryTag,
  parseBareMessage,
  readApplicationProperties,
  splitBatch,
  types,
  uuidString,
} from '../../../../emulators/servicebus/codec';
import { encodeDelivery } from '../../../../emulators/servicebus/delivery';

test('lock tokens from delivery tags use .NET Guid byte order (first three fields reversed)', () => {
  const tag = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  expect(lockTokenFromDeliveryTag(tag)).toBe('33221100-5544-7766-8899-aabbccddeeff');
  expect(uuidString(tag)).toBe('00112233-4455-6677-8899-aabbccddeeff');
  expect(tag.toString('hex')).toBe('00112233445566778899aabbccddeeff'); // input untouched
});

test('.NET ticks: 100 ns units since 0001-01-01, big-endian', () => {
  expect(dotnetTicks(0).readBigInt64BE(0)).toBe(621355968000000000n);
  expect(dotnetTicks(1000).readBigInt64BE(0)).toBe(621355968000000000n + 10_000_000n);
});

test('stored sections keep their AMQP types: a long above 2^53 and a uint survive a delivery round trip', () => {
  const big = Buffer.from('7fffffffffffff01', 'hex');
  const raw: Buffer = amqpMessage.encode({
    message_id: 'id-1',
    group_id: 'g',
    application_properties: { big: types.wrap_long(big), small: types.wrap_uint(7) },
    body: 'hello',
  });
  const bare = parseBareMessage(raw);
  expect(bare.decoded.group_id).toBe('g');
  const out = encodeDelivery(bare, { deliveryCount: 3, firstAcquirer: false }, { seq: 9, enqueuedAt: 1_700_000_000_000 });
  const props = readApplicationProperties(parseBareMessage(out).applicationProperties);
  expect((props.get('big')!.value as Buffer).equals(big)).toBe(true);
  expect((props.get('small')!.type as { name: string }).name).toBe('SmallUint');
  const decoded = amqpMessage.decode(out);
  expect(decoded.delivery_count).toBe(3);
  expect(decoded.message_annotations['x-opt-sequence-number']).toBe(9);
  expect(decoded.body).toBe('hello');
});

test('a batch payload splits into its encoded messages', () => {
  const one: Buffer = amqpMessage.encode({ body: 'a' });
  const two: Buffer = amqpMessage.encode({ body: 'b' });
  const envelope: Buffer = amqpMessage.encode({ message_annotations: { 'x-opt-partition-key': 'p' }, body: amqpMessage.data_sections([one, two]) });
  expect(BATCH_FORMAT).toBe(0x80013700);
  expect(splitBatch(envelope).map((b) => amqpMessage.decode(b).body)).toEqual(['a', 'b']);
});

test('bytes that are not an AMQP message are rejected', () => {
  expect(() => parseBareMessage(Buffer.from([0x00, 0x53]))).toThrow();
});
