import { Type, type Static } from '@sinclair/typebox';
import { assertValid, validationError } from '../../util/validate.js';
import type { FieldIssue } from '../../errors.js';

const Ms = (minimum: number, maximum: number, def: number, description: string) =>
  Type.Integer({ minimum, maximum, default: def, description });

/**
 * The `amd:` config section (answering-machine detection). Times are ms since the answer; the
 * detector counts 20 ms frames, so values are effectively rounded up to a multiple of 20.
 * Speech heuristics in the manner of Asterisk's app_amd; beep and fax tones by Goertzel filters.
 */
export const AmdConfig = Type.Object(
  {
    initial_silence_ms: Ms(
      200,
      30000,
      2500,
      'No speech at all for this long after the answer: silence (a dead line or a machine that never speaks)',
    ),
    greeting_ms: Ms(
      200,
      30000,
      2000,
      'Speech (voiced time) longer than this before a pause: machine (a person says "Hello?" and waits)',
    ),
    after_greeting_silence_ms: Ms(
      100,
      10000,
      800,
      'Silence after short speech that makes the answer a person (they said hello and wait for us)',
    ),
    total_analysis_ms: Ms(
      1000,
      60000,
      5000,
      'No decision by this time: uncertain (the first decision is always made by then)',
    ),
    min_word_ms: Ms(20, 2000, 100, 'Voiced run that counts as a word (shorter runs are clicks or noise)'),
    between_words_silence_ms: Ms(20, 2000, 60, 'Silence that ends a word'),
    max_words: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 8,
      description: 'This many words (speech bursts) before a long pause: machine',
    }),
    max_word_ms: Ms(
      200,
      30000,
      3000,
      'One voiced run longer than this: machine (a person does not talk that long without a break)',
    ),
    greeting_end_silence_ms: Ms(
      200,
      30000,
      1500,
      'After a machine decision, silence this long means the greeting ended: machine-ready',
    ),
    machine_ready_max_wait_ms: Ms(
      1000,
      120000,
      20000,
      'After a machine decision, report machine-ready (by max-wait) at the latest after this long',
    ),
    voice_threshold_dbfs: Type.Number({
      minimum: -90,
      maximum: 0,
      default: -45,
      description:
        'Energy voice activity (used when no voice flags are given): a frame at least this loud may be speech',
    }),
    voice_above_noise_db: Type.Number({
      minimum: 0,
      maximum: 60,
      default: 10,
      description: 'Energy voice activity: a frame must also be this far above the tracked noise floor',
    }),
    beep_min_hz: Type.Number({
      minimum: 200,
      maximum: 3800,
      default: 400,
      description: 'Lowest beep frequency',
    }),
    beep_max_hz: Type.Number({
      minimum: 200,
      maximum: 3800,
      default: 2000,
      description: 'Highest beep frequency',
    }),
    beep_min_ms: Ms(40, 5000, 80, 'A steady tone at least this long is a beep'),
    beep_max_ms: Ms(100, 10000, 3000, 'A beep reports machine-ready when it ends, or once it is this long'),
    tone_dominance: Type.Number({
      minimum: 0.3,
      maximum: 1,
      default: 0.9,
      description:
        "Share of a frame's energy the tone's frequency must hold to count as a tone (beep or fax)",
    }),
    tone_min_dbfs: Type.Number({
      minimum: -90,
      maximum: 0,
      default: -40,
      description: 'A frame quieter than this is never a tone',
    }),
    fax: Type.Boolean({ default: true, description: 'Detect fax tones (CNG 1100 Hz, CED 2100 Hz)' }),
  },
  { additionalProperties: false },
);
export type AmdConfigValue = Static<typeof AmdConfig>;

/** The detector's settings (the `amd:` config section in camelCase, all fields present). */
export interface AmdSettings {
  initialSilenceMs: number;
  greetingMs: number;
  afterGreetingSilenceMs: number;
  totalAnalysisMs: number;
  minWordMs: number;
  betweenWordsSilenceMs: number;
  maxWords: number;
  maxWordMs: number;
  greetingEndSilenceMs: number;
  machineReadyMaxWaitMs: number;
  voiceThresholdDbfs: number;
  voiceAboveNoiseDb: number;
  beepMinHz: number;
  beepMaxHz: number;
  beepMinMs: number;
  beepMaxMs: number;
  toneDominance: number;
  toneMinDbfs: number;
  fax: boolean;
}

/** Every field's default, as in the config file. */
export const AMD_CONFIG_DEFAULTS: AmdConfigValue = defaultsOf();

function defaultsOf(): AmdConfigValue {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(AmdConfig.properties)) {
    out[key] = (schema as { default: unknown }).default;
  }
  return out as AmdConfigValue;
}

export const DEFAULT_AMD_SETTINGS: AmdSettings = toSettings(AMD_CONFIG_DEFAULTS);

function toSettings(c: AmdConfigValue): AmdSettings {
  return {
    initialSilenceMs: c.initial_silence_ms,
    greetingMs: c.greeting_ms,
    afterGreetingSilenceMs: c.after_greeting_silence_ms,
    totalAnalysisMs: c.total_analysis_ms,
    minWordMs: c.min_word_ms,
    betweenWordsSilenceMs: c.between_words_silence_ms,
    maxWords: c.max_words,
    maxWordMs: c.max_word_ms,
    greetingEndSilenceMs: c.greeting_end_silence_ms,
    machineReadyMaxWaitMs: c.machine_ready_max_wait_ms,
    voiceThresholdDbfs: c.voice_threshold_dbfs,
    voiceAboveNoiseDb: c.voice_above_noise_db,
    beepMinHz: c.beep_min_hz,
    beepMaxHz: c.beep_max_hz,
    beepMinMs: c.beep_min_ms,
    beepMaxMs: c.beep_max_ms,
    toneDominance: c.tone_dominance,
    toneMinDbfs: c.tone_min_dbfs,
    fax: c.fax,
  };
}

/**
 * Checks an `amd:` section (missing fields take their defaults) and returns the detector's settings.
 * Throws a VALIDATION error naming each bad field (`amd.greeting_ms: got 50, expected a number >= 200`),
 * including the rules between fields (the beep band must be a band; the analysis must outlast the
 * initial silence and the greeting).
 */
export function parseAmdSettings(value: unknown = {}, prefix = 'amd'): AmdSettings {
  const filled: unknown =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? { ...AMD_CONFIG_DEFAULTS, ...(value as Record<string, unknown>) }
      : value;
  const c = assertValid(AmdConfig, filled, prefix);
  const issues: FieldIssue[] = [];
  if (c.beep_max_hz <= c.beep_min_hz) {
    issues.push({
      field: `${prefix}.beep_max_hz`,
      value: c.beep_max_hz,
      expected: `a frequency above beep_min_hz (${c.beep_min_hz})`,
    });
  }
  if (c.beep_max_ms < c.beep_min_ms) {
    issues.push({
      field: `${prefix}.beep_max_ms`,
      value: c.beep_max_ms,
      expected: `at least beep_min_ms (${c.beep_min_ms})`,
    });
  }
  for (const key of ['initial_silence_ms', 'greeting_ms'] as const) {
    if (c.total_analysis_ms <= c[key]) {
      issues.push({
        field: `${prefix}.total_analysis_ms`,
        value: c.total_analysis_ms,
        expected: `more than ${key} (${c[key]})`,
      });
    }
  }
  if (issues.length > 0) throw validationError(issues);
  return toSettings(c);
}
