/**
 * multipart/mixed reading for `$batch` (Learn: webapi/execute-batch-operations-using-web-api): boundary from Content-Type,
 * parts between `--boundary` delimiter lines, closing `--boundary--`, headers then body per part.
 */
import { bareLineFeedError, batchPayloadError } from './errors';

export interface MimePart {
  /** Header names lowercased. */
  headers: Record<string, string>;
  body: string;
}

export function boundaryOf(contentType: string | undefined, where: string): string {
  if (!contentType || !/^\s*multipart\/mixed\b/i.test(contentType)) {
    throw batchPayloadError(`${where}: the Content-Type must be 'multipart/mixed; boundary=<boundary>', got '${contentType ?? '(none)'}'.`);
  }
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw batchPayloadError(`${where}: the Content-Type '${contentType}' has no boundary parameter; add '; boundary=batch_<id>'.`);
  return boundary;
}

/** Line ending of a payload: CRLF unless the text uses bare LF. Strict mode rejects bare LF like Dataverse can (https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors). */
export function checkLineEndings(text: string, strict: boolean): void {
  if (strict && /(^|[^\r])\n/.test(text)) throw bareLineFeedError();
}

/** Split `text` into its parts. `where` names the batch or change set in errors. */
export function splitMultipart(text: string, boundary: string, where: string): MimePart[] {
  const lines = text.split(/\r?\n/);
  const delimiter = `--${boundary}`;
  const parts: MimePart[] = [];
  let current: string[] | undefined;
  let closed = false;
  for (const line of lines) {
    const trimmed = line.replace(/[ \t]+$/, '');
    if (trimmed === `${delimiter}--`) {
      if (current) parts.push(parsePart(current, where, parts.length + 1));
      current = undefined;
      closed = true;
      break;
    }
    if (trimmed === delimiter) {
      if (current) parts.push(parsePart(current, where, parts.length + 1));
      current = [];
      continue;
    }
    current?.push(line); // text before the first delimiter is preamble and ignored
  }
  if (!closed) {
    if (parts.length === 0 && current === undefined) throw batchPayloadError(`${where}: the boundary delimiter '${delimiter}' was not found in the body.`);
    throw batchPayloadError(`${where}: the closing delimiter '${delimiter}--' is missing; end the body with it.`);
  }
  return parts;
}

function parsePart(lines: string[], where: string, index: number): MimePart {
  const headers: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const colon = lines[i].indexOf(':');
    if (colon <= 0) throw batchPayloadError(`${where}, part ${index}: the header line '${lines[i]}' is not 'Name: value'.`);
    headers[lines[i].slice(0, colon).trim().toLowerCase()] = lines[i].slice(colon + 1).trim();
  }
  // The CRLF before the next delimiter belongs to the delimiter, not the body.
  return { headers, body: lines.slice(i + 1).join('\r\n') };
}
