/** The $filter parser/evaluator and the paging cookie in isolation (Learn: webapi/query/filter-rows, webapi/query/page-results). */
import { buildSchema } from '../../../../../emulators/dataverse/schema/model';
import { schemaFileSchema } from '../../../../../emulators/dataverse/schema/spec';
import { parseFilter } from '../../../../../emulators/dataverse/query/filter-parser';
import { matches } from '../../../../../emulators/dataverse/query/filter-eval';
import { parseOrderBy } from '../../../../../emulators/dataverse/query/orderby';
import { decodeSkipToken, encodeSkipToken } from '../../../../../emulators/dataverse/query/paging';

const schema = buildSchema(
  schemaFileSchema.parse({
    environments: [{ name: 'e' }],
    tables: [
      { logicalName: 'businessunit', entitySetName: 'businessunits', primaryId: 'businessunitid', ownership: 'None', columns: { name: { type: 'string' } } },
      {
        logicalName: 'systemuser',
        entitySetName: 'systemusers',
        primaryId: 'systemuserid',
        primaryName: 'fullname',
        ownership: 'None',
        columns: { fullname: { type: 'string' } },
      },
      {
        logicalName: 'thing',
        entitySetName: 'things',
        primaryId: 'thingid',
        columns: { name: { type: 'string' }, qty: { type: 'int' }, on: { type: 'datetime' } },
      },
    ],
  }),
  'test',
);
const thing = schema.tables.get('thing')!;
const row = { thingid: 'a', name: "O'Neil", qty: 5, on: '2024-01-02T03:04:05Z' };
const test = (f: string) => matches(parseFilter(f, thing), row);

describe('$filter', () => {
  it('evaluates operators, precedence and literals', () => {
    expect(test("name eq 'o''neil'")).toBe(true);
    expect(test('qty gt 4 and qty lt 6')).toBe(true);
    expect(test('qty eq 1 or qty eq 5 and name eq null')).toBe(false);
    expect(test('(qty eq 1 or qty eq 5) and not (name eq null)')).toBe(true);
    expect(test('5 eq qty')).toBe(true);
    expect(test('on gt 2024-01-01T00:00:00Z and on lt 2024-01-03')).toBe(true);
    expect(() => test('qty gt null')).toThrow(/null can only be compared with eq or ne/);
  });

  it('reports where the syntax broke', () => {
    expect(() => parseFilter("name eq 'x", thing)).toThrow(/position 8/);
    expect(() => parseFilter('qty eq 1 qty', thing)).toThrow(/unexpected text/);
    expect(() => parseFilter("substringof('x',name)", thing)).toThrow(/unknown function 'substringof'/);
  });
});

describe('paging cookie', () => {
  it('round-trips the sort position and rejects a cookie for another ordering', () => {
    const keys = parseOrderBy('qty desc,name', thing);
    const token = encodeSkipToken(keys, { pageNumber: 3, last: [5, 'o"neil & <co>', 'a'], tracking: false, extra: {} });
    expect(decodeSkipToken(token, keys, thing)).toEqual({ pageNumber: 3, last: [5, 'o"neil & <co>', 'a'], tracking: false, extra: {} });
    expect(() => decodeSkipToken(token, parseOrderBy('name', thing), thing)).toThrow(/sort columns do not match/);
    expect(() => decodeSkipToken('garbage', keys, thing)).toThrow(/not a paging cookie/);
  });
});
