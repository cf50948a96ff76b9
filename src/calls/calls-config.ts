import { Type, type Static } from '@sinclair/typebox';

const Strict = { additionalProperties: false } as const;
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const Clock = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM, 24-hour' });

/** The `calls` config section: routing of calls in, the demo agent, calling hours for calls out, voicemail silence. */
export const CallsConfig = Type.Object(
  {
    default_agent: Type.String({
      description:
        'Agent (name or id) for dialled numbers not in the numbers table; empty = the demo agent when enabled, else 404',
    }),
    demo_agent: Type.Boolean({
      description: 'Create the scripted demo agent on first start and route to it by default',
    }),
    demo_transfer_target: Type.String({
      format: 'dial-target-or-empty',
      description:
        'Where the demo agent warm-transfers on key 1 (E.164 number or SIP URI); empty = it says none is set',
    }),
    default_timezone: Type.String({
      minLength: 1,
      format: 'time-zone',
      description: 'Callee time zone when the contact has none (IANA)',
    }),
    calling_hours: Type.Object(
      {
        days: Type.Array(Type.Union(WEEKDAYS.map((d) => Type.Literal(d))), { maxItems: 7 }),
        start: Clock,
        end: Clock,
      },
      Strict,
    ),
    voicemail_silence_threshold_dbfs: Type.Number({
      minimum: -100,
      maximum: 0,
      description:
        'A voicemail whose loudest 50 ms is below this level (dBFS) is silence: discarded, not kept or announced; -100 keeps all',
    }),
    drain_window_s: Type.Integer({
      minimum: 0,
      maximum: 86400,
      description:
        'Graceful drain (SIGTERM): how long calls in progress may go on before they are hung up (BYE with a Reason)',
    }),
    drain_timeout_ms: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 600000,
        description:
          'Deprecated alias of drain_window_s in ms: when set, it is the drain window (kept so older configs work)',
      }),
    ),
  },
  Strict,
);
export type CallsSettings = Static<typeof CallsConfig>;
