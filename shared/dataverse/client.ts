/**
 * The Dataverse Web API client: one instance per (environment, application user). Thin: it addresses
 * rows, sets the documented headers, and returns every call's ResponseMeta so the throttle lane can
 * steer. It never retries on its own (apart from one token refresh on 401): retries belong to the
 * throttle controller, which knows the lane's pause and the caller's time budget.
 */
import { buildBatch, isChangeSet, matchOutcomes, parseBatchResponse, type BatchItem, type BatchOperation, type BatchOutcome } from './batch';
import * as bulk from './bulk';
import { classify, DataverseError } from './errors';
import { isGuid, recordPath, type RecordKey } from './keys';
import type { ResponseMeta } from './meta';
import { TableInfoCache, type TableInfo } from './metadata';
import { parseClientSettings, writeHeaders, type DataverseClientOptions, type RequestOptions, type WriteOptions } from './options';
import { changePages, queryPages, queryRows, type ChangeOptions, type ChangePage, type QueryOptions, type QueryPage, type Row } from './query';
import { Transport, type HttpRequest, type HttpResponse } from './transport';

export type UpsertMode = 'upsert' | 'updateOnly' | 'createOnly';

export interface UpsertOptions extends WriteOptions {
  mode?: UpsertMode;
  /** Optimistic concurrency: `If-Match: <etag>` (412 precondition when the row changed). Implies update-only. */
  etag?: string;
  /** `Prefer: return=representation`; true or the columns to $select. Tells created (201) from updated (200). */
  returnRepresentation?: boolean | readonly string[];
}

export interface WriteResult {
  meta: ResponseMeta;
  /** The row's GUID when the server reported it (OData-EntityId with a GUID, or the returned row). */
  id?: string;
  /** `OData-EntityId` as sent: for an alternate-key URL it repeats the key form, not a GUID. */
  entityUrl?: string;
  /** Known only with returnRepresentation: true when the upsert created the row (201). */
  created?: boolean;
  row?: Row;
  etag?: string;
}

export interface RetrieveOptions extends RequestOptions {
  select?: readonly string[];
  expand?: string;
}

export interface BatchOptions extends WriteOptions {
  /** `Prefer: odata.continue-on-error`: later parts run after a failure (change sets stay atomic). */
  continueOnError?: boolean;
}

export interface BatchResult {
  /** The outer HTTP status (without continue-on-error, the failing part's status). */
  status: number;
  meta: ResponseMeta;
  /** One outcome per operation, in request order (change-set operations flattened in place). */
  outcomes: BatchOutcome[];
}

