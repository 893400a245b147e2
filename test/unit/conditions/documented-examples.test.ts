/** Every example from Microsoft's "Reference guide to workflow expression functions" with its documented result. */
import { compileExpression, toJsonText } from '../../../shared/conditions';

const clock = () => new Date('2018-03-01T00:00:00Z');
const run = (src: string) => toJsonText(compileExpression(`@${src}`).evaluate({ clock }));

const examples: Array<[string, unknown]> = [
  ["add(1, 1.5)", 2.5],
  ["addDays('2018-03-15T00:00:00Z', 10)", '2018-03-25T00:00:00.0000000Z'],
  ["addDays('2018-03-15T00:00:00Z', -5)", '2018-03-10T00:00:00.0000000Z'],
  ["addHours('2018-03-15T00:00:00Z', 10)", '2018-03-15T10:00:00.0000000Z'],
  ["addHours('2018-03-15T15:00:00Z', -5)", '2018-03-15T10:00:00.0000000Z'],
  ["addMinutes('2018-03-15T00:10:00Z', 10)", '2018-03-15T00:20:00.0000000Z'],
  ["addMinutes('2018-03-15T00:20:00Z', -5)", '2018-03-15T00:15:00.0000000Z'],
  ["addSeconds('2018-03-15T00:00:00Z', 10)", '2018-03-15T00:00:10.0000000Z'],
  ["addSeconds('2018-03-15T00:00:30Z', -5)", '2018-03-15T00:00:25.0000000Z'],
  ["addToTime('2018-01-01T00:00:00Z', 1, 'Day')", '2018-01-02T00:00:00.0000000Z'],
  ["addToTime('2018-01-01T00:00:00Z', 1, 'Day', 'D')", 'Tuesday, January 2, 2018'],
  ["addProperty(json('{ \"firstName\": \"Sophia\", \"lastName\": \"Owen\" }'), 'middleName', 'Anne')", { firstName: 'Sophia', lastName: 'Owen', middleName: 'Anne' }],
  ['and(true, true)', true],
  ['and(false, true)', false],
  ['and(false, false)', false],
  ['and(equals(1, 1), equals(2, 2))', true],
  ['and(equals(1, 1), equals(1, 2))', false],
  ["array('hello')", ['hello']],
  ["base64('hello')", 'aGVsbG8='],
  ["base64ToString('aGVsbG8=')", 'hello'],
  ['bool(1)', true],
  ['bool(0)', false],
  ['bool(-1)', true],
  ["bool('true')", true],
  ["bool('false')", false],
  ['coalesce(null, true, false)', true],
  ["coalesce(null, 'hello', 'world')", 'hello'],
  ['coalesce(null, null, null)', null],
  ["concat('Hello', 'World')", 'HelloWorld'],
  ["contains('hello world', 'world')", true],
  ["contains('hello world', 'universe')", false],
  ["convertFromUtc('2018-01-01T08:00:00.0000000Z', 'Pacific Standard Time')", '2018-01-01T00:00:00.0000000'],
  ["convertFromUtc('2018-01-01T08:00:00.0000000Z', 'Pacific Standard Time', 'D')", 'Monday, January 1, 2018'],
  ["convertTimeZone('2018-01-01T08:00:00.0000000Z', 'UTC', 'Pacific Standard Time')", '2018-01-01T00:00:00.0000000'],
  ["convertToUtc('01/01/2018 00:00:00', 'Pacific Standard Time')", '2018-01-01T08:00:00.0000000Z'],
  ["convertToUtc('01/01/2018 00:00:00', 'Pacific Standard Time', 'D')", 'Monday, January 1, 2018'],
  ["createArray('h', 'e', 'l', 'l', 'o')", ['h', 'e', 'l', 'l', 'o']],
  ["dataUri('hello')", 'data:text/plain;charset=utf-8;base64,aGVsbG8='],
  ["dataUriToString('data:text/plain;charset=utf-8;base64,aGVsbG8=')", 'hello'],
  ["dateDifference('2015-02-08', '2018-07-30')", '1268.00:00:00'],
  ["dayOfMonth('2018-03-15T13:27:36Z')", 15],
  ["dayOfWeek('2018-03-15T13:27:36Z')", 4],
  ["dayOfYear('2018-03-15T13:27:36Z')", 74],
  ["decodeUriComponent('https%3A%2F%2Fcontoso.com')", 'https://contoso.com'],
  ['div(10,5)', 2],
  ['div(11,5)', 2],
  ['div(11,5.0)', 2.2],
  ['div(11.0,5)', 2.2],
  ["encodeUriComponent('https://contoso.com')", 'https%3A%2F%2Fcontoso.com'],
  ["empty('')", true],
  ["empty('abc')", false],
  ["endsWith('hello world', 'world')", true],
  ["endsWith('hello world', 'universe')", false],
  ['equals(true, 1)', true],
  ["equals('abc', 'abcd')", false],
  ["first('hello')", 'h'],
  ['first(createArray(0, 1, 2))', 0],
  ["float('10.333')", 10.333],
  ["float('10,000.333')", 10000.333],
  ["formatDateTime('03/15/2018 12:00:00', 'yyyy-MM-ddTHH:mm:ss')", '2018-03-15T12:00:00'],
  ["formatDateTime('03/15/2018')", '2018-03-15T00:00:00.0000000'],
  ["formatDateTime('01/31/2016', 'dddd MMMM d')", 'Sunday January 31'],
  ["formatDateTime('01/31/2016', 'dddd MMMM d', 'fr-fr')", 'dimanche janvier 31'],
  ["formatNumber(1234567890, '0,0.00', 'en-us')", '1,234,567,890.00'],
  ["formatNumber(1234567890, '0,0.00', 'is-is')", '1.234.567.890,00'],
  ["formatNumber(17.35, 'C2')", '$17.35'],
  ["formatNumber(17.35, 'C2', 'is-is')", '17,35 kr'],
  ["getFutureTime(5, 'Day')", '2018-03-06T00:00:00.0000000Z'],
  ["getFutureTime(5, 'Day', 'D')", 'Tuesday, March 6, 2018'],
  ['greater(10, 5)', true],
  ["greater('apple', 'banana')", false],
  ['greaterOrEquals(5, 5)', true],
  ["greaterOrEquals('apple', 'banana')", false],
  ["if(equals(1, 1), 'yes', 'no')", 'yes'],
  ["indexOf('hello world', 'world')", 6],
  ["int('10')", 10],
  ["intersection(createArray(1, 2, 3), createArray(101, 2, 1, 10), createArray(6, 8, 1, 2))", [1, 2]],
  ["isFloat('10,000.00')", true],
  ["isInt('10')", true],
  ["join(createArray('a', 'b', 'c'), '.')", 'a.b.c'],
  ["json('[1, 2, 3]')", [1, 2, 3]],
  ["json('{\"fullName\": \"Sophia Owen\"}')", { fullName: 'Sophia Owen' }],
  ["last('abcd')", 'd'],
  ['last(createArray(0, 1, 2, 3))', 3],
  ["lastIndexOf('hello world hello world', 'world')", 18],
  ["lastIndexOf('hello world hello world', '')", 22],
  ["length('abcd')", 4],
  ['length(createArray(0, 1, 2, 3))', 4],
  ['less(5, 10)', true],
  ["less('banana', 'apple')", false],
  ['lessOrEquals(10, 10)', true],
  ["lessOrEquals('apply', 'apple')", false],
  ['max(1, 2, 3)', 3],
  ['max(createArray(1, 2, 3))', 3],
  ['min(1, 2, 3)', 1],
  ['min(createArray(1, 2, 3))', 1],
  ['mod(3, 2)', 1],
  ['mul(1, 2)', 2],
  ['mul(1.5, 2)', 3],
  ['not(false)', true],
  ['not(true)', false],
  ['not(equals(1, 2))', true],
  ['not(equals(1, 1))', false],
  ["nthIndexOf('123456789123465789', '1', 1)", 0],
  ["nthIndexOf('123456789123465789', '1', 2)", 9],
  ["nthIndexOf('123456789123465789', '6', 4)", -1],
  ['or(true, false)', true],
  ['or(false, false)', false],
  ['or(equals(1, 1), equals(1, 2))', true],
  ['or(equals(1, 2), equals(1, 3))', false],
  ["parseDateTime('20/10/2014', 'fr-fr')", '2014-10-20T00:00:00.0000000'],
  ["parseDateTime('21052019', 'fr-fr', 'ddMMyyyy')", '2019-05-21T00:00:00.0000000'],
  ["parseDateTime('10/20/2014 15h', 'en-US', 'MM/dd/yyyy HH\\h')", '2014-10-20T15:00:00.0000000'],
  ['range(1, 4)', [1, 2, 3, 4]],
  ["removeProperty(json('{ \"firstName\": \"Sophia\", \"middleName\": \"Anne\", \"surName\": \"Owen\" }'), 'middleName')", { firstName: 'Sophia', surName: 'Owen' }],
  ["replace('the old string', 'old', 'new')", 'the new string'],
  ['reverse(createArray(0, 1, 2, 3))', [3, 2, 1, 0]],
  ["setProperty(json('{ \"firstName\": \"Sophia\", \"surName\": \"Owen\" }'), 'surName', 'Hartnett')", { firstName: 'Sophia', surName: 'Hartnett' }],
  ['skip(createArray(0, 1, 2, 3), 1)', [1, 2, 3]],
  ["slice('Hello World', 2)", 'llo World'],
  ["slice('Hello World', 2, 5)", 'llo'],
  ["slice('Hello World', -2)", 'ld'],
  ["slice('Hello World', 3, -1)", 'lo Worl'],
  ['sort(createArray(2, 1, 0, 3))', [0, 1, 2, 3]],
  ["split('a_b_c', '_')", ['a', 'b', 'c']],
  ["split('a_b_c', ' ')", ['a_b_c']],
  ["startOfDay('2018-03-15T13:30:30Z')", '2018-03-15T00:00:00.0000000Z'],
  ["startOfHour('2018-03-15T13:30:30Z')", '2018-03-15T13:00:00.0000000Z'],
  ["startOfMonth('2018-03-15T13:30:30Z')", '2018-03-01T00:00:00.0000000Z'],
  ["startOfMonth('2018-03-15T13:30:30Z', 'yyyy-MM-dd')", '2018-03-01'],
  ["startsWith('hello world', 'hello')", true],
  ["startsWith('hello world', 'greetings')", false],
  ['string(10)', '10'],
  ['sub(10.3, .3)', 10],
  ["substring('hello world', 6, 5)", 'world'],
  ["subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day')", '2018-01-01T00:00:00.0000000Z'],
  ["take('abcde', 3)", 'abc'],
  ['take(createArray(0, 1, 2, 3, 4), 3)', [0, 1, 2]],
  ["toLower('Hello World')", 'hello world'],
  ["toUpper('Hello World')", 'HELLO WORLD'],
  ["trim(' Hello World  ')", 'Hello World'],
  ['union(createArray(1, 2, 3), createArray(1, 2, 10, 101))', [1, 2, 3, 10, 101]],
  ["uriComponent('https://contoso.com')", 'https%3A%2F%2Fcontoso.com'],
  ["uriComponentToString('https%3A%2F%2Fcontoso.com')", 'https://contoso.com'],
  ["uriHost('https://www.localhost.com:8080')", 'www.localhost.com'],
  ["uriPath('https://www.contoso.com/catalog/shownew.htm?date=today')", '/catalog/shownew.htm'],
  ["uriPathAndQuery('https://www.contoso.com/catalog/shownew.htm?date=today')", '/catalog/shownew.htm?date=today'],
  ["uriPort('https://www.localhost:8080')", 8080],
  ["uriQuery('https://www.contoso.com/catalog/shownew.htm?date=today')", '?date=today'],
  ["uriScheme('https://www.contoso.com/catalog/shownew.htm?date=today')", 'https'],
  ["chunk('abcdefghijklmnopqrstuvwxyz', 10)", ['abcdefghij', 'klmnopqrst', 'uvwxyz']],
];

