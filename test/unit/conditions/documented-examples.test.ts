/**
 * Every example in Microsoft's current "Reference guide to functions in expressions for workflows in
 * Azure Logic Apps and Power Automate" (MicrosoftDocs/azure-docs articles/logic-apps/expression-functions-reference.md,
 * ms.date 07/08/2025) that can run without actions, loops or parameters, with its documented result as JSON text,
 * plus the schema reference's JSON-string examples. Results are compared as printed by `dvsync expr`
 * (exact text; objects by value because the reference reorders keys in its prose).
 */
import { compileExpression, toJsonText } from '../../../shared/conditions';

/** The "current time" the reference's getFutureTime() example assumes. */
const DEFAULT_NOW = '2018-03-01T00:00:00Z';
const printed = (source: string, now = DEFAULT_NOW) => toJsonText(compileExpression(source).evaluate({ clock: () => new Date(now) }));

const run = (expression: string) => printed(`@${expression}`);

function expectDocumented(actual: string, documented: string): void {
  if (documented.startsWith('{')) expect(JSON.parse(actual)).toEqual(JSON.parse(documented));
  else expect(actual).toBe(documented);
}

/** [expression as the reference writes it, documented result, current time the example assumes]. */
const functionExamples: Array<[string, string, string?]> = [
  ['add(1, 1.5)', '2.5'],
  ["addDays('2018-03-15T00:00:00Z', 10)", '"2018-03-25T00:00:00.0000000Z"'],
  ["addDays('2018-03-15T00:00:00Z', -5)", '"2018-03-10T00:00:00.0000000Z"'],
  ["addHours('2018-03-15T00:00:00Z', 10)", '"2018-03-15T10:00:00.0000000Z"'],
  ["addHours('2018-03-15T15:00:00Z', -5)", '"2018-03-15T10:00:00.0000000Z"'],
  ["addMinutes('2018-03-15T00:10:00Z', 10)", '"2018-03-15T00:20:00.0000000Z"'],
  ["addMinutes('2018-03-15T00:20:00Z', -5)", '"2018-03-15T00:15:00.0000000Z"'],
  [
    'addProperty(json(\'{ "firstName": "Sophia", "lastName": "Owen" }\'), \'middleName\', \'Anne\')',
    '{"firstName":"Sophia","lastName":"Owen","middleName":"Anne"}',
  ],
  [
    'setProperty(json(\'{ "customerName": { "firstName": "Sophia", "surName": "Owen" } }\'), \'customerName\', addProperty(json(\'{ "customerName": { "firstName": "Sophia", "surName": "Owen" } }\')[\'customerName\'], \'middleName\', \'Anne\'))',
    '{"customerName":{"firstName":"Sophia","middleName":"Anne","surName":"Owen"}}',
  ],
  ["addSeconds('2018-03-15T00:00:00Z', 10)", '"2018-03-15T00:00:10.0000000Z"'],
  ["addSeconds('2018-03-15T00:00:30Z', -5)", '"2018-03-15T00:00:25.0000000Z"'],
  ["addToTime('2018-01-01T00:00:00Z', 1, 'Day')", '"2018-01-02T00:00:00.0000000Z"'],
  ["addToTime('2018-01-01T00:00:00Z', 1, 'Day', 'D')", '"Tuesday, January 2, 2018"'],
  ['and(true, true)', 'true'],
  ['and(false, true)', 'false'],
  ['and(false, false)', 'false'],
  ['and(equals(1, 1), equals(2, 2))', 'true'],
  ['and(equals(1, 1), equals(1, 2))', 'false'],
  ['and(equals(1, 2), equals(1, 3))', 'false'],
  ["array('hello')", '["hello"]'],
  ["base64('hello')", '"aGVsbG8="'],
  ["base64ToString('aGVsbG8=')", '"hello"'],
  ['bool(1)', 'true'],
  ['bool(0)', 'false'],
  ['bool(-1)', 'true'],
  ["bool('true')", 'true'],
  ["bool('false')", 'false'],
  ["chunk('abcdefghijklmnopqrstuvwxyz', 10)", '["abcdefghij","klmnopqrst","uvwxyz"]'],
  ['chunk(createArray(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), 5)', '[[1,2,3,4,5],[6,7,8,9,10],[11,12]]'],
  ['coalesce(null, true, false)', 'true'],
  ["coalesce(null, 'hello', 'world')", '"hello"'],
  ['coalesce(null, null, null)', 'null'],
  ["concat('Hello', 'World')", '"HelloWorld"'],
  ["contains('hello world', 'world')", 'true'],
  ["contains('hello world', 'universe')", 'false'],
  ["convertFromUtc('2018-01-01T08:00:00.0000000Z', 'Pacific Standard Time')", '"2018-01-01T00:00:00.0000000"'],
  ["convertFromUtc('2018-01-01T08:00:00.0000000Z', 'Pacific Standard Time', 'D')", '"Monday, January 1, 2018"'],
  ["convertTimeZone('2018-01-01T08:00:00.0000000Z', 'UTC', 'Pacific Standard Time')", '"2018-01-01T00:00:00.0000000"'],
  ["convertToUtc('01/01/2018 00:00:00', 'Pacific Standard Time')", '"2018-01-01T08:00:00.0000000Z"'],
  ["convertToUtc('01/01/2018 00:00:00', 'Pacific Standard Time', 'D')", '"Monday, January 1, 2018"'],
  ["createArray('h', 'e', 'l', 'l', 'o')", '["h","e","l","l","o"]'],
  ["dataUri('hello')", '"data:text/plain;charset=utf-8;base64,aGVsbG8="'],
  ["dataUriToString('data:text/plain;charset=utf-8;base64,aGVsbG8=')", '"hello"'],
  ["dateDifference('2015-02-08', '2018-07-30')", '"1268.00:00:00"'],
  ["dayOfMonth('2018-03-15T13:27:36Z')", '15'],
  ["dayOfWeek('2018-03-15T13:27:36Z')", '4'],
  ["dayOfYear('2018-03-15T13:27:36Z')", '74'],
  ["decimal('1.2345678912312131')", '1.234567891231213'],
  ["string(decimal('1.2345678912312131'))", '"1.2345678912312131"'],
  ["add(decimal('1.2345678912312131'), decimal('1.2345678912312131'))", '2.469135782462426'],
  ["string(add(decimal('1.2345678912312131'), decimal('1.2345678912312131')))", '"2.4691357824624262"'],
  ["decodeDataUri('data:text/plain;charset=utf-8;base64,aGVsbG8=')", '"hello"'],
  ["decodeUriComponent('https%3A%2F%2Fcontoso.com')", '"https://contoso.com"'],
  ['div(10,5)', '2'],
  ['div(11,5)', '2'],
  ['div(11,5.0)', '2.2'],
  ['div(11.0,5)', '2.2'],
  ["encodeUriComponent('https://contoso.com')", '"https%3A%2F%2Fcontoso.com"'],
  ["empty('')", 'true'],
  ["empty('abc')", 'false'],
  ["endsWith('hello world', 'world')", 'true'],
  ["endsWith('hello world', 'universe')", 'false'],
  ['equals(true, 1)', 'true'],
  ["equals('abc', 'abcd')", 'false'],
  ["first('hello')", '"h"'],
  ['first(createArray(0, 1, 2))', '0'],
  ["float('10,000.333')", '10000.333'],
  ["float('10.000,333', 'de-DE')", '10000.333'],
  ["float('12,3,4,5678')", '12345678'],
  ["float('1234567,8+')", '12345678'],
  ["float('12345,6,78,-')", '-12345678'],
  ["float('-12,345,678,')", '-12345678'],
  ["float('12345678.-')", '-12345678'],
  ["float('.12345678')", '0.12345678'],
  ["formatDateTime('03/15/2018')", '"2018-03-15T00:00:00.0000000"'],
  ["formatDateTime('03/15/2018 12:00:00', 'yyyy-MM-ddTHH:mm:ss')", '"2018-03-15T12:00:00"'],
  ["formatDateTime('01/31/2016', 'dddd MMMM d')", '"Sunday January 31"'],
  ["formatDateTime('01/31/2016', 'dddd MMMM d', 'fr-fr')", '"dimanche janvier 31"'],
  ["formatDateTime('01/31/2016', 'dddd MMMM d', 'fr-FR')", '"dimanche janvier 31"'],
  ["formatDateTime('01/31/2016', 'dddd MMMM d', 'es-es')", '"domingo enero 31"'],
  ["formatNumber(1234567890, '#,##0.00', 'en-US')", '"1,234,567,890.00"'],
  ["formatNumber(1234567890, '#,##0.00', 'is-IS')", '"1.234.567.890,00"'],
  ["formatNumber(17.35, 'C2')", '"$17.35"'],
  ["formatNumber(17.35, 'C2', 'is-IS')", '"17,35 kr"'],
  ["getFutureTime(5, 'Day')", '"2018-03-06T00:00:00.0000000Z"', '2018-03-01T00:00:00Z'],
  ["getFutureTime(5, 'Day', 'D')", '"Tuesday, March 6, 2018"', '2018-03-01T00:00:00Z'],
  ["getPastTime(5, 'Day')", '"2018-01-27T00:00:00.0000000Z"', '2018-02-01T00:00:00Z'],
  ["getPastTime(5, 'Day', 'D')", '"Saturday, January 27, 2018"', '2018-02-01T00:00:00Z'],
  ['greater(10, 5)', 'true'],
  ["greater('apple', 'banana')", 'false'],
  ['greaterOrEquals(5, 5)', 'true'],
  ["greaterOrEquals('apple', 'banana')", 'false'],
  ["if(equals(1, 1), 'yes', 'no')", '"yes"'],
  ["indexOf('hello world', 'world')", '6'],
  ["int('10')", '10'],
  ["isFloat('10,000.00')", 'true'],
  ["isFloat('10.000,00', 'de-DE')", 'true'],
  ["isInt('10')", 'true'],
  ["json('[1, 2, 3]')", '[1,2,3]'],
  ['json(\'{"fullName": "Sophia Owen"}\')', '{"fullName":"Sophia Owen"}'],
  [
    'json(xml(\'<?xml version="1.0"?> <root> <person id="1"> <name>Sophia Owen</name> <occupation>Engineer</occupation> </person> </root>\'))',
    '{"?xml":{"@version":"1.0"},"root":{"person":{"@id":"1","name":"Sophia Owen","occupation":"Engineer"}}}',
  ],
  [
    'json(xml(\'<?xml version="1.0"?> <root> <person id="1"> <name>Sophia Owen</name> <occupation>Engineer</occupation> </person> <person id="2"> <name>John Doe</name> <occupation>Engineer</occupation> </person> </root>\'))',
    '{"?xml":{"@version":"1.0"},"root":{"person":[{"@id":"1","name":"Sophia Owen","occupation":"Engineer"},{"@id":"2","name":"John Doe","occupation":"Engineer"}]}}',
  ],
  ['intersection(createArray(1, 2, 3), createArray(101, 2, 1, 10), createArray(6, 8, 1, 2))', '[1,2]'],
  ["join(createArray('a', 'b', 'c'), '.')", '"a.b.c"'],
  ["last('abcd')", '"d"'],
  ['last(createArray(0, 1, 2, 3))', '3'],
  ["lastIndexOf('hello world hello world', 'world')", '18'],
  ["lastIndexOf('hello world hello world', '')", '22'],
  ["length('abcd')", '4'],
  ['length(createArray(0, 1, 2, 3))', '4'],
  ['less(5, 10)', 'true'],
  ["less('banana', 'apple')", 'false'],
  ['lessOrEquals(10, 10)', 'true'],
  ["lessOrEquals('apply', 'apple')", 'false'],
  ['max(1, 2, 3)', '3'],
  ['max(createArray(1, 2, 3))', '3'],
  ['min(1, 2, 3)', '1'],
  ['min(createArray(1, 2, 3))', '1'],
  ['mod(3, 2)', '1'],
  ['mod(-5, 2)', '-1'],
  ['mod(4, -3)', '1'],
  ['mul(1, 2)', '2'],
  ['mul(1.5, 2)', '3'],
  ['not(false)', 'true'],
  ['not(true)', 'false'],
  ['not(equals(1, 2))', 'true'],
  ['not(equals(1, 1))', 'false'],
  ["nthIndexOf('123456789123465789', '1', 1)", '0'],
  ["nthIndexOf('123456789123465789', '1', 2)", '9'],
  ["nthIndexOf('123456789123465789', '12', 2)", '9'],
  ["nthIndexOf('123456789123465789', '6', 4)", '-1'],
  ['or(true, false)', 'true'],
  ['or(false, false)', 'false'],
  ['or(equals(1, 1), equals(1, 2))', 'true'],
  ['or(equals(1, 2), equals(1, 3))', 'false'],
  ["parseDateTime('20/10/2014', 'fr-fr')", '"2014-10-20T00:00:00.0000000"'],
  ["parseDateTime('20 octobre 2010', 'fr-FR')", '"2010-10-20T00:00:00.0000000"'],
  ["parseDateTime('martes 20 octubre 2020', 'es-es')", '"2020-10-20T00:00:00.0000000"'],
  ["parseDateTime('21052019', 'fr-fr', 'ddMMyyyy')", '"2019-05-21T00:00:00.0000000"'],
  ["parseDateTime('20190521', 'fr-fr', 'yyyyMMdd')", '"2019-05-21T00:00:00.0000000"'],
  ["parseDateTime('10/20/2014 15h', 'en-US', 'MM/dd/yyyy HH\\h')", '"2014-10-20T15:00:00.0000000"'],
  ['range(1, 4)', '[1,2,3,4]'],
  ['removeProperty(json(\'{ "firstName": "Sophia", "middleName": "Anne", "surName": "Owen" }\'), \'middleName\')', '{"firstName":"Sophia","surName":"Owen"}'],
  [
    'removeProperty(json(\'{ "customerName": { "firstName": "Sophia", "middleName": "Anne", "surName": "Owen" } }\')[\'customerName\'], \'middleName\')',
    '{"firstName":"Sophia","surName":"Owen"}',
  ],
  ["replace('the old string', 'old', 'new')", '"the new string"'],
  ['reverse(createArray(0, 1, 2, 3))', '[3,2,1,0]'],
  ['setProperty(json(\'{ "firstName": "Sophia", "surName": "Owen" }\'), \'surName\', \'Hartnett\')', '{"firstName":"Sophia","surName":"Hartnett"}'],
  [
    'setProperty(json(\'{ "customerName": { "firstName": "Sophia", "surName": "Owen" } }\'), \'customerName\', setProperty(json(\'{ "customerName": { "firstName": "Sophia", "surName": "Owen" } }\')[\'customerName\'], \'surName\', \'Hartnett\'))',
    '{"customerName":{"firstName":"Sophia","surName":"Hartnett"}}',
  ],
  ['skip(createArray(0, 1, 2, 3), 1)', '[1,2,3]'],
  ["slice('Hello World', 2)", '"llo World"'],
  ["slice('Hello World', 30)", '""'],
  ["slice('Hello World', 10, 2)", '""'],
  ["slice('Hello World', 0)", '"Hello World"'],
  ["slice('Hello World', 2, 5)", '"llo"'],
  ["slice('Hello World', 6, 20)", '"World"'],
  ["slice('Hello World', -2)", '"ld"'],
  ["slice('Hello World', 3, -1)", '"lo Worl"'],
  ["slice('Hello World', 3, 3)", '""'],
  ['sort(createArray(2, 1, 0, 3))', '[0,1,2,3]'],
  [
    'sort(createArray(json(\'{ "first": "Amalie", "last": "Rose" }\'), json(\'{ "first": "Elise", "last": "Renee" }\')), \'last\')',
    '[{"first":"Elise","last":"Renee"},{"first":"Amalie","last":"Rose"}]',
  ],
  ["split('a_b_c', '_')", '["a","b","c"]'],
  ["split('a_b_c', ' ')", '["a_b_c"]'],
  ["startOfDay('2018-03-15T13:30:30Z')", '"2018-03-15T00:00:00.0000000Z"'],
  ["startOfHour('2018-03-15T13:30:30Z')", '"2018-03-15T13:00:00.0000000Z"'],
  ["startOfMonth('2018-03-15T13:30:30Z')", '"2018-03-01T00:00:00.0000000Z"'],
  ["startOfMonth('2018-03-15T13:30:30Z', 'yyyy-MM-dd')", '"2018-03-01"'],
  ["startsWith('hello world', 'hello')", 'true'],
  ["startsWith('hello world', 'greetings')", 'false'],
  ['string(10)', '"10"'],
  ['sub(10.3, .3)', '10'],
  ["substring('hello world', 6, 5)", '"world"'],
  ["substring('hello world', 6)", '"world"'],
  ["subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day')", '"2018-01-01T00:00:00.0000000Z"'],
  ["take('abcde', 3)", '"abc"'],
  ['take(createArray(0, 1, 2, 3, 4), 3)', '[0,1,2]'],
  ["toLower('Hello World')", '"hello world"'],
  ["toUpper('Hello World')", '"HELLO WORLD"'],
  ["trim(' Hello World  ')", '"Hello World"'],
  ['union(createArray(1, 2, 3), createArray(1, 2, 10, 101))', '[1,2,3,10,101]'],
  ["uriComponent('https://contoso.com')", '"https%3A%2F%2Fcontoso.com"'],
  ["uriComponentToBinary('https%3A%2F%2Fcontoso.com')", '"aHR0cHM6Ly9jb250b3NvLmNvbQ=="'],
  ["uriComponentToString('https%3A%2F%2Fcontoso.com')", '"https://contoso.com"'],
  ["uriHost('https://www.localhost.com:8080')", '"www.localhost.com"'],
  ["uriPath('https://www.contoso.com/catalog/shownew.htm?date=today')", '"/catalog/shownew.htm"'],
  ["uriPathAndQuery('https://www.contoso.com/catalog/shownew.htm?date=today')", '"/catalog/shownew.htm?date=today"'],
  ["uriPort('https://www.localhost:8080')", '8080'],
  ["uriQuery('https://www.contoso.com/catalog/shownew.htm?date=today')", '"?date=today"'],
  ['utcNow()', '"2018-04-15T13:00:00.0000000Z"', '2018-04-15T13:00:00Z'],
  ["utcNow('D')", '"Sunday, April 15, 2018"', '2018-04-15T13:00:00Z'],
  ["xml('<name>Sophia Owen</name>')", '"<name>Sophia Owen</name>"'],
  ['xml(json(\'{ "name": "Sophia Owen" }\'))', '"<name>Sophia Owen</name>"'],
  ['xml(json(\'{"person": {"name": "Sophia Owen", "city": "Seattle"}}\'))', '"<person><name>Sophia Owen</name><city>Seattle</city></person>"'],
  ["toLower('Hello')", '"hello"'],
];

