import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { check } from '../util/validate.js';
import { describeIssues } from '../errors.js';

/**
 * The payload of each outbox kind. A payload holds what its handler needs to do the work; what the
 * worker needs to move a chain on (run id, next key, on-dead policy, blocked, prior outputs) are
 * columns of the row, so a payload that no longer matches its type fails its own row and nothing else.
 */

/** `action`: one after-call action of one call (`src/actions/after-call.ts`). */
export const ActionPayload = Type.Object({
  agent_id: Type.String({ minLength: 1 }),
  attachment_id: Type.String({ minLength: 1 }),
  action_name: Type.String({ minLength: 1 }),
  contact_id: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  /** The call's template scope at its end (call, contact, collected, data, actions so far). */
  scope: Type.Record(Type.String(), Type.Unknown()),
});
export type ActionPayload = Static<typeof ActionPayload>;

/** `voicemail-email`: the rendered notification of one voicemail. */
export const VoicemailEmailPayload = Type.Object({
  voicemail_id: Type.String({ minLength: 1 }),
  to: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  subject: Type.String(),
  text: Type.String(),
});
export type VoicemailEmailPayload = Static<typeof VoicemailEmailPayload>;

/** `http`: a JSON POST (or PUT/PATCH) to a URL. */
export const HttpDeliveryPayload = Type.Object({
  url: Type.String({ format: 'uri' }),
  method: Type.Optional(Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH')])),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  body: Type.Unknown(),
});
export type HttpDeliveryPayload = Static<typeof HttpDeliveryPayload>;

/** `recording-upload`: a finished whole-call recording to store (src/calls/recording/). */
export const RecordingUploadPayload = Type.Object({
  call_id: Type.String({ minLength: 1 }),
  /** The finished file, waiting in the recordings folder. */
  file: Type.String({ minLength: 1 }),
  /** Its object key (s3) or path under recording.local_dir (local). */
  key: Type.String({ minLength: 1 }),
  duration_ms: Type.Integer({ minimum: 0 }),
  paused_ms: Type.Integer({ minimum: 0 }),
  channels: Type.Integer({ minimum: 1 }),
  sample_rate: Type.Integer({ minimum: 1 }),
});
export type RecordingUploadPayload = Static<typeof RecordingUploadPayload>;

/** `recording-ready`: the event once a recording is stored (webhook, attachments triggered by it). */
export const RecordingReadyPayload = Type.Object({
  call_id: Type.String({ minLength: 1 }),
  agent_id: Type.String({ minLength: 1 }),
  contact_id: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  /** The call's template scope at its end, for the actions the event fires. */
  scope: Type.Record(Type.String(), Type.Unknown()),
});
export type RecordingReadyPayload = Static<typeof RecordingReadyPayload>;

/** Every kind the outbox delivers, with its payload schema. A new kind is added here first. */
export const OUTBOX_PAYLOADS = {
  action: ActionPayload,
  'voicemail-email': VoicemailEmailPayload,
  http: HttpDeliveryPayload,
  'recording-upload': RecordingUploadPayload,
  'recording-ready': RecordingReadyPayload,
} as const satisfies Record<string, TSchema>;

export type OutboxKind = keyof typeof OUTBOX_PAYLOADS;
export type OutboxPayload<K extends OutboxKind = OutboxKind> = Static<(typeof OUTBOX_PAYLOADS)[K]>;

/** A payload decoded together with its kind (narrow on `kind`). */
export type DecodedPayload = { [K in OutboxKind]: { kind: K; payload: OutboxPayload<K> } }[OutboxKind];

export type DecodeResult = { ok: true; value: DecodedPayload } | { ok: false; error: string };

export const OUTBOX_KINDS = Object.keys(OUTBOX_PAYLOADS) as OutboxKind[];

export function isOutboxKind(kind: string): kind is OutboxKind {
  return Object.hasOwn(OUTBOX_PAYLOADS, kind);
}

/** Checks a stored (already parsed) payload against its kind's type; the error names each bad field. */
export function decodeValue(kind: string, value: unknown): DecodeResult {
  if (!isOutboxKind(kind)) {
    return {
      ok: false,
      error: `kind: got ${JSON.stringify(kind)}, expected one of ${OUTBOX_KINDS.map((k) => JSON.stringify(k)).join(', ')}`,
    };
  }
  const issues = check(OUTBOX_PAYLOADS[kind], value, 'payload');
  if (issues.length) {
    return { ok: false, error: `stored ${kind} payload does not match its type: ${describeIssues(issues)}` };
  }
  return { ok: true, value: { kind, payload: value } as DecodedPayload };
}

/** Parses the stored text of a payload; never throws. */
export function decodeJson(json: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(json) as unknown };
  } catch (err) {
    return {
      ok: false,
      error: `payload: got ${JSON.stringify(json.slice(0, 80))}, expected JSON text (${(err as Error).message})`,
    };
  }
}

/** Parses and checks the stored JSON text of a payload (the `payload` column). */
export function decode(kind: string, json: string): DecodeResult {
  const parsed = decodeJson(json);
  return parsed.ok ? decodeValue(kind, parsed.value) : parsed;
}
