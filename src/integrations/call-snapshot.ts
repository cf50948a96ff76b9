import type { Store, CallRecord, ContactRecord } from '../store/store.js';

export interface TranscriptLine {
  at: string;
  speaker: string;
  text: string;
  channel?: string;
}

/** What integrations send about a call: the record, its contact, transcript, summary and fields. */
export interface CallSnapshot {
  call: Record<string, unknown>;
  contact: Record<string, unknown>;
  transcript: TranscriptLine[];
  summary: string;
  collected: Record<string, unknown>;
  dispositions: { call: string | null; contact: string | null };
}

/** Safety bound: a call's history is read a page at a time and never beyond this many events. */
const MAX_EVENTS = 20000;

/**
 * Final transcript lines (call_events of type "transcript") in order. A recogniser's interim
 * guesses are recorded with `final: false` and left out: the final line repeats what they said.
 */
export async function transcriptOf(store: Store, callId: string): Promise<TranscriptLine[]> {
  const lines: TranscriptLine[] = [];
  for (let offset = 0; offset < MAX_EVENTS; offset += 500) {
    const page = await store.callEvents.list(callId, { limit: 500, offset });
    for (const e of page.items) {
      if (e.type !== 'transcript' || e.data.final === false || typeof e.data.text !== 'string') continue;
      lines.push({
        at: e.at,
        speaker: typeof e.data.speaker === 'string' ? e.data.speaker : 'caller',
        text: e.data.text,
        ...(typeof e.data.channel === 'string' ? { channel: e.data.channel } : {}),
      });
    }
    if (offset + page.items.length >= page.total) break;
  }
  return lines;
}

export function transcriptText(lines: readonly TranscriptLine[]): string {
  return lines.map((l) => `${l.speaker}: ${l.text}`).join('\n');
}

function contactView(
  c: ContactRecord | undefined,
  fallback: Record<string, unknown>,
): Record<string, unknown> {
  if (!c) return fallback;
  return {
    id: c.id,
    phone: c.phone,
    first_name: c.first_name,
    last_name: c.last_name,
    email: c.email,
    timezone: c.timezone,
    properties: c.properties,
    disposition: c.disposition,
  };
}

/**
 * The call as stored plus the template scope (variables win over a missing row: simulations and
 * calls not yet written have only the scope).
 */
export async function callSnapshot(
  store: Store,
  callId: string | undefined,
  scope: Record<string, unknown>,
): Promise<CallSnapshot> {
  const record: CallRecord | undefined = callId ? await store.calls.get(callId) : undefined;
  const scopeCall = (scope.call ?? {}) as Record<string, unknown>;
  const contactId = record?.contact_id ?? undefined;
  const contact = contactView(
    contactId ? await store.contacts.get(contactId) : undefined,
    (scope.contact ?? {}) as Record<string, unknown>,
  );
  const collected = { ...(record?.collected ?? {}), ...((scope.collected ?? {}) as Record<string, unknown>) };
  const call = record
    ? {
        ...scopeCall,
        id: record.id,
        direction: record.direction,
        from: record.from_number,
        to: record.to_number,
        started_at: record.started_at,
        answered_at: record.answered_at,
        ended_at: record.ended_at,
        duration_ms: record.duration_ms,
        outcome: record.outcome,
        end_reason: record.end_reason,
      }
    : scopeCall;
  return {
    call,
    contact,
    transcript: callId ? await transcriptOf(store, callId) : [],
    summary: record?.summary ?? '',
    collected,
    dispositions: { call: record?.call_disposition ?? null, contact: record?.contact_disposition ?? null },
  };
}
