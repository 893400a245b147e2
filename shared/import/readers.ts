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
  const skipped: RawRecord[] = [];
  let lastEnd = 1; // the header line
  let lastEmpty = 0;
  parser.on('skip', (err: Error & { lines?: number }) => {
    const end = err.lines ?? lastEnd + 1;
    skipped.push({ line: Math.min(lastEnd + 1, end), endLine: end, bytes: 0, error: `not a valid CSV record (${err.message})` });
    lastEnd = end;
  });
  createReadStream(file).on('error', (e) => parser.destroy(e)).pipe(parser);
  for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; bytes: number; empty_lines: number } }>) {
    while (skipped.length) yield { ...(skipped.shift() as RawRecord), bytes: item.info.bytes };
    const line = Math.min(lastEnd + 1 + item.info.empty_lines - lastEmpty, item.info.lines);
    lastEnd = item.info.lines;
    lastEmpty = item.info.empty_lines;
    yield { line, endLine: item.info.lines, values: item.record, bytes: item.info.bytes };
  }
  for (const s of skipped) yield s;
}
