/** Syntax rules, error types with positions, trigger-condition semantics, and hostile-input safety. */
import fc from 'fast-check';
import {
  compileExpression,
  compileTriggerCondition,
  ExpressionCompileError,
  ExpressionError,
  ExpressionLimitError,
  ExpressionRuntimeError,
  ExpressionSyntaxError,
  toJsonText,
  type DataverseTriggerOutputs,
} from '../../../shared/conditions';

const outputs: DataverseTriggerOutputs = {
  headers: { 'x-ms-workflow-name': 'flow' },
  body: {
    '@odata.type': '#Microsoft.Dynamics.CRM.opportunity',
    SdkMessage: 'Update',
    stepname: 'Won',
    statuscode: 1,
    'statuscode@OData.Community.Display.V1.FormattedValue': 'Active',
    _parentaccountid_value: '7a1f0e6e-0000-0000-0000-000000000001',
    '_parentaccountid_value@Microsoft.Dynamics.CRM.lookuplogicalname': 'account',
    revenue: 1000.5,
  },
};
// A key named __proto__ arrives as plain data from JSON.parse; it must stay plain data.
Object.defineProperty(outputs.body, '__proto__', { value: 'plain data', enumerable: true, writable: true, configurable: true });
const evalJson = (src: string) => toJsonText(compileExpression(src).evaluate({ triggerOutputs: outputs }));

