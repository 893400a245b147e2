/**
 * Builds the OutgoingChange (ChangeMessage + Service Bus envelope) for one (event, route) or one ingested record.
 */
import { CHANGE_MESSAGE_VERSION, type ChangeMessage } from '../model/change-message';
import type { SourceRow } from '../model/source-value';
import { carryColumns } from '../routes/columns';
import type { Route } from '../routes/schema';
import type { ChangeEvent } from '../model/change-event';
import { dataverseStamps, externalStamp } from '../model/version';
import { canonicalJson } from '../util/canonical-json';
import { changeMessageId, orderingBucket, sessionIdFor } from './ordering';
import type { OutgoingChange } from './outgoing';

export interface BuildOptions {
  sessionBuckets: number;
  receivedAt: Date;
}

/** Ingest: where a record sits among what one request (or one inbound message) delivered. */
export interface IngestPosition {
  /** Index of the record in the request. */
  seq: number;
  /** Unique per request: two requests in the same millisecond are not ordered against each other. */
  producer: string;
}

const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

function envelope(body: ChangeMessage, route: Route, messageId: string, rowKey: string, o: BuildOptions): OutgoingChange {
  const bucket = orderingBucket(route.target.environment, route.target.table, rowKey, o.sessionBuckets);
  const props: Record<string, string | number | boolean> = { route: route.name, table: body.source.table, origin: body.origin, operation: body.operation };
  if (body.source.message) props.message = body.source.message;
  if (body.source.id) props.rowId = body.source.id;
  if (body.reread) props.reread = true;
  const out: OutgoingChange = { body, messageId, sessionId: sessionIdFor(route.target.environment, bucket), applicationProperties: props };
  if (body.source.correlationId) out.correlationId = body.source.correlationId;
  return out;
}

/**
 * Version (shared/model/version.ts): the row version and modifiedon the event carries. For a Delete
 * both come from the pre image (the row just before the deletion); without either, only the receive time.
 */
export function eventVersion(event: ChangeEvent, receivedAt: Date): string {
  return dataverseStamps(event.rowVersion, event.modifiedOn, receivedAt.getTime());
}

export function webhookChange(event: ChangeEvent, route: Route, environment: string, o: BuildOptions): OutgoingChange {
  const version = eventVersion(event, o.receivedAt);
  const source: ChangeMessage['source'] = { environment, table: event.table, id: event.rowId, message: event.message };
  for (const k of ['correlationId', 'operationId', 'userId', 'initiatingUserId', 'tag', 'depth'] as const) {
    const v = event[k];
    if (v !== undefined) (source as Record<string, unknown>)[k] = v;
  }
  const changedAt = event.operationCreatedOn ?? event.modifiedOn;
  if (changedAt) source.changedAt = changedAt;
  const body: ChangeMessage = {
    v: CHANGE_MESSAGE_VERSION,
    route: route.name,
    origin: 'webhook',
    operation: event.operation,
    source,
    version,
    // selectColumns plus the primary id and every column mappings, keys and lookups read (shared/routes/columns.ts).
    values: carryColumns(event.values, route),
    receivedAt: o.receivedAt.toISOString(),
  };
  if (event.reread) body.reread = true;
  // OperationId is shared by Dataverse's retries of one event; without it, correlation + row + version identify it.
  const parts =
    event.operationId && event.operationId !== ZERO_GUID
      ? ['op', event.operationId, event.rowId, event.message]
      : ['cv', event.correlationId, event.rowId, version, event.message];
  return envelope(body, route, changeMessageId(route.name, parts), event.rowId, o);
}

/** The target key values of an external record, via the route's column mappings (target column ← source column). */
export function targetKeyValues(route: Route, record: SourceRow): Array<SourceRow[string] | undefined> {
  return route.target.key.map((k) => record[sourceColumnOf(route, k)]);
}

export function sourceColumnOf(route: Route, targetColumn: string): string {
  const m = route.target.columns[targetColumn];
  if (typeof m === 'string') return m;
  if (m && m.from) return m.from;
  return targetColumn;
}

export function ingestChange(record: SourceRow, route: Route, origin: 'ingest', o: BuildOptions, at: IngestPosition): OutgoingChange {
  const rowKey = JSON.stringify(targetKeyValues(route, record));
  const body: ChangeMessage = {
    v: CHANGE_MESSAGE_VERSION,
    route: route.name,
    origin,
    operation: 'upsert',
    source: { table: route.source.table },
    version: externalStamp(o.receivedAt.getTime(), at.seq, at.producer),
    values: record,
    receivedAt: o.receivedAt.toISOString(),
  };
  // Same record content → same id, so a client's retry inside the duplicate-detection window is dropped.
  return envelope(body, route, changeMessageId(route.name, ['rec', canonicalJson(record)]), rowKey, o);
}
