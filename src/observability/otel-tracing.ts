import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TracingSettings } from '../config/schema.js';
import { httpAttributes, markFailed, type SpanOptions, type Tracing } from './tracing.js';

/** How long after its end a call's root span stays the parent of the call's late work. */
const LATE_MS = 30_000;

/** Longest a server stop waits for the last export (then the spans still buffered are dropped). */
const SHUTDOWN_MS = 2000;

function withDeadline(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`trace export did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

const KINDS = { internal: SpanKind.INTERNAL, client: SpanKind.CLIENT, consumer: SpanKind.CONSUMER };

/**
 * Tracing on (see `Tracing`): a provider with a batch processor and an OTLP/HTTP (JSON) exporter, an
 * AsyncLocalStorage context store and the W3C propagator, all owned by this instance. Spans get their
 * parent passed explicitly; the global API (`trace.setGlobalTracerProvider`, the global context
 * manager) is never touched, so two servers in one process keep separate traces.
 */
export class OtelTracing implements Tracing {
  readonly enabled = true;
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly contexts = new AsyncLocalStorageContextManager();
  private readonly propagator = new W3CTraceContextPropagator();
  /** Root spans of live calls (and of calls ended less than LATE_MS ago), by call id. */
  private readonly calls = new Map<string, Span>();
  /** Calls whose root span has not ended yet. */
  private readonly open = new Set<string>();

  constructor(settings: TracingSettings) {
    const exporter = new OTLPTraceExporter({
      url: settings.otlp_endpoint,
      ...(settings.headers ? { headers: settings.headers } : {}),
    });
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.service_name }),
      // A continued trace keeps the decision its traceparent carries (W3C Trace Context §3.2.2.5, flags).
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sample_ratio) }),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
    });
    this.tracer = this.provider.getTracer('callwright');
    this.contexts.enable();
  }

  startCall(callId: string, attributes: Attributes): void {
    const span = this.tracer.startSpan(
      'call',
      { kind: SpanKind.SERVER, attributes: { 'callwright.call.id': callId, ...attributes } },
      ROOT_CONTEXT,
    );
    this.calls.set(callId, span);
    this.open.add(callId);
  }

  endCall(callId: string, attributes: Attributes): void {
    const span = this.calls.get(callId);
    if (!span || !this.open.delete(callId)) return;
    span.setAttributes(attributes);
    span.end();
    // Work the end sets off (the agent's `ended` event, a last request) still joins the call's trace:
    // a child may start after its parent ended. Then the entry goes.
    setTimeout(() => {
      if (!this.open.has(callId)) this.calls.delete(callId);
    }, LATE_MS).unref();
  }

  async span<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
    const span = this.tracer.startSpan(
      name,
      {
        kind: KINDS[options.kind ?? 'internal'],
        ...(options.attributes ? { attributes: options.attributes } : {}),
      },
      this.parent(options),
    );
    try {
      return await this.contexts.with(trace.setSpan(this.contexts.active(), span), () => work(span));
    } catch (err) {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: err instanceof Error ? err.message : String(err),
      });
      throw err;
    } finally {
      span.end();
    }
  }

  traceparent(callId?: string | null): string | undefined {
    const ctx = this.parent({ callId: callId ?? null });
    if (!trace.getSpan(ctx)) return undefined;
    const carrier: Record<string, string> = {};
    this.propagator.inject(ctx, carrier, defaultTextMapSetter);
    return carrier.traceparent;
  }

  inject(headers: Record<string, string>): Record<string, string> {
    const ctx = this.contexts.active();
    if (!trace.getSpan(ctx)) return headers;
    // A caller's own trace headers (an HTTP action's configured headers) give way to the span sending them.
    const out = Object.fromEntries(
      Object.entries(headers).filter(([k]) => !/^trace(parent|state)$/i.test(k)),
    );
    this.propagator.inject(ctx, out, defaultTextMapSetter);
    return out;
  }

  fetch(base: typeof fetch, callId?: () => string | null): typeof fetch {
    return (input, init) => {
      const request = input instanceof Request ? input : undefined;
      const url = new URL(request ? request.url : String(input));
      const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
      return this.span(
        method,
        { kind: 'client', callId: callId?.() ?? null, attributes: httpAttributes(method, url) },
        async (span) => {
          const headers = new Headers(init?.headers ?? request?.headers);
          for (const [k, v] of Object.entries(this.inject({}))) headers.set(k, v);
          const res = await base(input, { ...init, headers });
          span.setAttribute('http.response.status_code', res.status);
          if (res.status >= 400) markFailed(span, `HTTP ${res.status}`);
          return res;
        },
      );
    };
  }

  async shutdown(): Promise<void> {
    for (const callId of this.open) {
      const span = this.calls.get(callId) as Span;
      span.setAttribute('callwright.call.outcome', 'unfinished');
      span.end();
    }
    this.open.clear();
    this.calls.clear();
    // A collector that is down (the exporter retries with backoff) must not hold the server's stop.
    try {
      await withDeadline(this.provider.forceFlush(), SHUTDOWN_MS);
    } finally {
      await withDeadline(this.provider.shutdown(), SHUTDOWN_MS).catch(() => undefined);
      this.contexts.disable();
    }
  }

  private parent(options: SpanOptions): Context {
    if (options.traceparent) {
      return this.propagator.extract(
        ROOT_CONTEXT,
        { traceparent: options.traceparent },
        defaultTextMapGetter,
      );
    }
    const active = this.contexts.active();
    const root = options.callId ? this.calls.get(options.callId) : undefined;
    if (!root) return active;
    // Within the same call the active span (an action run) is the closer parent; any other active
    // span (an async context reused from another call) is not this call's.
    const activeTrace = trace.getSpan(active)?.spanContext().traceId;
    return activeTrace === root.spanContext().traceId ? active : trace.setSpan(ROOT_CONTEXT, root);
  }
}
