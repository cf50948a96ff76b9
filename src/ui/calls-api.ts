/** The shapes of the call resources as the public API returns them (GET /calls, the live streams). */

export interface Call {
  id: string;
  direction: 'inbound' | 'outbound';
  from_number: string;
  to_number: string;
  agent_id: string | null;
  contact_id: string | null;
  state: string;
  outcome: string | null;
  end_reason: string | null;
  hangup_by: string | null;
  call_disposition: string | null;
  contact_disposition: string | null;
  transfer: Record<string, unknown> | null;
  variables: Record<string, unknown>;
  collected: Record<string, unknown>;
  summary: string | null;
  evaluation: Record<string, unknown> | null;
  recording_status?: string | null;
  recording_duration_ms?: number | null;
  amd?: { outcome: string; reason: string } | null;
  started_at: string;
  answered_at: string | null;
  ended_at: string | null;
  duration_ms: number | null;
}

export interface CallEvent {
  id: number;
  call_id: string;
  at: string;
  type: string;
  data: Record<string, unknown>;
}

export interface ActionRun {
  id: string;
  action_id: string | null;
  call_id: string | null;
  action_type: string;
  stage: string | null;
  trigger: Record<string, unknown>;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  status: string;
  attempts: number;
  error: string | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
}

/** A write to a call's row, as `GET /calls/live` and `GET /calls/{id}/live` send it. */
export interface CallChange {
  change: 'started' | 'state' | 'answered' | 'ended' | 'updated';
  call: Call;
}

export interface CallSnapshot {
  call: Call;
  events: CallEvent[];
  events_total: number;
  runs: ActionRun[];
}

export interface Named {
  id: string;
  name: string;
}

/** Replaces the item with the same id, or adds it; keeps `order`. */
export function upsert<T extends { id: string | number }>(
  items: T[],
  item: T,
  order: (a: T, b: T) => number,
): T[] {
  const rest = items.filter((i) => i.id !== item.id);
  return [...rest, item].sort(order);
}
