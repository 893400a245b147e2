import { spawn } from 'node:child_process';
import path from 'node:path';

const CLI = path.join(__dirname, '..', '..', '..', '..', '..', 'dist', 'cli', 'dvsync.js');

describe('dvsync emulator dataverse', () => {
  it('prints the base URLs, serves requests and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, 'emulator', 'dataverse', '--port', '0', '--time-scale', '0.001'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const urls = await new Promise<Record<string, string>>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('operator:')) resolve(Object.fromEntries([...out.matchAll(/^\s+(\w+): (\S+)$/gm)].map((m) => [m[1], m[2]])));
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    expect(urls.source).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/source\/api\/data\/v9\.2\/$/);
    expect(urls.target).toMatch(/\/target\/api\/data\/v9\.2\/$/);
    expect(urls.default).toMatch(/:\d+\/api\/data\/v9\.2\/$/);
    const r = await fetch(`${urls.target}accounts`, {
      method: 'POST',
      headers: { authorization: 'Bearer cli', 'content-type': 'application/json' },
      body: '{"name":"x"}',
    });
    expect(r.status).toBe(204);
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('rejects an unknown option with exit code 2', async () => {
    const child = spawn(process.execPath, [CLI, 'emulator', 'dataverse', '--prot', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(2);
    expect(err).toContain('unknown option "--prot"');
  });
});