describe('documented examples', () => {
  it.each(examples)('%s', (src, expected) => {
    expect(JSON.parse(run(src))).toEqual(expected);
  });

  it('keeps floats distinct from integers', () => {
    expect(run('div(mul(1.5, 2), 4)')).toBe('0.75');
    expect(run('div(12, 5)')).toBe('2');
  });

  it('utcNow uses the injected clock (documented: 2018-04-15 13:00)', () => {
    const at = () => new Date('2018-04-15T13:00:00Z');
    expect(compileExpression('@utcNow()').evaluate({ clock: at })).toBe('2018-04-15T13:00:00.0000000Z');
    expect(compileExpression("@utcNow('D')").evaluate({ clock: at })).toBe('Sunday, April 15, 2018');
    expect(compileExpression("@getPastTime(5, 'Day', 'D')").evaluate({ clock: () => new Date('2018-02-01T00:00:00Z') })).toBe('Saturday, January 27, 2018');
  });

  it('ticks counts 100 ns units from 0001-01-01 exactly', () => {
    expect(run("ticks('2018-01-01T00:00:00Z')")).toBe('636503616000000000');
    expect(run("div(sub(ticks('2018-01-02T00:00:00Z'), ticks('2018-01-01T00:00:00Z')), 864000000000)")).toBe('1');
  });

  it('binary results read as text for text content and as base64 otherwise', () => {
    expect(run("dataUriToBinary('data:text/plain;charset=utf-8;base64,aGVsbG8=')")).toBe('"hello"');
    expect(run("base64ToBinary('AAEC')")).toBe('"AAEC"');
  });

  it('guid formats', () => {
    expect(run('guid()')).toMatch(/^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$/);
    expect(run("guid('P')")).toMatch(/^"\([0-9a-f-]{36}\)"$/);
    expect(run("guid('N')")).toMatch(/^"[0-9a-f]{32}"$/);
  });
});
