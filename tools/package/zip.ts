/**
 * A small ZIP writer, and the reader the packager checks its output with. Node 20 and npm have no zip tool, and
 * the format we need is small: PKWARE APPNOTE.TXT 6.3 section 4.3 (local file header, file data, central
 * directory, end of central directory record), deflate (method 8) from node:zlib or stored (method 0) when deflate
 * does not shrink a file, UTF-8 names (general purpose flag bit 11), Unix permissions in the external attributes.
 * No ZIP64: more than 65,535 entries or 4 GiB is refused, far above a Functions package.
 * The output is deterministic (entries in the order given, one fixed timestamp): the same tree gives the same bytes.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import * as zlib from 'node:zlib';

export interface ZipInput {
  /** Path inside the archive, with "/" separators. */
  name: string;
  /** The file's bytes, or the path of the file to read them from. */
  data: Buffer | string;
  executable?: boolean;
}

export interface ZipEntry {
  name: string;
  method: 0 | 8;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Offset of the local file header. */
  offset: number;
  mode: number;
}

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const UTF8 = 0x0800;
const VERSION = 20; // 2.0: deflate
const MADE_BY_UNIX = (3 << 8) | VERSION;
// 1980-01-01 00:00:00, the first instant MS-DOS dates can express.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, the one ZIP uses); node:zlib's own when this Node has it (20.15+). */
export function crc32(data: Buffer): number {
  const native = (zlib as { crc32?: (d: Buffer) => number }).crc32;
  if (native) return native(data) >>> 0;
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Writes `entries` to `file`; returns what the central directory lists. */
export function writeZip(file: string, entries: Iterable<ZipInput>): ZipEntry[] {
  const fd = openSync(file, 'w');
  const written: ZipEntry[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const write = (b: Buffer): void => {
    writeSync(fd, b);
    offset += b.length;
  };
  try {
    for (const input of entries) {
      if (written.length === MAX16) throw new Error('zip: more than 65,535 entries needs ZIP64, which this writer does not do');
      const name = Buffer.from(input.name, 'utf8');
      if (!input.name || input.name.startsWith('/') || input.name.includes('\\') || input.name.split('/').includes('..'))
        throw new Error(`zip: "${input.name}" is not a relative path with "/" separators`);
      const data = typeof input.data === 'string' ? readFileSync(input.data) : input.data;
      const deflated = zlib.deflateRawSync(data);
      const method: 0 | 8 = deflated.length < data.length ? 8 : 0;
      const body = method === 8 ? deflated : data;
      if (data.length >= MAX32 || body.length >= MAX32 || offset >= MAX32) throw new Error('zip: 4 GiB or more needs ZIP64, which this writer does not do');
      const entry: ZipEntry = {
        name: input.name,
        method,
        crc32: crc32(data),
        compressedSize: body.length,
        size: data.length,
        offset,
        mode: input.executable ? 0o100755 : 0o100644,
      };
      const local = Buffer.alloc(30);
      local.writeUInt32LE(LOCAL, 0);
      local.writeUInt16LE(VERSION, 4);
      local.writeUInt16LE(UTF8, 6);
      local.writeUInt16LE(method, 8);
      local.writeUInt16LE(DOS_TIME, 10);
      local.writeUInt16LE(DOS_DATE, 12);
      local.writeUInt32LE(entry.crc32, 14);
      local.writeUInt32LE(entry.compressedSize, 18);
      local.writeUInt32LE(entry.size, 22);
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(0, 28);
      write(local);
      write(name);
      write(body);

      const header = Buffer.alloc(46);
      header.writeUInt32LE(CENTRAL, 0);
      header.writeUInt16LE(MADE_BY_UNIX, 4);
      header.writeUInt16LE(VERSION, 6);
      header.writeUInt16LE(UTF8, 8);
      header.writeUInt16LE(method, 10);
      header.writeUInt16LE(DOS_TIME, 12);
      header.writeUInt16LE(DOS_DATE, 14);
      header.writeUInt32LE(entry.crc32, 16);
      header.writeUInt32LE(entry.compressedSize, 20);
      header.writeUInt32LE(entry.size, 24);
      header.writeUInt16LE(name.length, 28);
      // extra field length, comment length, disk number start, internal attributes: 0
      header.writeUInt32LE((entry.mode << 16) >>> 0, 38);
      header.writeUInt32LE(entry.offset, 42);
      central.push(header, name);
      written.push(entry);
    }
    const start = offset;
    for (const b of central) write(b);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(END, 0);
    end.writeUInt16LE(written.length, 8);
    end.writeUInt16LE(written.length, 10);
    end.writeUInt32LE(offset - start, 12);
    end.writeUInt32LE(start, 16);
    write(end);
  } finally {
    closeSync(fd);
  }
  return written;
}

/** The central directory of a ZIP file (no ZIP64, no multi-disk): what an unzip tool lists. */
export function readZip(zip: Buffer): ZipEntry[] {
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - MAX16); i--) {
    if (zip.readUInt32LE(i) === END) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error('zip: no end of central directory record');
  const count = zip.readUInt16LE(end + 10);
  let p = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(p) !== CENTRAL) throw new Error(`zip: central directory entry ${i} is damaged`);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const method = zip.readUInt16LE(p + 10);
    if (method !== 0 && method !== 8) throw new Error(`zip: entry ${i} uses compression method ${method}`);
    entries.push({
      name: zip.toString('utf8', p + 46, p + 46 + nameLength),
      method,
      crc32: zip.readUInt32LE(p + 16),
      compressedSize: zip.readUInt32LE(p + 20),
      size: zip.readUInt32LE(p + 24),
      offset: zip.readUInt32LE(p + 42),
      mode: zip.readUInt32LE(p + 38) >>> 16,
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** One entry's bytes, read from its local header and checked against the central directory's CRC-32 and size. */
export function extractEntry(zip: Buffer, entry: ZipEntry): Buffer {
  const p = entry.offset;
  if (zip.readUInt32LE(p) !== LOCAL) throw new Error(`zip: ${entry.name}: no local file header at ${p}`);
  const start = p + 30 + zip.readUInt16LE(p + 26) + zip.readUInt16LE(p + 28);
  const body = zip.subarray(start, start + entry.compressedSize);
  const data = entry.method === 8 ? zlib.inflateRawSync(body) : Buffer.from(body);
  if (data.length !== entry.size || crc32(data) !== entry.crc32) throw new Error(`zip: ${entry.name}: size or CRC-32 does not match`);
  return data;
}