/** The schema reference's JSON string values: literal text, `@@` escapes, `@{}` interpolation. */
const stringValueExamples: Array<[string, string]> = [
  ['Sophia Owen', '"Sophia Owen"'],
  ['array[1]', '"array[1]"'],
  ['@@', '"@"'],
  [' @', '" @"'],
  ["My age is @@{parameters('myAge')}", '"My age is @{parameters(\'myAge\')}"'],
  ["Azure @{concat('firstName','', 'LastName')}", '"Azure firstNameLastName"'],
  ["@concat('Sophia', 'Owen')", '"SophiaOwen"'],
  ["@{concat('Sophia', 'Owen')}", '"SophiaOwen"'],
  ['@{add(40, 2)}', '"42"'],
  ['My age is @{add(40, 2)}', '"My age is 42"'],
  ["@concat('My age is ', string(add(40,2)))", '"My age is 42"'],
];

/**
 * Examples whose documented result contradicts the reference's own prose or other examples; the engine follows
 * the prose. Each is asserted here so the decision is visible.
 */
describe('documented examples the reference gets wrong', () => {
  it("convertTimeZone('2018-01-01T80:00:00…') has hour 80: an invalid timestamp is an error, as the parameter table says", () => {
    expect(() => printed("@convertTimeZone('2018-01-01T80:00:00.0000000Z', 'UTC', 'Pacific Standard Time', 'D')")).toThrow(/expects a timestamp/);
  });
  it('dataUriToBinary works "the same way" as decodeDataUri (documented "hello"), not the bit string shown', () => {
    expect(printed("@dataUriToBinary('data:text/plain;charset=utf-8;base64,aGVsbG8=')")).toBe('"hello"');
  });
  it("subtractFromTime(…, 'D') uses the .NET long date pattern (no comma after the month)", () => {
    expect(printed("@subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day', 'D')")).toBe('"Monday, January 1, 2018"');
  });
  it('uriScheme of an https URI is \'https\' (the reference prints "http")', () => {
    expect(printed("@uriScheme('https://www.contoso.com/catalog/shownew.htm?date=today')")).toBe('"https"');
  });
  it('object literals are not expression syntax (string({ "name": … }) is a syntax error); string(json(…)) is compact JSON', () => {
    expect(() => printed('@string( { "name": "Sophie Owen" } )')).toThrow(/Unexpected character/);
    expect(printed(`@string(json('{ "name": "Sophie Owen" }'))`)).toBe('"{\\"name\\":\\"Sophie Owen\\"}"');
  });
});

