/**
 * AMQP 1.0 type-system arithmetic on raw bytes (spec part 1, "Encodings"): the length of an
 * encoded value from its constructor, and section descriptors. Lets the intake walk a message's
 * sections without decoding the body.
 */

/** Offset just past the AMQP value whose constructor starts at `pos`. Throws on bytes that are not one. */
export function valueEnd(buf: Buffer, pos: number): number {
  if (pos >= buf.length) throw new Error(`an AMQP value was expected at byte ${pos}, but the data ends there`);
  const code = buf[pos];
  let end: number;
  if (code === 0x00) return valueEnd(buf, valueEnd(buf, pos + 1)); // described: descriptor, then the value
  switch (code >> 4) {
    case 0x4:
      end = pos + 1;
      break;
    case 0x5:
      end = pos + 2;
      break;
    case 0x6:
      end = pos + 3;
      break;
    case 0x7:
      end = pos + 5;
      break;
    case 0x8:
      end = pos + 9;
      break;
    case 0x9:
      end = pos + 17;
      break;
    case 0xa:
    case 0xc:
    case 0xe:
      if (pos + 1 >= buf.length) throw new Error(`the AMQP value at byte ${pos} is cut off before its size`);
      end = pos + 2 + buf[pos + 1];
      break;
    case 0xb:
    case 0xd:
    case 0xf:
      if (pos + 5 > buf.length) throw new Error(`the AMQP value at byte ${pos} is cut off before its size`);
      end = pos + 5 + buf.readUInt32BE(pos + 1);
      break;
    default:
      throw new Error(`byte ${pos} holds 0x${code.toString(16).padStart(2, '0')}, which is not an AMQP type constructor`);
  }
  if (end > buf.length) throw new Error(`the AMQP value at byte ${pos} claims ${end - pos} bytes, but only ${buf.length - pos} remain`);
  return end;
}

const SYMBOLIC_SECTIONS: Record<string, number> = {
  'amqp:header:list': 0x70,
  'amqp:delivery-annotations:map': 0x71,
  'amqp:message-annotations:map': 0x72,
  'amqp:properties:list': 0x73,
  'amqp:application-properties:map': 0x74,
  'amqp:data:binary': 0x75,
  'amqp:amqp-sequence:list': 0x76,
  'amqp:amqp-value:*': 0x77,
  'amqp:footer:map': 0x78,
};

/** The section code (0x70 header … 0x78 footer) of the described section at `pos`. */
export function sectionCodeAt(buf: Buffer, pos: number): number {
  if (buf[pos] !== 0x00) throw new Error(`a message section must start with a descriptor (0x00) but byte ${pos} is 0x${(buf[pos] ?? 0).toString(16)}`);
  const d = buf[pos + 1];
  if (d === 0x53) return buf[pos + 2]; // smallulong
  if (d === 0x80) return Number(buf.readBigUInt64BE(pos + 2)); // ulong
  if (d === 0xa3 || d === 0xb3) {
    const wide = d === 0xb3;
    const len = wide ? buf.readUInt32BE(pos + 2) : buf[pos + 2];
    const start = pos + (wide ? 6 : 3);
    return SYMBOLIC_SECTIONS[buf.toString('latin1', start, start + len)] ?? -1;
  }
  throw new Error(`the section at byte ${pos} has a descriptor of type 0x${(d ?? 0).toString(16)}; expected a ulong or symbol`);
}

/** Offset of the value inside the described section at `pos` (just past its descriptor). */
export function sectionValueStart(buf: Buffer, pos: number): number {
  return valueEnd(buf, pos + 1);
}

/** The content of a binary value (vbin8 / vbin32) at `pos`. */
export function binaryAt(buf: Buffer, pos: number): Buffer {
  const code = buf[pos];
  if (code === 0xa0) return buf.subarray(pos + 2, pos + 2 + buf[pos + 1]);
  if (code === 0xb0) return buf.subarray(pos + 5, pos + 5 + buf.readUInt32BE(pos + 1));
  throw new Error(`a data section must hold binary, but byte ${pos} is 0x${(code ?? 0).toString(16)}`);
}

/** Writes a non-negative integer below 2^53 as 8 big-endian bytes (long, timestamp) without BigInt. */
export function writeInt64(buf: Buffer, value: number, offset: number): number {
  const v = Math.trunc(value);
  const hi = Math.floor(v / 0x100000000);
  buf.writeInt32BE(hi, offset);
  buf.writeUInt32BE(v - hi * 0x100000000, offset + 4);
  return offset + 8;
}

/** Returned by `readScalar` for a type it does not read (the caller falls back to a full decoder). */
export const UNREAD = Symbol('unread');

/** Reads null, boolean, ubyte, uint or string at `pos`; anything else is UNREAD. */
export function readScalar(buf: Buffer, pos: number): boolean | number | string | undefined | typeof UNREAD {
  switch (buf[pos]) {
    case 0x40:
      return undefined;
    case 0x41:
      return true;
    case 0x42:
      return false;
    case 0x56:
      return buf[pos + 1] !== 0;
    case 0x50:
    case 0x52:
      return buf[pos + 1];
    case 0x43:
      return 0;
    case 0x70:
      return buf.readUInt32BE(pos + 1);
    case 0xa1:
      return buf.toString('utf8', pos + 2, pos + 2 + buf[pos + 1]);
    case 0xb1:
      return buf.toString('utf8', pos + 5, pos + 5 + buf.readUInt32BE(pos + 1));
    default:
      return UNREAD;
  }
}

/**
 * Reads the fields named in `wanted` (list index → name) from the described list section at `pos`
 * into `into`, skipping null ones. Returns false, leaving `into` untouched, when the section is not a
 * list or a wanted field has a type `readScalar` does not read.
 */
export function readListFields(buf: Buffer, pos: number, wanted: readonly (string | undefined)[], into: Record<string, unknown>): boolean {
  const listAt = sectionValueStart(buf, pos);
  const code = buf[listAt];
  let count: number;
  let at: number;
  if (code === 0x45) {
    count = 0;
    at = listAt + 1;
  } else if (code === 0xc0) {
    count = buf[listAt + 2];
    at = listAt + 3;
  } else if (code === 0xd0) {
    count = buf.readUInt32BE(listAt + 5);
    at = listAt + 9;
  } else return false;
  const found: [string, unknown][] = [];
  for (let i = 0; i < count && i < wanted.length; i++) {
    const name = wanted[i];
    if (name !== undefined) {
      const v = readScalar(buf, at);
      if (v === UNREAD) return false;
      if (v !== undefined) found.push([name, v]);
    }
    at = valueEnd(buf, at);
  }
  for (const [name, v] of found) into[name] = v;
  return true;
}
