import { INVALID_SPAN_CONTEXT, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { FieldIssue } from '../errors.js';
import type { TracingSettings } from '../config/schema.js';

export type { Span, Attributes };

export interface SpanOptions {
  kind?: 'internal' | 'client' | 'consumer';
  attributes?: Attributes;
  /** The call whose root span is the parent, while that call is live. */
  callId?: string | null;
  /** A stored W3C `traceparent` to continue (an outbox delivery after its call ended). */
  traceparent?: string | null;
}

/**
 * Traces of one server. Spans are only made when `tracing.enabled`; otherwise every method is a
 * pass-through (`span` runs the work with a no-op span, `inject` returns the headers untouched), so
 * hooks cost a function call. Nothing is registered globally: each server has its own provider,
 * context store and propagator, so several servers in one process (tests) never mix their traces.
 */
export interface Tracing {
  readonly enabled: boolean;
  /** Opens the call's root span (`call`); its children attach by `callId` while the call is live. */
  startCall(callId: string, attributes: Attributes): void;
  /** Ends the call's root span with its outcome. */
  endCall(callId: string, attributes: Attributes): void;
  /**
   * Runs `work` in a child span: of the stored `traceparent` if given, else of the live call's root
   * (or of the active span when that one is already inside the call), else of the span active in
   * this async context, else a new trace. A rejection marks the span failed and is re-thrown.
   */
  span<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T>;
  /** The W3C `traceparent` a later delivery continues: the live call's (active span or root), else the active span's. */
  traceparent(callId?: string | null): string | undefined;
  /** Returns the headers plus `traceparent` (and `tracestate`) of the active span, when there is one. */
  inject(headers: Record<string, string>): Record<string, string>;
  /** A fetch that makes a client span and sends its `traceparent` (LLM, webhook agent). */
  fetch(base: typeof fetch, callId?: () => string | null): typeof fetch;
  /** Ends the spans of calls still open, exports what is buffered and stops the exporter (server stop). */
  shutdown(): Promise<void>;
}

/** Marks a span failed without throwing (runs whose failure is a result, not an exception). */
export function markFailed(span: Span, message: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Tracing off: no provider, no exporter, no context store. */
export const noTracing: Tracing = {
  enabled: false,
  startCall: () => undefined,
  endCall: () => undefined,
  span: (_name, _options, work) => work(NOOP_SPAN),
  traceparent: () => undefined,
  inject: (headers) => headers,
  fetch: (base) => base,
  shutdown: () => Promise.resolve(),
};

/** The attributes of an HTTP client span: method and server only (paths and queries may hold PII). */
export function httpAttributes(method: string, url: URL): Attributes {
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return {
    'http.request.method': method,
    'server.address': url.hostname,
    'server.port': port,
    'url.scheme': url.protocol.replace(/:$/, ''),
  };
}

/** What the schema cannot say about the `tracing` section: an endpoint is needed once it is on. */
export function tracingIssues(settings: TracingSettings): FieldIssue[] {
  const url = settings.otlp_endpoint;
  if (!settings.enabled && !url) return [];
  let ok = false;
  try {
    ok = /^https?:$/.test(new URL(url).protocol);
  } catch {
    ok = false;
  }
  if (ok) return [];
  return [
    {
      field: 'tracing.otlp_endpoint',
      value: url,
      expected:
        'an http:// or https:// OTLP/HTTP traces URL such as http://collector:4318/v1/traces' +
        (settings.enabled ? ' (required when tracing.enabled is true)' : ''),
    },
  ];
}

/**
 * The server's tracing from the `tracing` section: the no-op one unless enabled. The OpenTelemetry SDK
 * is loaded only when tracing is on, so a server without tracing never pays for it (~150 ms of imports).
 */
export async function createTracing(settings: TracingSettings): Promise<Tracing> {
  if (!settings.enabled) return noTracing;
  const { OtelTracing } = await import('./otel-tracing.js');
  return new OtelTracing(settings);
}
