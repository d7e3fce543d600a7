import type { NewCall } from '../tape/row.js';
import { Flag } from '../tape/row.js';
import type { Observed } from './adapters/types.js';

/** How a call ended, as the proxy saw it. */
export type Outcome =
  | { readonly kind: 'complete' }
  /** the upstream response stopped before its end (reset, cut, or the proxy shut down) */
  | { readonly kind: 'cut' }
  /** the client went away first */
  | { readonly kind: 'aborted' }
  /** no response from the upstream; `reached` when the request may have arrived there */
  | { readonly kind: 'unreachable'; readonly reached: boolean };

export interface CallFacts {
  readonly ts: number;
  readonly project: string;
  readonly provider: string;
  readonly durationMs: number;
  /** upstream HTTP status; 0 when no response head arrived */
  readonly status: number;
  readonly requestModel: string | null;
  readonly headerId: string | null;
  readonly seen: Observed | null;
  /** the body was SSE */
  readonly streamed: boolean;
  readonly hasTerminalEvent: boolean;
  /** the body could not be read (unknown encoding, decode error) */
  readonly unreadable: boolean;
  readonly outcome: Outcome;
  readonly priceVersion: string;
  readonly host?: string;
}

function clean(v: string): string {
  return v.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, 256) || 'unknown';
}

export function requestIdOf(f: Pick<CallFacts, 'headerId' | 'seen'>): string | null {
  const id = f.headerId ?? f.seen?.bodyId ?? null;
  return id === null ? null : clean(id);
}

/**
 * The row for one call. Usage is trusted only when it is complete (the body or stream
 * ended properly); anything less keeps what was seen, is flagged usage_missing and stays
 * unpriced (cost NULL), never "free". Refusals by the provider (4xx/5xx) are not billed.
 */
export function buildRow(f: CallFacts): NewCall {
  const seen = f.seen;
  let flags = 0;
  let status = f.status;
  const o = f.outcome;
  if (o.kind === 'cut') flags |= Flag.stream_cut;
  if (o.kind === 'aborted') {
    flags |= Flag.client_aborted;
    status = 499;
  }
  if (o.kind === 'unreachable') {
    flags |= Flag.upstream_unreachable;
    status = 502;
  }
  if (seen?.streamError) flags |= Flag.stream_error;
  if (o.kind === 'complete' && f.streamed && f.hasTerminalEvent && !seen?.terminal && !seen?.streamError && f.status < 400) flags |= Flag.stream_cut;
  const usage = seen?.usage ?? null;
  const complete = o.kind === 'complete' && usage !== null && (flags & (Flag.stream_cut | Flag.stream_error)) === 0;
  const refused = (o.kind === 'complete' && f.status >= 400) || (o.kind === 'unreachable' && !o.reached);
  const row: NewCall = {
    ts: f.ts,
    project: f.project,
    provider: f.provider,
    model: clean(seen?.model ?? f.requestModel ?? 'unknown'),
    input_tok: usage?.input_tok ?? 0,
    output_tok: usage?.output_tok ?? 0,
    cached_tok: usage?.cached_tok ?? 0,
    cache_write_tok: usage?.cache_write_tok ?? 0,
    cache_write_1h_tok: usage?.cache_write_1h_tok ?? 0,
    duration_ms: Math.max(0, Math.round(f.durationMs)),
    status,
    request_id: requestIdOf(f),
    source: 'proxy',
  };
  if (f.host) row.host = f.host;
  if (complete) {
    // priced by the writer at insertion
  } else if (refused && usage === null) {
    row.cost_micros = 0;
    row.price_version = f.priceVersion;
  } else {
    flags |= Flag.usage_missing;
    row.cost_micros = null;
    row.price_version = f.priceVersion;
  }
  row.flags = flags;
  return row;
}
