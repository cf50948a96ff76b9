/**
 * `traceparent` on outbox rows: the W3C trace context (https://www.w3.org/TR/trace-context/#traceparent-header)
 * of the call that queued the row, written with it when tracing is on, so its delivery — after the
 * call, by a later worker tick, after a restart — is a span of that call's trace. NULL: no trace.
 */
export const up = `
ALTER TABLE outbox ADD COLUMN traceparent TEXT;
`;
