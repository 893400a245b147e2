/**
 * The HTTP surface shared by the webhook and ingest cores, independent of @azure/functions:
 * request checks in the order that costs least (auth, media type, declared size, actual size)
 * and the translation of rejections into answers.
 */
import { IntakeRejection } from './errors';
import type { HeaderAuthenticator } from './auth';
import { isJsonContentType } from './parse';

export interface IntakeHttpRequest {
  /** Header value by lower-case name, or null. */
  header(name: string): string | null;
  headers(): Iterable<[string, string]>;
  /** The raw body bytes (request.arrayBuffer()). */
  readBody(): Promise<Uint8Array>;
}

export interface IntakeHttpResponse {
  status: number;
  headers: Record<string, string>;
  jsonBody: unknown;
}

export function rejectionResponse(r: IntakeRejection): IntakeHttpResponse {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (r.status === 503) headers['retry-after'] = String(r.retryAfterSeconds ?? 30);
  // 401 says nothing about which part failed (missing header, wrong secret, …).
  const body: Record<string, unknown> = { error: r.code, message: r.status === 401 ? 'Unauthorized.' : r.message };
  if (r.problems.length && r.status !== 401) body.problems = r.problems.slice(0, 50);
  return { status: r.status, headers, jsonBody: body };
}

/** Auth, content type and size; returns the body bytes. Throws IntakeRejection. */
export async function readCheckedBody(req: IntakeHttpRequest, auth: HeaderAuthenticator, maxBodyBytes: number): Promise<Uint8Array> {
  if (!auth.verify(req.header(auth.headerName))) throw new IntakeRejection(401, 'unauthorized', 'Unauthorized.');
  const contentType = req.header('content-type');
  if (!isJsonContentType(contentType)) {
    throw new IntakeRejection(415, 'unsupported_media_type', `Content-Type "${contentType}" is not JSON; send application/json (UTF-8).`);
  }
  const declared = req.header('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBodyBytes) {
    throw new IntakeRejection(413, 'payload_too_large', `The body is ${declared} bytes; the limit is ${maxBodyBytes} (DVSYNC_WEBHOOK_MAX_BODY_BYTES).`);
  }
  const bytes = await req.readBody();
  if (bytes.byteLength > maxBodyBytes) {
    throw new IntakeRejection(413, 'payload_too_large', `The body is ${bytes.byteLength} bytes; the limit is ${maxBodyBytes} (DVSYNC_WEBHOOK_MAX_BODY_BYTES).`);
  }
  return bytes;
}
