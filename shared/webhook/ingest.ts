/**
 * Records from external systems for a route whose source is external (`source.recordColumns`):
 * POST /api/ingest/{route} and the dvsync-inbound queue. Accepted shapes: one record object,
 * an array of records, or `{ records: [...] }` (the inbound queue also takes `{ route, record | records }`).
 * All records are validated first; one bad record refuses the whole request (nothing is enqueued) and
 * every bad record is named by index and field.
 */
import { randomUUID } from 'node:crypto';
import type { SourceRow, SourceValue } from '../model/source-value';
import { ingestChange, sourceColumnOf } from '../queue/build';
import { offloadLargeMessages } from '../queue/large-messages';
import { externalRecordId, matchRow } from '../routes/filter';
import type { LoadedRoute } from '../routes/load';
import { IntakeRejection } from './errors';
import { readCheckedBody, rejectionResponse, type IntakeHttpRequest, type IntakeHttpResponse } from './http';
import { ExactNumber, type JsonValue } from '../util/json';
import type { PathProblem } from '../util/path';
import { parseJsonBody } from './parse';
import type { IntakeRuntime } from './runtime';
import { toRejection } from './intake';
import type { Telemetry } from '../telemetry/telemetry';
import { emitOutcome } from '../telemetry/outcomes';

export function externalRoute(rt: IntakeRuntime, name: string): LoadedRoute {
  const loaded = rt.routes.byName.get(name);
  if (!loaded) throw new IntakeRejection(404, 'unknown_route', `There is no route "${name}" in ${rt.routes.origin}.`);
  if (!loaded.route.source.recordColumns)
    throw new IntakeRejection(400, 'invalid_records', `Route "${name}" has a Dataverse source; ingest needs a route with source.recordColumns.`);
  if (!loaded.route.enabled) throw new IntakeRejection(400, 'invalid_records', `Route "${name}" is disabled.`);
  return loaded;
}

export function recordsOf(json: JsonValue): JsonValue[] {
  if (Array.isArray(json)) return json;
  if (json !== null && typeof json === 'object' && !(json instanceof ExactNumber) && Array.isArray(json.records)) return json.records;
  return [json];
}

/** Validates every record against the route; throws one IntakeRejection listing all problems. */
export function validateRecords(loaded: LoadedRoute, records: JsonValue[]): SourceRow[] {
  const columns = loaded.route.source.recordColumns!;
  const keySources = loaded.route.target.key.map((k) => sourceColumnOf(loaded.route, k));
  const problems: PathProblem[] = [];
  if (records.length === 0) problems.push({ path: 'records', message: 'no records (send an object, an array, or {"records": [...]})' });
  const rows = records.map((rec, i) => {
    const row: SourceRow = {};
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec) || rec instanceof ExactNumber) {
      problems.push({ path: `records[${i}]`, message: 'expected a JSON object' });
      return row;
    }
    for (const [field, value] of Object.entries(rec)) {
      const type = columns[field];
      if (!type) {
        problems.push({ path: `records[${i}].${field}`, message: `unknown field (route "${loaded.route.name}" accepts ${Object.keys(columns).join(', ')})` });
        continue;
      }
      const v = typed(value, type);
      if (v === undefined)
        problems.push({ path: `records[${i}].${field}`, message: `expected ${type}${type === 'datetime' ? ' (ISO 8601 with a time zone)' : ''} or null` });
      else row[field] = v;
    }
    for (const k of keySources)
      if (row[k] === undefined || row[k] === null) problems.push({ path: `records[${i}].${k}`, message: 'missing (a key column of the target row)' });
    return row;
  });
  if (problems.length)
    throw new IntakeRejection(
      400,
      'invalid_records',
      `${problems.length} problem(s) in the records; nothing was accepted. First: ${problems[0].path}: ${problems[0].message}.`,
      problems,
    );
  return rows;
}

function typed(value: JsonValue, type: string): SourceValue | undefined {
  if (value === null) return null;
  const n = value instanceof ExactNumber ? value : typeof value === 'number' ? value : undefined;
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'number':
      return n instanceof ExactNumber ? { $type: 'decimal', value: n.text } : n;
    case 'integer':
      if (typeof n === 'number') return Number.isInteger(n) ? n : undefined;
      return n instanceof ExactNumber && /^-?\d+$/.test(n.text) ? { $type: 'decimal', value: n.text } : undefined;
    case 'datetime': {
      if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
      const t = Date.parse(value);
      return Number.isNaN(t) ? undefined : { $type: 'datetime', iso: new Date(t).toISOString() };
    }
    default: // any
      if (n instanceof ExactNumber) return { $type: 'decimal', value: n.text };
      return typeof value === 'object' ? JSON.stringify(value) : value;
  }
}

export interface RecordsOutcome {
  /** Records enqueued. */
  accepted: number;
  /** Records the route's filters excluded (trigger conditions), by position in the request, with the reason. */
  skipped: Array<{ index: number; reason: string }>;
}

/** Validates, filters (shared/routes/filter.ts) and enqueues. Throws IntakeRejection / queue errors. */
export async function enqueueRecords(rt: IntakeRuntime, routeName: string, records: JsonValue[]): Promise<RecordsOutcome> {
  const loaded = externalRoute(rt, routeName);
  const rows = validateRecords(loaded, records);
  const receivedAt = rt.now();
  // Records of one request are ordered by position; two requests in the same millisecond are not (see shared/model/version.ts).
  const producer = randomUUID().replace(/-/g, '').slice(0, 16);
  const changes = [];
  const skipped: RecordsOutcome['skipped'] = [];
  for (let seq = 0; seq < rows.length; seq++) {
    const decision = matchRow(loaded, { operation: 'upsert', rowId: externalRecordId(loaded.route, rows[seq]), values: rows[seq] });
    if (decision.matched)
      changes.push(ingestChange(rows[seq], loaded.route, 'ingest', { sessionBuckets: rt.settings.intake.sessionBuckets, receivedAt }, { seq, producer }));
    else skipped.push({ index: seq, reason: decision.reason });
  }
  if (changes.length) await rt.publisher.publish(await offloadLargeMessages(changes, rt.settings.storage.largeMessageThresholdBytes, rt.largeMessages));
  return { accepted: changes.length, skipped };
}

/** POST /api/ingest/{route}: 202 {accepted: n, skipped: [{index, reason}]}; 400/401/404/413/415 as for the webhook; 503 when the queue is down. */
export async function handleIngest(rt: IntakeRuntime, routeName: string, req: IntakeHttpRequest, telemetry: Telemetry): Promise<IntakeHttpResponse> {
  try {
    const bytes = await readCheckedBody(req, rt.auth, rt.settings.intake.maxBodyBytes);
    const { accepted, skipped } = await enqueueRecords(rt, routeName, recordsOf(parseJsonBody(bytes)));
    emitOutcome(telemetry, 'ingest.accepted', { route: routeName, records: accepted, skipped: skipped.length });
    for (const s of skipped) emitOutcome(telemetry, 'ingest.skipped', { route: routeName, index: s.index, reason: s.reason });
    return { status: 202, headers: { 'content-type': 'application/json; charset=utf-8' }, jsonBody: { accepted, skipped } };
  } catch (e) {
    const r = toRejection(e, rt.settings.intake.retryAfterSeconds, telemetry);
    emitOutcome(telemetry, 'ingest.rejected', { route: routeName, reason: r.code, status: r.status, detail: r.message }, 'warn');
    return rejectionResponse(r);
  }
}
