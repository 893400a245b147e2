/**
 * Raw request body → validated RemoteExecutionContext.
 * The bytes are decoded as UTF-8 with a fatal decoder: Dataverse does not document a charset, and a body
 * that is not valid UTF-8 is refused (400) rather than silently "repaired" into different text.
 */
import { IntakeRejection } from './errors';
import { JsonSyntaxError, parseJson, type JsonValue } from '../util/json';
import { checkSchema } from '../util/schema-check';
import { remoteContextSchema, type RemoteContext } from './remote-context';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** `application/json`, `application/*+json`, with or without parameters. A missing Content-Type is tolerated. */
export function isJsonContentType(contentType: string | null | undefined): boolean {
  if (!contentType) return true;
  const media = contentType.split(';')[0].trim().toLowerCase();
  return media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json')) || media === 'text/json';
}

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new IntakeRejection(400, 'invalid_encoding', `The body is not valid UTF-8 (first invalid byte at offset ${at}). Send the JSON encoded as UTF-8.`, [
      { path: `byte offset ${at}`, message: 'not valid UTF-8' },
    ]);
  }
}

/** Decodes and parses JSON; malformed JSON is a 400 naming line and column. */
export function parseJsonBody(bytes: Uint8Array): JsonValue {
  const text = decodeUtf8(bytes);
  try {
    return parseJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      throw new IntakeRejection(400, 'malformed_json', `The body is not valid JSON: ${e.message}.`, [
        { path: `line ${e.line}, column ${e.column}`, message: e.detail },
      ]);
    }
    throw e;
  }
}

export function parseRemoteContext(bytes: Uint8Array): RemoteContext {
  const json = parseJsonBody(bytes);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    const found = json === null ? 'null' : Array.isArray(json) ? 'an array' : `a ${typeof json === 'object' ? 'number' : typeof json}`;
    throw new IntakeRejection(400, 'invalid_payload', `The body must be a JSON object (a Dataverse RemoteExecutionContext), not ${found}.`, [
      { path: '(root)', message: `expected an object, found ${found}` },
    ]);
  }
  const r = checkSchema(remoteContextSchema, json);
  if (!r.value) {
    const first = r.problems[0];
    throw new IntakeRejection(
      400,
      'invalid_payload',
      `The body is not a Dataverse RemoteExecutionContext: ${r.problems.length} problem(s); first: ${first.path}: ${first.message}.`,
      r.problems,
    );
  }
  return r.value;
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (len === 0 || i + len > bytes.length) return i;
    for (let k = 1; k < len; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    try {
      utf8.decode(bytes.subarray(i, i + len));
    } catch {
      return i;
    }
    i += len;
  }
  return i;
}
