/**
 * `POST $batch` (Learn: webapi/execute-batch-operations-using-web-api): parts run in order through `dispatch`; change sets run
 * in one store transaction and roll back on their first failure (answering only that failure);
 * without `Prefer: odata.continue-on-error` processing stops at the first failure and the outer
 * status is that failure's. The whole batch is one request for service protection; each part is
 * charged by the handler it reaches, at the batch rate (ctx.writePath = 'batch').
 */
import { randomUUID } from 'node:crypto';
import { DvError, dvErrors, errorResponse } from '../errors';
import { parsePrefer } from '../prefer';
import { dispatcherOf, type DvResponse, type Handler, type RequestContext } from '../types';
import { methodNotAllowedInChangeSet, tooManyBatchOperations, tooManyChangeSetOperations } from './errors';
import { parseInnerRequest, renderResponsePart, type InnerRequest } from './http-part';
import { boundaryOf, checkLineEndings, splitMultipart } from './multipart';
import { entityUrlOf, toDvRequest, type ContentIds } from './references';
import { batchStrictLineEndings, MAX_BATCH_OPERATIONS } from './settings';

type BatchItem = { kind: 'request'; request: InnerRequest; where: string } | { kind: 'changeset'; requests: InnerRequest[]; where: string };

interface PartResult {
  res: DvResponse;
  contentId?: string;
}

/** Parse and validate the whole payload before running anything: a malformed batch changes nothing. */
function parseBatch(text: string, boundary: string): BatchItem[] {
  const items: BatchItem[] = [];
  let operations = 0;
  splitMultipart(text, boundary, 'The $batch body').forEach((part, i) => {
    const where = `batch part ${i + 1}`;
    if (/^\s*multipart\/mixed/i.test(part.headers['content-type'] ?? '')) {
      const csBoundary = boundaryOf(part.headers['content-type'], where);
      const requests = splitMultipart(part.body, csBoundary, `The change set in ${where}`).map((p, j) =>
        parseInnerRequest(p, `${where}, change set operation ${j + 1}`),
      );
      if (requests.length > MAX_BATCH_OPERATIONS) throw tooManyChangeSetOperations(MAX_BATCH_OPERATIONS);
      const get = requests.find((r) => r.method === 'GET');
      if (get) throw methodNotAllowedInChangeSet(get.method);
      operations += requests.length;
      items.push({ kind: 'changeset', requests, where });
    } else {
      operations += 1;
      items.push({ kind: 'request', request: parseInnerRequest(part, where), where });
    }
  });
  if (operations > MAX_BATCH_OPERATIONS) throw tooManyBatchOperations(MAX_BATCH_OPERATIONS, operations);
  return items;
}

class ChangeSetFailed extends Error {}

export const batchHandler: Handler = async (req, ctx) => {
  if (req.path !== '$batch') return undefined;
  if (req.method !== 'POST') throw dvErrors.noHttpResource(`${ctx.baseUrl}$batch`);
  const boundary = boundaryOf(req.headers['content-type'], 'The $batch request');
  const text = req.body.toString('utf8');
  checkLineEndings(text, batchStrictLineEndings(ctx.env));
  const items = parseBatch(text, boundary);
  const { continueOnError } = parsePrefer(req.headers.prefer);
  const previousPath = ctx.writePath;
  ctx.writePath = 'batch';
  const parts: string[] = [];
  let status = 200;
  try {
    for (const item of items) {
      if (item.kind === 'request') {
        const result = await runOperation(ctx, item.request, new Map(), item.where);
        parts.push(renderResponsePart(result.res, result.contentId));
        if (result.res.status >= 400 && !continueOnError) {
          status = result.res.status;
          break;
        }
      } else {
        const { results, failed } = await runChangeSet(ctx, item.requests, item.where);
        parts.push(renderChangeSet(results));
        if (failed && !continueOnError) {
          status = results[0].res.status;
          break;
        }
      }
    }
  } finally {
    ctx.writePath = previousPath;
  }
  const outer = `batchresponse_${randomUUID()}`;
  return {
    status,
    headers: {
      'content-type': `multipart/mixed; boundary=${outer}`,
      'odata-version': '4.0',
      ...(continueOnError ? { 'preference-applied': 'odata.continue-on-error' } : {}),
    },
    body: `${parts.map((p) => `--${outer}\r\n${p}\r\n`).join('')}--${outer}--\r\n`,
  };
};

async function runOperation(ctx: RequestContext, inner: InnerRequest, refs: ContentIds, where: string): Promise<PartResult> {
  let res: DvResponse;
  try {
    res = await dispatcherOf(ctx)(toDvRequest(inner, refs, where), ctx);
  } catch (err) {
    if (!(err instanceof DvError)) throw err;
    res = errorResponse(err);
  }
  if (res.status >= 400) {
    res = { ...res, headers: { ...res.headers, req_id: randomUUID() } };
  } else if (inner.method === 'POST' && res.headers['odata-entityid'] && !res.headers['location']) {
    // Learn: webapi/execute-batch-operations-using-web-api: creates inside a batch carry both Location and OData-EntityId.
    res = { ...res, headers: { location: res.headers['odata-entityid'], ...res.headers } };
  }
  return { res, contentId: inner.contentId };
}

/** Run a change set atomically. On failure the result holds only the failing operation (Learn: webapi/execute-batch-operations-using-web-api; MicrosoftDocs/powerapps-docs issue #2843). */
async function runChangeSet(ctx: RequestContext, requests: InnerRequest[], where: string): Promise<{ results: PartResult[]; failed: boolean }> {
  const refs: ContentIds = new Map();
  const results: PartResult[] = [];
  let failure: PartResult | undefined;
  try {
    await ctx.env.transaction(ctx, async () => {
      for (const [i, inner] of requests.entries()) {
        const result = await runOperation(ctx, inner, refs, `${where}, change set operation ${i + 1}`);
        if (result.res.status >= 400) {
          failure = result;
          throw new ChangeSetFailed();
        }
        results.push(result);
        if (inner.contentId !== undefined) {
          const url = entityUrlOf(result.res.headers, result.res.body, ctx.baseUrl, (set) => ctx.env.tableBySet(set)?.primaryId);
          if (url) refs.set(inner.contentId, url);
        }
      }
    });
  } catch (err) {
    if (!(err instanceof ChangeSetFailed)) throw err;
  }
  return failure ? { results: [failure], failed: true } : { results, failed: false };
}

function renderChangeSet(results: PartResult[]): string {
  const b = `changesetresponse_${randomUUID()}`;
  const inner = results.map((r) => `--${b}\r\n${renderResponsePart(r.res, r.contentId)}\r\n`).join('');
  return `Content-Type: multipart/mixed; boundary=${b}\r\n\r\n${inner}--${b}--`;
}
