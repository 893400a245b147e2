/** The emulator's per-message data structures: ready list, lock deadlines, message-id stamping, byte walking. */
import { valueEnd } from '../../../../emulators/servicebus/amqp-bytes';
import { amqpMessage, parseBareMessage, types } from '../../../../emulators/servicebus/codec';
import { Deadlines } from '../../../../emulators/servicebus/deadlines';
import { stampMessageId } from '../../../../emulators/servicebus/message';
import { ReadyList } from '../../../../emulators/servicebus/ready-list';

test('ReadyList hands out in sequence order across compaction and puts a returned item back in its place', () => {
  const list = new ReadyList<{ seq: number }>();
  for (let seq = 1; seq <= 3000; seq++) list.insert({ seq });
  const taken: number[] = [];
  for (let i = 0; i < 2500; i++) taken.push(list.shift()!.seq);
  expect(taken[0]).toBe(1);
  expect(taken[2499]).toBe(2500);
  list.insert({ seq: 7 }); // an abandoned message goes back before the rest
  expect(list.length).toBe(501);
  expect(list.first()!.seq).toBe(7);
  expect(list.removeWhere((m) => m.seq % 2 === 0).length).toBe(250);
  const rest: number[] = [];
  for (let m = list.shift(); m; m = list.shift()) rest.push(m.seq);
  expect(rest.slice(0, 3)).toEqual([7, 2501, 2503]);
  expect(rest).toHaveLength(251);
  expect(list.shift()).toBeUndefined();
});

test('Deadlines fire in order on one timer, each with the deadline it was added with', async () => {
  const fired: [string, number][] = [];
  const d = new Deadlines<string>((key, at) => fired.push([key, at]));
  const now = Date.now();
  d.add('a', now + 20);
  d.add('b', now + 40);
  d.add('a', now + 60); // a renewal: the first entry for 'a' becomes stale for its owner
  // Wait for the firings themselves (no fixed sleep: a busy machine delays timers arbitrarily).
  for (let waited = 0; fired.length < 3 && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  expect(fired).toEqual([
    ['a', now + 20],
    ['b', now + 40],
    ['a', now + 60],
  ]);
  expect(d.pending).toBe(0);
  d.add('late', Date.now() + 10);
  d.close();
  await new Promise((r) => setTimeout(r, 40));
  expect(fired).toHaveLength(3);
});

test('stampMessageId adds a message-id and keeps the other properties, with or without a properties section', () => {
  const withProps = parseBareMessage(amqpMessage.encode({ subject: 'subj', group_id: 'g-1', body: 'x' }));
  const id = stampMessageId(withProps);
  expect(id).toMatch(/^[0-9a-f]{32}$/);
  expect(amqpMessage.decode(withProps.properties!)).toMatchObject({ message_id: id, subject: 'subj', group_id: 'g-1' });
  const bare = parseBareMessage(amqpMessage.encode({ body: 'y' }));
  const id2 = stampMessageId(bare);
  expect(amqpMessage.decode(bare.properties!)).toMatchObject({ message_id: id2 });
  const kept = parseBareMessage(amqpMessage.encode({ message_id: 'mine', body: 'z' }));
  expect(stampMessageId(kept)).toBe('mine');
});

test('valueEnd walks encoded values and says where truncated bytes end', () => {
  const encoded: Buffer = amqpMessage.encode({ application_properties: { a: 1 }, body: 'hello' });
  let pos = 0;
  let sections = 0;
  let lastStart = 0;
  while (pos < encoded.length) {
    lastStart = pos;
    pos = valueEnd(encoded, pos);
    sections++;
  }
  expect(pos).toBe(encoded.length);
  const reader = new types.Reader(encoded);
  let byRhea = 0;
  for (; reader.remaining(); byRhea++) reader.read();
  expect(sections).toBe(byRhea);
  expect(() => valueEnd(encoded.subarray(0, encoded.length - 2), lastStart)).toThrow(/claims \d+ bytes, but only \d+ remain/);
  expect(() => valueEnd(Buffer.from([0x01]), 0)).toThrow(/not an AMQP type constructor/);
});

test('the intake reads header and properties fields as rhea decodes them, falling back to rhea for other id types', () => {
  const cases = [
    { durable: true, priority: 7, ttl: 5000, message_id: 'm-1', group_id: 'session-ä', body: 'a' },
    { ttl: 0, message_id: 'x'.repeat(300), subject: 's', body: 'b' },
    { message_id: types.wrap_ulong(42), body: 'c' },
    { message_id: types.wrap_uuid(Buffer.alloc(16, 7)), group_id: 'g', body: 'd' },
    { body: 'e' },
  ];
  for (const c of cases) {
    const encoded: Buffer = amqpMessage.encode(c);
    const full = amqpMessage.decode(encoded);
    const { decoded } = parseBareMessage(encoded);
    for (const key of ['durable', 'priority', 'ttl', 'message_id', 'group_id'] as const) expect(decoded[key]).toEqual(full[key]);
  }
});