describe('documented examples', () => {
  it.each(functionExamples.map(([expression, documented, now]) => [expression, documented, now ?? DEFAULT_NOW]))('%s', (expression, documented, now) => {
    expectDocumented(printed(`@${expression}`, now), documented);
  });

  it.each(stringValueExamples)('JSON string value %j', (value, documented) => {
    expect(printed(value)).toBe(documented);
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

  it('decimal() keeps exact digits through arithmetic and string()', () => {
    expect(run("string(div(decimal('1'), decimal('3')))")).toBe('"0.3333333333333333333333333333"');
    expect(run("string(mul(decimal('1.10'), 2))")).toBe('"2.20"');
    expect(run("string(sub(decimal('0.3'), decimal('0.1')))")).toBe('"0.2"');
    expect(run("equals(decimal('2.5'), 2.5)")).toBe('true');
  });

  it('float() and isFloat() scan numbers the .NET way', () => {
    expect(run("float('(1,5)')")).toBe('-15');
    expect(run("isFloat('1e3')")).toBe('true');
    expect(run("isFloat('1.2.3')")).toBe('false');
    expect(run("isFloat(',5')")).toBe('false');
  });

  it('xml() round-trips through json() with Json.NET naming', () => {
    expect(run(`json(xml('<a x="1"><b>t</b><b/>mixed</a>'))`)).toBe('{"a":{"@x":"1","#text":"mixed","b":["t",null]}}');
    expect(run(`xml(json('{"a":{"@x":"1","b":["t","u"]}}'))`)).toBe('"<a x=\\"1\\"><b>t</b><b>u</b></a>"');
    expect(() => run("xml('<a><b></a>')")).toThrow(/not valid XML/);
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