const ENTITY_ID = /\(([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\)\/?$/i;

function selectOf(columns: boolean | readonly string[] | undefined): string | undefined {
  return Array.isArray(columns) && columns.length > 0 ? columns.join(',') : undefined;
}

export class DataverseClient {
  private readonly transport: Transport;
  private readonly tables: TableInfoCache;

  constructor(options: DataverseClientOptions) {
    this.transport = new Transport(parseClientSettings(options), options.tokens, options.onResponse);
    this.tables = new TableInfoCache(this.transport);
  }

  get baseUrl(): string {
    return this.transport.settings.baseUrl;
  }

  get writeTag(): string {
    return this.transport.settings.writeTag;
  }

  /** Low-level escape hatch with the standard headers, metadata and error classification. */
  request(request: HttpRequest): Promise<HttpResponse> {
    return this.transport.send(request);
  }

  /** Absolute URL of a row, for `@odata.id` values in associate calls. */
  recordUrl(entitySet: string, key: RecordKey): string {
    return new URL(recordPath(entitySet, key), this.baseUrl).toString();
  }

  async retrieve(entitySet: string, key: RecordKey, options: RetrieveOptions = {}): Promise<{ row: Row; etag?: string; meta: ResponseMeta }> {
    const response = await this.transport.send({
      method: 'GET',
      url: recordPath(entitySet, key),
      query: { $select: selectOf(options.select), $expand: options.expand },
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    const row = (response.json ?? {}) as Row;
    const etag = (row['@odata.etag'] as string | undefined) ?? response.headers.get('etag') ?? undefined;
    return { row, meta: response.meta, ...(etag ? { etag } : {}) };
  }

  async create(entitySet: string, body: Record<string, unknown>, options: Omit<UpsertOptions, 'mode' | 'etag'> = {}): Promise<WriteResult> {
    const response = await this.write('POST', entitySet, body, options, {});
    return this.writeResult(response);
  }

  /** PATCH by key: upsert (default), update-only (`If-Match: *`, 404 when missing) or create-only (`If-None-Match: *`, 412 when present). */
  async upsert(entitySet: string, key: RecordKey, body: Record<string, unknown>, options: UpsertOptions = {}): Promise<WriteResult> {
    const conditions: Record<string, string> = {};
    const mode = options.mode ?? 'upsert';
    if (options.etag) {
      if (mode === 'createOnly') throw new DataverseError({ kind: 'validation', message: 'An etag condition cannot be combined with mode "createOnly".' });
      conditions['If-Match'] = options.etag;
    } else if (mode === 'updateOnly') conditions['If-Match'] = '*';
    else if (mode === 'createOnly') conditions['If-None-Match'] = '*';
    const response = await this.write('PATCH', recordPath(entitySet, key), body, options, conditions);
    return this.writeResult(response);
  }

  /** Update an existing row; never creates (a typo in the key is a 404, not a new row). */
  update(entitySet: string, key: RecordKey, body: Record<string, unknown>, options: Omit<UpsertOptions, 'mode'> = {}): Promise<WriteResult> {
    return this.upsert(entitySet, key, body, { ...options, mode: 'updateOnly' });
  }

  async delete(entitySet: string, key: RecordKey, options: WriteOptions & { etag?: string } = {}): Promise<{ meta: ResponseMeta }> {
    const response = await this.transport.send({
      method: 'DELETE',
      url: recordPath(entitySet, key),
      query: { tag: options.tag ?? this.writeTag },
      headers: { ...writeHeaders(options), ...(options.etag ? { 'If-Match': options.etag } : {}) },
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return { meta: response.meta };
  }

  /** `POST <set>(<key>)/<nav>/$ref` with the related row's URL (1:N from the "one" side, or N:N). */
  async associate(
    entitySet: string,
    key: RecordKey,
    navigationProperty: string,
    related: { entitySet: string; key: RecordKey },
    options: WriteOptions = {},
  ): Promise<{ meta: ResponseMeta }> {
    const response = await this.transport.send({
      method: 'POST',
      url: `${recordPath(entitySet, key)}/${navigationProperty}/$ref`,
      query: { tag: options.tag ?? this.writeTag },
      headers: writeHeaders(options),
      json: { '@odata.id': this.recordUrl(related.entitySet, related.key) },
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return { meta: response.meta };
  }

  /** Collection navigation: give `related`; single-valued navigation: omit it. */
  async disassociate(
    entitySet: string,
    key: RecordKey,
    navigationProperty: string,
    related?: { entitySet: string; key: RecordKey },
    options: WriteOptions = {},
  ): Promise<{ meta: ResponseMeta }> {
    const response = await this.transport.send({
      method: 'DELETE',
      url: `${recordPath(entitySet, key)}/${navigationProperty}/$ref`,
      query: { $id: related ? this.recordUrl(related.entitySet, related.key) : undefined, tag: options.tag ?? this.writeTag },
      headers: writeHeaders(options),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return { meta: response.meta };
  }

  queryPages(entitySet: string, options?: QueryOptions): AsyncGenerator<QueryPage> {
    return queryPages(this.transport, entitySet, options);
  }

  query(entitySet: string, options?: QueryOptions): AsyncGenerator<Row> {
    return queryRows(this.transport, entitySet, options);
  }

  /** Change tracking: pages of upserts/deletes; the last page carries the new delta link. */
  changes(entitySet: string, options?: ChangeOptions): AsyncGenerator<ChangePage> {
    return changePages(this.transport, entitySet, options);
  }

  createMultiple(table: bulk.BulkTable, rows: Record<string, unknown>[], options?: WriteOptions): Promise<bulk.BulkResult> {
    return bulk.createMultiple(this.transport, table, rows, options);
  }

  updateMultiple(table: bulk.BulkTable, rows: Record<string, unknown>[], options?: WriteOptions): Promise<bulk.BulkResult> {
    return bulk.updateMultiple(this.transport, table, rows, options);
  }

  upsertMultiple(table: bulk.BulkTable, targets: bulk.UpsertTarget[], options?: WriteOptions): Promise<bulk.BulkResult> {
    return bulk.upsertMultiple(this.transport, table, targets, options);
  }

  deleteMultiple(
    table: bulk.BulkTable & { primaryIdAttribute: string },
    rows: Array<{ id: string; partitionId?: string }>,
    options?: WriteOptions,
  ): Promise<bulk.BulkResult> {
    return bulk.deleteMultiple(this.transport, table, rows, options);
  }

  getTableInfo(logicalName: string, signal?: AbortSignal): Promise<TableInfo> {
    return this.tables.get(logicalName, signal);
  }

  forgetTableInfo(logicalName?: string): void {
    this.tables.forget(logicalName);
  }

  /**
   * `$batch`: every write part carries the write tag and the write option headers. A plain (non-multipart)
   * error answer, such as a 429 for the whole batch, is thrown as a DataverseError.
   */
  async batch(items: readonly BatchItem[], options: BatchOptions = {}): Promise<BatchResult> {
    const tag = options.tag ?? this.writeTag;
    const optionHeaders = writeHeaders(options);
    const decorate = (op: BatchOperation): BatchOperation => {
      if (op.method === 'GET') return op;
      const url = op.url.startsWith('$') ? op.url : `${op.url}${op.url.includes('?') ? '&' : '?'}tag=${encodeURIComponent(tag)}`;
      return { ...op, url, headers: { ...optionHeaders, ...op.headers } };
    };
    const built = buildBatch(
      items.map((item) => (isChangeSet(item) ? { changeSet: item.changeSet.map(decorate) } : decorate(item))),
      this.baseUrl,
    );
    const response = await this.transport.send({
      method: 'POST',
      url: '$batch',
      headers: {
        'Content-Type': built.contentType,
        ...optionHeaders,
        ...(options.continueOnError ? { Prefer: 'odata.continue-on-error' } : {}),
      },
      rawBody: built.body,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      // Without continue-on-error the outer status is the failing part's, with a multipart body.
      acceptStatuses: multipartStatuses,
    });
    const contentType = response.headers.get('content-type') ?? '';
    if (!/^multipart\/mixed/i.test(contentType)) {
      if (response.status >= 400) {
        throw classify(
          { status: response.status, headers: response.headers, body: response.json ?? response.text, meta: response.meta },
          { method: 'POST', url: response.url },
        );
      }
      throw new DataverseError({
        kind: 'transient',
        status: response.status,
        message: `$batch answered ${response.status} with Content-Type '${contentType}', not multipart/mixed.`,
        meta: response.meta,
      });
    }
    return { status: response.status, meta: response.meta, outcomes: matchOutcomes(built, parseBatchResponse(contentType, response.text)) };
  }

  private write(
    method: 'POST' | 'PATCH',
    url: string,
    body: Record<string, unknown>,
    options: UpsertOptions,
    conditions: Record<string, string>,
  ): Promise<HttpResponse> {
    const representation = options.returnRepresentation;
    return this.transport.send({
      method,
      url,
      query: { $select: selectOf(representation), tag: options.tag ?? this.writeTag },
      headers: { ...writeHeaders(options), ...conditions, ...(representation ? { Prefer: 'return=representation' } : {}) },
      json: body,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
  }

  private writeResult(response: HttpResponse): WriteResult {
    const result: WriteResult = { meta: response.meta };
    const entityUrl = response.headers.get('odata-entityid') ?? undefined;
    if (entityUrl) {
      result.entityUrl = entityUrl;
      const match = ENTITY_ID.exec(entityUrl);
      if (match) result.id = match[1].toLowerCase();
    }
    if (response.json && typeof response.json === 'object') {
      const row = response.json as Row;
      result.row = row;
      result.created = response.status === 201;
      const etag = (row['@odata.etag'] as string | undefined) ?? response.headers.get('etag') ?? undefined;
      if (etag) result.etag = etag;
      if (!result.id) {
        // Only when unambiguous: exactly one GUID-valued "<x>id" column (select the primary id to get it).
        const ids = Object.entries(row).filter(([k, v]) => k.endsWith('id') && !k.startsWith('_') && typeof v === 'string' && isGuid(v));
        if (ids.length === 1) result.id = (ids[0][1] as string).toLowerCase();
      }
    }
    return result;
  }
}

/** Every error status may carry a multipart body in a $batch answer. */
const multipartStatuses: readonly number[] = Array.from({ length: 200 }, (_, i) => 400 + i);
