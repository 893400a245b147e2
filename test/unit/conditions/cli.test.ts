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

  it('treats an argument without @ as a literal string', () => {
    expect(dvsync('not an expression').stdout).toBe('"not an expression"\n');
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
