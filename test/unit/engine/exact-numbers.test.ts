/** Money and decimal amounts beyond double precision stay exact from the queue message to the request body. */
import { ExactDecimal, toWireJson } from '../../../shared/dataverse/wire-json';
import { valueHash } from '../../../shared/engine/hashing';
import { mapChange } from '../../../shared/engine/mapping';
import { parseChangeMessage } from '../../../shared/model/parse-change-message';
import { applyTransforms } from '../../../shared/engine/transforms';
import type { ChangeMessage } from '../../../shared/model/change-message';
import { routeSchema } from '../../../shared/routes/schema';

// 19 significant digits: a double keeps ~16, so Number() would round it to 123456789012345.67.
const EXACT = '123456789012345.6789';

const route = (key = ['accountnumber'], extra: Record<string, unknown> = {}) =>
  routeSchema.parse({
    name: 'accounts',
    source: { table: 'account' },
    target: {
      environment: 't',
      table: 'account',
      entitySet: 'accounts',
      key,
      columns: { accountnumber: 'num', revenue: 'amount', description: { from: 'amount', transforms: ['toString'] }, ...extra },
    },
  });
const sets = () => 'accounts';
const body = (values: Record<string, unknown>, source: Record<string, unknown> = {}) => ({
  v: 1,
  route: 'accounts',
  origin: 'webhook',
  operation: 'upsert',
  source: { table: 'account', ...source },
  version: '7',
  values,
  receivedAt: '2025-01-01T00:00:00Z',
});
const parsed = (raw: unknown): ChangeMessage => {
  const r = parseChangeMessage(raw);
  if (!r.ok) throw new Error(r.reason);
  return r.message;
};

describe('exact money and decimals', () => {
  it('keeps money.exact and source.changedAt through message parsing', () => {
    const m = parsed(JSON.stringify(body({ num: 'A', amount: { $type: 'money', value: Number(EXACT), exact: EXACT } }, { changedAt: '2025-01-01T00:00:00Z' })));
    expect(m.values.amount).toEqual({ $type: 'money', value: Number(EXACT), exact: EXACT });
    expect(m.source.changedAt).toBe('2025-01-01T00:00:00Z');
  });

  it('refuses a money.exact or decimal value that is not decimal digits, naming the path', () => {
    const money = parseChangeMessage(body({ num: 'A', amount: { $type: 'money', value: 1, exact: '1,5' } }));
    expect(money).toMatchObject({ ok: false, reason: expect.stringContaining('values.amount') });
    const decimal = parseChangeMessage(body({ num: 'A', amount: { $type: 'decimal', value: 'twelve' } }));
    expect(decimal).toMatchObject({ ok: false, reason: expect.stringContaining('values.amount') });
  });

  it('maps money with exact text and decimals to ExactDecimal, written digit for digit', () => {
    for (const amount of [
      { $type: 'money', value: Number(EXACT), exact: EXACT },
      { $type: 'decimal', value: EXACT },
    ]) {
      const r = mapChange(route(), parsed(body({ num: 'A', amount })), sets);
      if (r.type !== 'write') throw new Error('expected a write');
      expect(r.write.columns.revenue).toBeInstanceOf(ExactDecimal);
      expect(toWireJson(r.write.columns)).toBe(`{"revenue":${EXACT},"description":"${EXACT}"}`);
    }
  });

  it('maps money without exact text to its number', () => {
    const r = mapChange(route(), parsed(body({ num: 'A', amount: { $type: 'money', value: 12.5 } })), sets);
    expect(r).toMatchObject({ type: 'write', write: { columns: { revenue: 12.5, description: '12.5' } } });
  });

  it('transforms see the exact digits: toNumber keeps it exact, prefix and map read its text, toBoolean tests for zero', () => {
    const v = new ExactDecimal(EXACT);
    expect(applyTransforms(v, ['toNumber'])).toBe(v);
    expect(applyTransforms(v, [{ prefix: '$' }])).toBe(`$${EXACT}`);
    expect(applyTransforms(v, [{ map: { [EXACT]: 'big' } }])).toBe('big');
    expect(applyTransforms(new ExactDecimal('0.0000'), ['toBoolean'])).toBe(false);
    expect(applyTransforms(new ExactDecimal('0.0001'), ['toBoolean'])).toBe(true);
  });

  it('hashes an exact amount on its digits: amounts a double cannot tell apart hash differently', () => {
    expect(Number('123456789012345.6789')).toBe(Number('123456789012345.6788'));
    expect(valueHash(new ExactDecimal('123456789012345.6789'))).not.toBe(valueHash(new ExactDecimal('123456789012345.6788')));
    // Same digest as the plain number when the text is what JSON.stringify writes for it.
    expect(valueHash(new ExactDecimal('12.5'))).toBe(valueHash(12.5));
  });

  it('uses an exact key value as a number when a double holds it, and refuses one that would address another row', () => {
    const keyed = route(['revenue']);
    expect(mapChange(keyed, parsed(body({ num: 'A', amount: { $type: 'decimal', value: '12.50' } })), sets)).toMatchObject({
      write: { keyText: 'revenue=12.5' },
    });
    expect(() => mapChange(keyed, parsed(body({ num: 'A', amount: { $type: 'decimal', value: EXACT } })), sets)).toThrow(
      /column "revenue": key value 123456789012345\.6789 has more digits/,
    );
  });
});
