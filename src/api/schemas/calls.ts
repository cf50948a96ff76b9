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
  recording_status: Type.Optional(NullableText),
  recording_duration_ms: Type.Optional(Nullable(Type.Integer())),
  recording_deleted_at: Type.Optional(NullableText),
  amd: Type.Optional(
    Nullable(
      Type.Object(
        {
          outcome: Type.String({
            description: 'human, machine, machine-ready, fax, silence or uncertain (the latest decision)',
          }),
          reason: Type.String({ description: 'The rule that decided (docs/amd.md)' }),
          evidence: FreeObject,
        },
        { description: 'Answering-machine detection on a call out; null when none ran' },
      ),
    ),
  ),
  started_at: Timestamp,
  answered_at: Nullable(Timestamp),
  ended_at: Nullable(Timestamp),
  duration_ms: Nullable(Type.Integer()),
  created_at: Timestamp,
});

/** One turn's latency breakdown: ms after the end of the caller's speech (absent = did not happen). */
export const CallTurn = Type.Object({
  at_ms: Type.Integer({ description: "When the caller's speech ended, ms after the call was answered" }),
  text_only: Type.Optional(
    Type.Boolean({ description: 'The line came as text (API), not speech: timed from its arrival' }),
  ),
  final_transcript: Type.Optional(Type.Integer()),
  first_token: Type.Optional(Type.Integer()),
  first_sentence: Type.Optional(Type.Integer()),
  first_audio: Type.Optional(Type.Integer()),
  first_packet: Type.Optional(Type.Integer()),
});

/** A call with each turn's latency breakdown (end of speech → final transcript → … → first RTP packet). */
export const CallDetail = Type.Intersect([Call, Type.Object({ turns: Type.Array(CallTurn) })]);

/** What a date-range bound accepts (checked by the route: `instantIssue`). */
export const INSTANT_EXPECTED =
  'a date (2026-12-06, midnight UTC) or an ISO 8601 date-time with its offset (2026-12-06T09:30:00Z)';

const instant = (when: string) =>
  Type.String({ minLength: 1, maxLength: 40, description: `${when}: ${INSTANT_EXPECTED}` });

export const CallFilters = {
  number: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'Text in the calling or the called number (+1415, 5550100)',
    }),
  ),
  direction: Type.Optional(StringEnum(['inbound', 'outbound'])),
  agent_id: Type.Optional(Id),
  contact_id: Type.Optional(Id),
  state: Type.Optional(StringEnum(['ringing', 'answered', 'handed-off', 'ended'])),
  outcome: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'completed, transferred, busy, no-answer, failed, cancelled, …',
    }),
  ),
  disposition: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: "The call's disposition code" }),
  ),
  started_after: Type.Optional(instant('Started at or after')),
  started_before: Type.Optional(instant('Started before')),
};

export const CallEvent = Type.Object({
  id: Type.Integer(),
  call_id: Id,
  at: Timestamp,
  type: Type.String({ examples: ['transcript', 'dtmf', 'state'] }),
  data: FreeObject,
});
