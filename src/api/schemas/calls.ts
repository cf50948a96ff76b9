import { Type } from '@sinclair/typebox';
import { FreeObject, Id, Nullable, StringEnum, Timestamp } from './common.js';

/** Calls and their events are written by call sessions; the API only reads them. */

const NullableText = Nullable(Type.String());
const NullableObject = Nullable(FreeObject);

export const Call = Type.Object({
  id: Id,
  direction: Type.String(),
  from_number: Type.String(),
  to_number: Type.String(),
  agent_id: NullableText,
  contact_id: NullableText,
  sip_call_id: NullableText,
  state: Type.String(),
  outcome: NullableText,
  end_reason: NullableText,
  hangup_by: NullableText,
  call_disposition: NullableText,
  contact_disposition: NullableText,
  transfer: NullableObject,
  variables: FreeObject,
  collected: FreeObject,
  summary: NullableText,
  evaluation: NullableObject,
  recording_path: NullableText,
  started_at: Timestamp,
  answered_at: Nullable(Timestamp),
  ended_at: Nullable(Timestamp),
  duration_ms: Nullable(Type.Integer()),
  created_at: Timestamp,
});

export const CallFilters = {
  direction: Type.Optional(StringEnum(['inbound', 'outbound'])),
  agent_id: Type.Optional(Id),
  contact_id: Type.Optional(Id),
  state: Type.Optional(Type.String({ minLength: 1 })),
};

export const CallEvent = Type.Object({
  id: Type.Integer(),
  call_id: Id,
  at: Timestamp,
  type: Type.String({ examples: ['transcript', 'dtmf', 'state'] }),
  data: FreeObject,
});
