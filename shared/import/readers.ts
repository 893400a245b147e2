/**
 * Streaming record readers. Each yields one RawRecord per record with its line numbers, or an error
 * for a line that is not a record at all, so no line is ever silently dropped. Memory stays flat
 * whatever the file size.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';

export interface RawRecord {
  /** First and last physical line of the record (CSV quoted fields may span lines). */
  line: number;
  endLine: number;
  values?: Record<string, unknown>;
  /** Why the line is not a record (syntax); values is then absent. */
  error?: string;
  /** Bytes of the file consumed so far (progress). */
  bytes: number;
}

export function readRecords(file: string, format: 'jsonl' | 'csv'): AsyncIterable<RawRecord> {
  return format === 'csv' ? readCsv(file) : readJsonLines(file);
}

export async function* readJsonLines(file: string): AsyncIterable<RawRecord> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  let bytes = 0;
  for await (const text of lines) {
    line++;
    bytes += Buffer.byteLength(text, 'utf8') + 1;
    const trimmed = (line === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
    if (trimmed === '') continue; // blank lines carry no record
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (err) {
      yield { line, endLine: line, bytes, error: `not valid JSON (${(err as Error).message})` };
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      yield { line, endLine: line, bytes, error: `expected a JSON object per line, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}` };
      continue;
    }
    yield { line, endLine: line, bytes, values: value as Record<string, unknown> };
  }
}

/** RFC 4180 CSV via csv-parse: header row names the columns; quoted fields may hold commas, quotes and newlines. */
export async function* readCsv(file: string): AsyncIterable<RawRecord> {
  const parser = parse({ columns: true, info: true, bom: true, skip_empty_lines: true, skip_records_with_error: true });
  // 'skip' events can fire before records parsed earlier are consumed: order everything by line.
  const skipped: Array<{ endLine: number; error: string }> = [];
  parser.on('skip', (err: Error & { lines?: number }) => skipped.push({ endLine: err.lines ?? 0, error: `not a valid CSV record (${err.message})` }));
  createReadStream(file)
    .on('error', (e) => parser.destroy(e))
    .pipe(parser);
  let prevEnd = 1; // the header line
  let prevEmpty = 0;
  let bytes = 0;
  const flushSkipped = function* (before: number): Iterable<RawRecord> {
    skipped.sort((a, b) => a.endLine - b.endLine);
    while (skipped.length && skipped[0].endLine < before) {
      const s = skipped.shift() as { endLine: number; error: string };
      yield { line: Math.min(prevEnd + 1, s.endLine), endLine: s.endLine, bytes, error: s.error };
      prevEnd = s.endLine;
    }
  };
  for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; bytes: number; empty_lines: number } }>) {
    yield* flushSkipped(item.info.lines);
    bytes = item.info.bytes;
    const line = Math.min(prevEnd + 1 + item.info.empty_lines - prevEmpty, item.info.lines);
    prevEnd = item.info.lines;
    prevEmpty = item.info.empty_lines;
    yield { line, endLine: item.info.lines, values: item.record, bytes };
  }
  yield* flushSkipped(Number.MAX_SAFE_INTEGER);
}
