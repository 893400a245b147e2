/** `dvsync expr` through the built CLI, as users run it. */
import { spawnSync } from 'child_process';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import path from 'path';

const CLI = path.join(__dirname, '..', '..', '..', 'dist', 'cli', 'dvsync.js');
const dvsync = (...args: string[]) => spawnSync(process.execPath, [CLI, 'expr', ...args], { encoding: 'utf8' });

describe('dvsync expr', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dvsync-expr-'));
  const triggerFile = path.join(dir, 'trigger.json');
  writeFileSync(triggerFile, JSON.stringify({ headers: {}, body: { stepname: 'Lost', statuscode: 2 } }));

  it('prints the result as JSON and exits 0', () => {
    const r = dvsync("@or(equals(triggerOutputs()?['body/stepname'], 'Won'), equals(triggerOutputs()?['body/stepname'], 'Lost'))", '--trigger', triggerFile);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('true\n');
    expect(dvsync('@div(11, 5.0)').stdout).toBe('2.2\n');
    expect(dvsync("@createArray('a', 1)").stdout).toBe('["a",1]\n');
  });

  it('treats an argument without @ as a literal string, except a bare function call', () => {
    expect(dvsync('not an expression').stdout).toBe('"not an expression"\n');
    expect(dvsync('array[1]').stdout).toBe('"array[1]"\n');
    expect(dvsync('@@').stdout).toBe('"@"\n');
    expect(dvsync('add(1, 1.5)').stdout).toBe('2.5\n');
    expect(dvsync("equals(triggerOutputs()?['body/stepname'], 'Lost')", '--trigger', triggerFile).stdout).toBe('true\n');
    const bad = dvsync('add(1,');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/ExpressionSyntaxError/);
  });

  it('interpolates @{…} into a string and keeps quotes, newlines and unicode intact', () => {
    expect(dvsync("Status: @{triggerBody()?['statuscode']} of @{length('ab')}", '--trigger', triggerFile).stdout).toBe('"Status: 2 of 2"\n');
    expect(dvsync(`@concat('say "hi"', '\n', 'Zürich 😀')`).stdout).toBe('"say \\"hi\\"\\nZürich 😀"\n');
    expect(dvsync(`@json('{"a": "x\\ny"}')`).stdout).toBe('{"a":"x\\ny"}\n');
    expect(dvsync('@equals(\n  1,\n  1\n)').stdout).toBe('true\n');
  });

  it('prints every JSON type as the engine produces it', () => {
    expect(dvsync("@float('3')").stdout).toBe('3\n');
    expect(dvsync('@div(1, 2.0)').stdout).toBe('0.5\n');
    expect(dvsync('@coalesce(null)').stdout).toBe('null\n');
    expect(dvsync("@addDays('2018-03-15T00:00:00Z', 10)").stdout).toBe('"2018-03-25T00:00:00.0000000Z"\n');
    expect(dvsync('@json(\'{"a":[1,{"b":true}]}\')').stdout).toBe('{"a":[1,{"b":true}]}\n');
  });

  it('fixes the clock with --now', () => {
    expect(dvsync("@utcNow('yyyy-MM-dd')", '--now', '2020-02-29T10:00:00Z').stdout).toBe('"2020-02-29"\n');
  });

  it('prints errors on stderr and exits 1', () => {
    const r = dvsync("@equals(triggerBody()['nope'], 1)", '--trigger', triggerFile);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/ExpressionRuntimeError: The property 'nope' doesn't exist/);
    const s = dvsync('@equals(1,');
    expect(s.status).toBe(1);
    expect(s.stderr).toMatch(/ExpressionSyntaxError/);
  });

  it('rejects a missing or unreadable trigger file', () => {
    expect(dvsync('@triggerBody()', '--trigger', path.join(dir, 'missing.json')).status).toBe(1);
    expect(dvsync().status).toBe(2);
  });
});
