import protobuf from 'protobufjs/light.js';

/**
 * The OTLP trace messages, as a protobufjs JSON descriptor. Field numbers and types are
 * those of opentelemetry-proto (opentelemetry/proto/{collector/trace,trace,common,resource}/v1/*.proto),
 * checked field by field against the upstream files and against the serializer of
 * @opentelemetry/otlp-transformer 0.223 (the exporter our tests run). Only what a trace
 * export carries is described; unknown fields (newer proto versions) are skipped by the decoder,
 * as proto3 requires. google.rpc.Status is the body of every 4xx/5xx answer (OTLP/HTTP "Failures").
 */
const f = (type: string, id: number, rule?: 'repeated') => (rule ? { type, id, rule } : { type, id });

const common = {
  AnyValue: {
    oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
    fields: {
      stringValue: f('string', 1),
      boolValue: f('bool', 2),
      intValue: f('int64', 3),
      doubleValue: f('double', 4),
      arrayValue: f('ArrayValue', 5),
      kvlistValue: f('KeyValueList', 6),
      bytesValue: f('bytes', 7),
    },
  },
  ArrayValue: { fields: { values: f('AnyValue', 1, 'repeated') } },
  KeyValueList: { fields: { values: f('KeyValue', 1, 'repeated') } },
  KeyValue: { fields: { key: f('string', 1), value: f('AnyValue', 2) } },
  InstrumentationScope: {
    fields: { name: f('string', 1), version: f('string', 2), attributes: f('KeyValue', 3, 'repeated'), droppedAttributesCount: f('uint32', 4) },
  },
};

const KV = 'opentelemetry.proto.common.v1.KeyValue';

const trace = {
  ResourceSpans: {
    fields: { resource: f('opentelemetry.proto.resource.v1.Resource', 1), scopeSpans: f('ScopeSpans', 2, 'repeated'), schemaUrl: f('string', 3) },
  },
  ScopeSpans: {
    fields: { scope: f('opentelemetry.proto.common.v1.InstrumentationScope', 1), spans: f('Span', 2, 'repeated'), schemaUrl: f('string', 3) },
  },
  Span: {
    fields: {
      traceId: f('bytes', 1),
      spanId: f('bytes', 2),
      traceState: f('string', 3),
      parentSpanId: f('bytes', 4),
      flags: f('fixed32', 16),
      name: f('string', 5),
      kind: f('int32', 6), // enum SpanKind, kept as its integer
      startTimeUnixNano: f('fixed64', 7),
      endTimeUnixNano: f('fixed64', 8),
      attributes: f(KV, 9, 'repeated'),
      droppedAttributesCount: f('uint32', 10),
      events: f('Event', 11, 'repeated'),
      droppedEventsCount: f('uint32', 12),
      links: f('Link', 13, 'repeated'),
      droppedLinksCount: f('uint32', 14),
      status: f('Status', 15),
    },
    nested: {
      Event: {
        fields: { timeUnixNano: f('fixed64', 1), name: f('string', 2), attributes: f(KV, 3, 'repeated'), droppedAttributesCount: f('uint32', 4) },
      },
      Link: {
        fields: {
          traceId: f('bytes', 1),
          spanId: f('bytes', 2),
          traceState: f('string', 3),
          attributes: f(KV, 4, 'repeated'),
          droppedAttributesCount: f('uint32', 5),
          flags: f('fixed32', 6),
        },
      },
    },
  },
  // field 1 is reserved upstream; code is enum StatusCode, kept as its integer
  Status: { fields: { message: f('string', 2), code: f('int32', 3) } },
};

const descriptor = {
  nested: {
    opentelemetry: {
      nested: {
        proto: {
          nested: {
            common: { nested: { v1: { nested: common } } },
            resource: {
              nested: { v1: { nested: { Resource: { fields: { attributes: f(KV, 1, 'repeated'), droppedAttributesCount: f('uint32', 2) } } } } },
            },
            trace: { nested: { v1: { nested: trace } } },
            collector: {
              nested: {
                trace: {
                  nested: {
                    v1: {
                      nested: {
                        ExportTraceServiceRequest: { fields: { resourceSpans: f('opentelemetry.proto.trace.v1.ResourceSpans', 1, 'repeated') } },
                        ExportTraceServiceResponse: { fields: { partialSuccess: f('ExportTracePartialSuccess', 1) } },
                        ExportTracePartialSuccess: { fields: { rejectedSpans: f('int64', 1), errorMessage: f('string', 2) } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    google: { nested: { rpc: { nested: { Status: { fields: { code: f('int32', 1), message: f('string', 2) } } } } } },
  },
};

const root = protobuf.Root.fromJSON(descriptor);

interface Desc {
  nested?: Record<string, Desc>;
  fields?: Record<string, unknown>;
}

/**
 * The decoding view: the same messages and field numbers, less what a row never needs (events,
 * links, scope, names...). The decoder skips those fields unread, as proto3 skips unknown fields,
 * so prompt and completion text carried in events is never even materialised.
 */
function viewOf(d: Desc): Desc {
  const v = structuredClone(d);
  const t = v.nested!.opentelemetry!.nested!.proto!.nested!.trace!.nested!.v1!.nested!;
  const drop = (msg: Desc, names: string[]) => names.forEach((n) => delete msg.fields![n]);
  drop(t.Span!, ['traceState', 'parentSpanId', 'flags', 'name', 'kind', 'droppedAttributesCount', 'events', 'droppedEventsCount', 'links', 'droppedLinksCount']);
  drop(t.ScopeSpans!, ['scope', 'schemaUrl']);
  drop(t.ResourceSpans!, ['schemaUrl']);
  drop(t.Status!, ['message']);
  return v;
}

const viewRoot = protobuf.Root.fromJSON(viewOf(descriptor));
/** What the receiver decodes requests with (see viewOf). */
export const ExportTraceServiceRequestView = viewRoot.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

export const ExportTraceServiceRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
export const ExportTraceServiceResponse = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
export const RpcStatus = root.lookupType('google.rpc.Status');

/** Decoded shapes (protobufjs objects: 64-bit fields are Long-like {low, high}; bytes are Uint8Array). */
export interface LongLike {
  readonly low: number;
  readonly high: number;
  readonly unsigned?: boolean;
}
export interface PbAnyValue {
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  readonly intValue?: LongLike | number;
  readonly doubleValue?: number;
  readonly arrayValue?: unknown;
  readonly kvlistValue?: unknown;
  readonly bytesValue?: Uint8Array;
}
export interface PbKeyValue {
  readonly key: string;
  readonly value?: PbAnyValue | null;
}
export interface PbSpan {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  readonly name: string;
  readonly startTimeUnixNano: LongLike | number;
  readonly endTimeUnixNano: LongLike | number;
  readonly attributes: readonly PbKeyValue[];
  readonly status?: { readonly code?: number; readonly message?: string } | null;
}
export interface PbResourceSpans {
  readonly resource?: { readonly attributes: readonly PbKeyValue[] } | null;
  readonly scopeSpans: readonly { readonly spans: readonly PbSpan[] }[];
}
export interface PbRequest {
  readonly resourceSpans: readonly PbResourceSpans[];
}
