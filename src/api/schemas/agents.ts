import { Type } from '@sinclair/typebox';
import { AgentSpeech } from '../../speech/agent-speech.js';
import { AgentRecording } from '../../calls/recording/agent-recording.js';
import { AgentAmd } from '../../calls/amd/amd-call-settings.js';
import { E164, FreeObject, Id, Name, SipUri, StringEnum, Text, Timestamp } from './common.js';

/**
 * A named place a call can be transferred to. `user`, `ring_group` and `line` refer to records by `id`;
 * `number` dials an E.164 number; `sip` sends to a SIP URI.
 */
export const TransferTarget = Type.Object(
  {
    type: StringEnum(['user', 'ring_group', 'line', 'number', 'sip']),
    id: Type.Optional(Id),
    number: Type.Optional(E164),
    uri: Type.Optional(SipUri),
    description: Type.Optional(Text),
  },
  { additionalProperties: false },
);

/** Transfer targets by name (letters, digits, `_`, `-`), as agents and actions refer to them. */
export const TransferTargets = Type.Record(Type.String(), TransferTarget);

const agentFields = {
  name: Name,
  kind: StringEnum(['scripted', 'webhook', 'llm', 'realtime']),
  description: Type.Optional(Text),
  language: Type.Optional(Type.String({ minLength: 2, maxLength: 35, description: 'BCP 47 tag' })),
  voice: Type.Optional(Type.String({ maxLength: 100 })),
  config: Type.Optional(FreeObject),
  targets: Type.Optional(TransferTargets),
  speech: Type.Optional(AgentSpeech),
  recording: Type.Optional(AgentRecording),
  amd: Type.Optional(AgentAmd),
};

export const AgentCreate = Type.Object(agentFields, { additionalProperties: false });
export const AgentUpdate = Type.Partial(AgentCreate);
export const Agent = Type.Object({
  id: Id,
  name: Type.String(),
  kind: Type.String(),
  description: Type.String(),
  language: Type.String(),
  voice: Type.String(),
  config: FreeObject,
  targets: Type.Record(Type.String(), FreeObject),
  speech: FreeObject,
  recording: FreeObject,
  amd: Type.Optional(FreeObject),
  created_at: Timestamp,
  updated_at: Timestamp,
});