describe('value syntax', () => {
  it.each([
    ['hello', '"hello"'],
    ['@@', '"@"'],
    ['@@{x}', '"@{x}"'],
    [' @', '"' + ' @' + '"'],
    ["@{'a'}b@{1}", '"ab1"'],
    ['Total: @{add(1, 2)} items', '"Total: 3 items"'],
    ["@{triggerBody()?['statuscode']}", '"1"'],
    ["@'it''s'", '"it\'s"'],
    ['@2.0', '2'],
    ['@-5', '-5'],
    ['@TRUE', 'true'],
    ['@null', 'null'],
    ['@EQUALS(1, 1)', 'true'],
    ["@triggerOutputs()?['body/stepname']", '"Won"'],
    ['@triggerOutputs().body.stepname', '"Won"'],
    ['@triggerBody()?.missing', 'null'],
    ["@triggerBody()?['missing']?['deeper']", 'null'],
    ["@triggerBody()['STEPNAME']", '"Won"'],
    ["@triggerBody()?['_parentaccountid_value@Microsoft.Dynamics.CRM.lookuplogicalname']", '"account"'],
    ['@createArray(1, 2)[1]', '2'],
    ["@triggerBody()?['__proto__']", '"plain data"'],
    ["@json('{}')?['constructor']", 'null'],
    ['@string(true)', '"True"'],
    ["@string(createArray(1, 'a'))", '"[1,\\"a\\"]"'],
    ["@equals(null, '')", 'true'],
  ])('%s → %s', (src, expected) => {
    expect(evalJson(src)).toBe(expected);
  });

  it('rejects bad syntax with position and caret', () => {
    const err = (() => {
      try {
        compileExpression("@equals(1, 'x)");
      } catch (e) {
        return e as ExpressionSyntaxError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ExpressionSyntaxError);
    expect(err!.position).toBe(11);
    expect(err!.message).toContain('^');
    expect(() => compileExpression('@equals(1 2)')).toThrow(ExpressionSyntaxError);
    expect(() => compileExpression('@foo')).toThrow(/call functions with parentheses/);
    expect(() => compileExpression('@')).toThrow(ExpressionSyntaxError);
    expect(() => compileExpression('x @{equals(1,1)')).toThrow(/Unclosed/);
  });

  it('checks function names and argument counts at compile time', () => {
    expect(() => compileExpression('@nosuch(1)')).toThrow(ExpressionCompileError);
    expect(() => compileExpression('@equals(1)')).toThrow(/exactly 2 arguments, but 1 was given/);
    expect(() => compileExpression('@not(true, false)')).toThrow(ExpressionCompileError);
  });

  it('reports runtime errors with the failing call', () => {
    expect(() => evalJson("@triggerBody()['missing']")).toThrow(/doesn't exist/);
    expect(() => evalJson("@int('1.5')")).toThrow(ExpressionRuntimeError);
    expect(() => evalJson("@substring('abc', 2, 5)")).toThrow(/must not exceed/);
    expect(() => evalJson('@div(1, 0)')).toThrow(/divide by zero/);
    expect(() => evalJson("@toLower(triggerBody()?['missing'])")).toThrow(/Null/);
    expect(() => evalJson("@and(true, 'true')")).toThrow(/boolean/);
  });
});

describe('semantics details', () => {
  it.each([
    ['@mod(-7, 3)', '-1'],
    ['@div(-7, 2)', '-3'],
    ["@lastIndexOf('', '')", '0'],
    ["@lastIndexOf('', 'a')", '-1'],
    ["@indexOf('Hello', 'LL')", '2'],
    ["@contains('Hello', 'hello')", 'false'],
    ["@contains(json('{\"a\":1}'), 'a')", 'true'],
    ["@contains(createArray(1, 'b'), 'b')", 'true'],
    ['@empty(null)', 'true'],
    ["@bool('TRUE')", 'true'],
    ["@float('2')", '2'],
    ['@string(0.1)', '"0.1"'],
    ['@string(1e21)', '"1E+21"'],
    ["@if(true, 'a', div(1, 0))", '"a"'],
    ['@sort(json(\'[{"n":"b"},{"n":"a"}]\'), \'n\')', '[{"n":"a"},{"n":"b"}]'],
  ])('%s → %s', (src, expected) => {
    expect(evalJson(src)).toBe(expected);
  });
});

describe('compileTriggerCondition', () => {
  it('matches the documented Dataverse examples', () => {
    const wonOrLost = compileTriggerCondition("@or(equals(triggerOutputs()?['body/stepname'], 'Won'), equals(triggerOutputs()?['body/stepname'], 'Lost'))");
    expect(wonOrLost.test(outputs)).toEqual({ matched: true });
    expect(compileTriggerCondition("@not(equals(triggerBody()?['statuscode'], 1))").test(outputs)).toEqual({ matched: false });
  });

  it('returns runtime errors instead of throwing, and never matches on them', () => {
    const r = compileTriggerCondition("@equals(triggerBody()['nope'], 1)").test(outputs);
    expect(r.matched).toBe(false);
    expect(r.error).toBeInstanceOf(ExpressionRuntimeError);
  });

  it('accepts "True"/"False" strings (what @{...} produces) and rejects other non-booleans', () => {
    expect(compileTriggerCondition('@{equals(1, 1)}').test(outputs).matched).toBe(true);
    expect(compileTriggerCondition('@{equals(1, 2)}').test(outputs).matched).toBe(false);
    const r = compileTriggerCondition('@add(1, 1)').test(outputs);
    expect(r).toMatchObject({ matched: false });
    expect(r.error?.message).toMatch(/must evaluate to a boolean/);
  });
});

describe('limits and hostile input', () => {
  it('bounds expression length, depth, sizes and steps', () => {
    expect(() => compileExpression('@' + 'x'.repeat(9000))).toThrow(ExpressionLimitError);
    expect(() => compileExpression('@' + 'not('.repeat(100) + 'true' + ')'.repeat(100))).toThrow(ExpressionLimitError);
    expect(() => compileExpression('@concat(string(range(0, 100000)), string(range(0, 100000)))', { limits: { maxStringLength: 1000 } }).evaluate()).toThrow(
      ExpressionLimitError,
    );
    expect(() => compileExpression('@union(range(0, 5000), range(0, 5000))', { limits: { maxSteps: 10_000 } }).evaluate()).toThrow(ExpressionLimitError);
    expect(() => compileExpression('@x', { limits: { maxDepth: 0 } })).toThrow(RangeError);
  });

  it('arbitrary text never throws anything but the engine errors and stays within limits', () => {
    const alphabet = fc.constantFrom(...'@{}()[]?.,\'"0123456789-abcdefnotequalsrgyuix _/'.split(''));
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 60 }).map((a) => a.join('')),
        (src) => {
          try {
            compileExpression(src, { limits: { maxSteps: 5_000 } }).evaluate({ triggerOutputs: outputs });
          } catch (e) {
            expect(e).toBeInstanceOf(ExpressionError);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('random well-formed calls only fail with engine errors', () => {
    const leaf = fc.oneof(fc.integer().map(String), fc.constantFrom("'a'", "'2018-01-01'", 'null', 'true', '1.5', 'triggerBody()', 'createArray(1,2)'));
    const names = [
      'concat',
      'length',
      'add',
      'equals',
      'substring',
      'split',
      'json',
      'string',
      'range',
      'first',
      'formatDateTime',
      'union',
      'int',
      'float',
      'join',
      'skip',
      'take',
      'replace',
      'mul',
    ];
    const call = fc.tuple(fc.constantFrom(...names), fc.array(leaf, { minLength: 1, maxLength: 3 })).map(([n, a]) => `@${n}(${a.join(', ')})`);
    fc.assert(
      fc.property(call, (src) => {
        try {
          compileExpression(src, { limits: { maxSteps: 50_000 } }).evaluate({ triggerOutputs: outputs });
        } catch (e) {
          expect(e).toBeInstanceOf(ExpressionError);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
