import { Type, type Static } from '@sinclair/typebox';

/**
 * The whole configuration. `config/default.yaml` documents every key; this schema is what is
 * enforced. Unknown keys are refused so a typo never silently falls back to a default.
 * Keys are snake_case; the environment override of `a.b_c` is `CALLWRIGHT_A_B_C`.
 */
const Strict = { additionalProperties: false } as const;

export const DataConfig = Type.Object(
  {
    dir: Type.String({
      minLength: 1,
      description: 'Folder for the SQLite file, recordings and prompt cache',
    }),
    database: Type.String({ minLength: 1, description: 'SQLite file name inside data.dir' }),
  },
  Strict,
);

export const ApiConfig = Type.Object(
  {
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    public_url: Type.String({
      description: 'Base URL used in links the server sends out; empty = http://host:port',
    }),
    docs: Type.Boolean({ description: 'Serve OpenAPI at /docs' }),
  },
  Strict,
);

export const LogConfig = Type.Object(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    ),
    redact_pii: Type.Boolean(),
  },
  Strict,
);

export const TelephonyConfig = Type.Object(
  {
    backend: Type.Union([Type.Literal('embedded'), Type.Literal('freeswitch')]),
  },
  Strict,
);

export const ConfigSchema = Type.Object(
  {
    data: DataConfig,
    api: ApiConfig,
    log: LogConfig,
    telephony: TelephonyConfig,
  },
  Strict,
);

export type Config = Static<typeof ConfigSchema>;
