/** The packager's ZIP writer and reader (tools/package/zip.ts). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { crc32, extractEntry, readZip, writeZip } from '../../../tools/package/zip';

const dir = mkdtempSync(join(tmpdir(), 'dvsync-zip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeZip', () => {
  const inputs = [
    { name: 'host.json', data: Buffer.from('{"version":"2.0"}\n'.repeat(50)) },
    { name: 'empty.txt', data: Buffer.alloc(0) },
    { name: 'dist/functions/index.js', data: Buffer.from('module.exports = 1;\n') },
    { name: 'node_modules/é/ünïcode.js', data: Buffer.from([0, 1, 2, 3, 255]) },
    { name: 'node_modules/.bin/tool', data: Buffer.from('#!/bin/sh\n'), executable: true },
  ];

  it('round-trips names, bytes and modes, deflating what shrinks and storing the rest', () => {
    const file = join(dir, 'a.zip');
    const written = writeZip(file, inputs);
    const zip = readFileSync(file);
    const listed = readZip(zip);
    expect(listed).toEqual(written);
    expect(listed.map((e) => e.name)).toEqual(inputs.map((i) => i.name));
    for (const [i, e] of listed.entries()) expect(extractEntry(zip, e)).toEqual(inputs[i]!.data);
    expect(listed[0]!.method).toBe(8);
    expect(listed[0]!.compressedSize).toBeLessThan(listed[0]!.size);
    expect(listed[3]!.method).toBe(0);
    expect(listed.map((e) => e.mode.toString(8))).toEqual(['100644', '100644', '100644', '100644', '100755']);
    // The deflate stream is plain raw deflate, as any unzip reads it.
    const host = listed[0]!;
    const start = host.offset + 30 + Buffer.byteLength(host.name);
    expect(inflateRawSync(zip.subarray(start, start + host.compressedSize))).toEqual(inputs[0]!.data);
  });

  it('writes the same bytes for the same entries (no timestamps from the clock)', () => {
    writeZip(join(dir, 'b.zip'), inputs);
    writeZip(join(dir, 'c.zip'), inputs);
    expect(readFileSync(join(dir, 'b.zip')).equals(readFileSync(join(dir, 'c.zip')))).toBe(true);
  });

  it('reads file data from a path', () => {
    writeZip(join(dir, 'd.zip'), [{ name: 'a.zip', data: join(dir, 'a.zip') }]);
    const zip = readFileSync(join(dir, 'd.zip'));
    expect(extractEntry(zip, readZip(zip)[0]!)).toEqual(readFileSync(join(dir, 'a.zip')));
  });

  it('refuses names that would land outside the folder it is extracted to', () => {
    for (const name of ['/etc/passwd', '../up.js', 'a/../../b', 'dist\\index.js', ''])
      expect(() => writeZip(join(dir, 'e.zip'), [{ name, data: Buffer.from('x') }])).toThrow('is not a relative path');
  });

  it('detects a damaged entry', () => {
    const file = join(dir, 'f.zip');
    writeZip(file, [{ name: 'x.txt', data: Buffer.from('hello hello hello hello hello') }]);
    const zip = readFileSync(file);
    const [entry] = readZip(zip);
    zip[30 + 'x.txt'.length] ^= 0xff;
    expect(() => extractEntry(zip, entry!)).toThrow();
  });
});

test('crc32 is the CRC-32 of ZIP (check value of "123456789")', () => {
  expect(crc32(Buffer.from('123456789')).toString(16)).toBe('cbf43926');
  expect(crc32(Buffer.alloc(0))).toBe(0);
});
