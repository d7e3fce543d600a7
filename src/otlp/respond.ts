import type { ServerResponse } from 'node:http';
import { ExportTraceServiceResponse, RpcStatus } from './schema.js';

/** The two OTLP/HTTP encodings; a response always uses the request's. */
export type Encoding = 'protobuf' | 'json';

const CONTENT_TYPE: Record<Encoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** google.rpc.Code for each HTTP status we answer with (OTLP lets servers omit it; we set it for clarity). */
const RPC_CODE: Record<number, number> = { 400: 3, 403: 7, 404: 5, 405: 12, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14 };

/** Content-Type to encoding; null when unsupported (415). Parameters such as charset are ignored. */
export function encodingOf(contentType: string | undefined): Encoding | null {
  const mime = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (mime === 'application/x-protobuf' || mime === 'application/protobuf') return 'protobuf';
  if (mime === 'application/json') return 'json';
  return null;
}

function send(res: ServerResponse, status: number, enc: Encoding, body: Uint8Array | string, headers: Record<string, string> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { 'content-type': CONTENT_TYPE[enc], 'content-length': String(bytes.byteLength), ...headers });
  res.end(bytes);
}

/**
 * 200 with an ExportTraceServiceResponse. `partial_success` is set only when spans were rejected
 * (the spec asks servers to leave it unset on full success).
 */
export function sendSuccess(res: ServerResponse, enc: Encoding, rejected: number, message: string): void {
  const partial = rejected > 0 ? { rejectedSpans: rejected, errorMessage: message } : null;
  if (enc === 'json') {
    send(res, 200, enc, partial ? JSON.stringify({ partialSuccess: { rejectedSpans: String(rejected), errorMessage: message } }) : '{}');
  } else {
    send(res, 200, enc, ExportTraceServiceResponse.encode(ExportTraceServiceResponse.create(partial ? { partialSuccess: partial } : {})).finish());
  }
}

/** A 4xx/5xx with a google.rpc.Status body, in the request's encoding (JSON when it is unknown). */
export function sendStatus(res: ServerResponse, status: number, enc: Encoding, message: string, headers: Record<string, string> = {}): void {
  const code = RPC_CODE[status] ?? 2;
  const body = enc === 'json' ? JSON.stringify({ code, message }) : RpcStatus.encode(RpcStatus.create({ code, message })).finish();
  send(res, status, enc, body, headers);
}
