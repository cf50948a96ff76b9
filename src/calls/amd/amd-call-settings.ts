import { Type, type Static } from '@sinclair/typebox';
import { CallwrightError, type FieldIssue } from '../../errors.js';
import { AMD_CONFIG_DEFAULTS, AmdConfig, parseAmdSettings, type AmdSettings } from './amd-settings.js';
import {
  AmdClassifierConfig,
  AmdClassifierOverrides,
  planClassifier,
  type AmdClassifierPlan,
} from './amd-classifier-settings.js';

/** What a call does after an outcome that is neither a person nor a machine: hang up, or let the agent talk. */
export type AmdFollowUp = 'hangup' | 'agent';
const FollowUp = (def: AmdFollowUp, description: string) =>
  Type.Unsafe<AmdFollowUp>({ type: 'string', enum: ['hangup', 'agent'], default: def, description });

/** Settings of the call layer around the detector (the `amd:` section beside the detector's fields). */
const callFields = {
  timeout_ms: Type.Integer({
    minimum: 1000,
    maximum: 180000,
    default: 30000,
    description:
      'Hard limit on the whole detection, machine-ready wait included (audio that stops coming ends it: uncertain, or machine-ready after machine)',
  }),
  on_fax: FollowUp('hangup', 'After fax: hang up (disposition fax) or start the agent'),
  on_silence: FollowUp('hangup', 'After silence: hang up (disposition silence) or start the agent'),
  on_uncertain: FollowUp('agent', 'After uncertain: start the agent as for a person, or hang up'),
};
const classifierOverride = { classifier: Type.Optional(AmdClassifierOverrides) };

const detectorOverrides = Type.Partial(AmdConfig).properties;
const callOverrides = Type.Partial(Type.Object(callFields)).properties;

/** The server's `amd:` config section: off by default; the detector's fields and the call layer's. */
export const AmdServerConfig = Type.Object(
  {
    enabled: Type.Boolean({
      default: false,
      description: 'Detect answering machines on every call out (agents and calls may turn it on or off)',
    }),
    greeting_delay_ms: Type.Integer({
      minimum: 0,
      maximum: 10000,
      default: 0,
      description:
        "Calls out without detection: the agent's first words wait this long after the answer (0 = at once)",
    }),
    ...callFields,
    // Optional: a config without it (older files, tests) has the classifier off.
    classifier: Type.Optional(AmdClassifierConfig),
    ...AmdConfig.properties,
  },
  { additionalProperties: false },
);
export type AmdServerSettings = Static<typeof AmdServerConfig>;

/** An agent's `amd` setting: on or off for its calls out, overrides, and the voicemail drop. */
export const AgentAmd = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({ description: "Detect answering machines on this agent's calls out" }),
    ),
    voicemail_drop: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        description:
          'Said after the beep when a machine answers (a template: {{ contact.first_name }}, {{ data.* }}), then the call hangs up with disposition voicemail-left',
      }),
    ),
    ...callOverrides,
    ...classifierOverride,
    ...detectorOverrides,
  },
  { additionalProperties: false },
);
export type AgentAmdSettings = Static<typeof AgentAmd>;

/** A call's `amd` (POST /calls): true / false, or overrides (detection on). */
export const CallAmdOverrides = Type.Object(
  { ...callOverrides, ...classifierOverride, ...detectorOverrides },
  { additionalProperties: false },
);
// Overrides first: a bad field is the first issue reported (`amd.on_fax: …`), not "expected boolean".
export const CallAmd = Type.Union([CallAmdOverrides, Type.Boolean()], {
  description: "Answering-machine detection for this call: true, false, or overrides of the agent's settings",
});
export type CallAmdValue = Static<typeof CallAmd>;

/** Detection as one call runs it. */
export interface CallAmdPlan {
  detector: AmdSettings;
  timeoutMs: number;
  onFax: AmdFollowUp;
  onSilence: AmdFollowUp;
  onUncertain: AmdFollowUp;
  /** The voicemail drop template (the agent's), said after the beep. */
  voicemailDrop?: string;
  /** The greeting's words as a second opinion on `human` (docs/amd.md "The greeting classifier"). */
  classifier?: AmdClassifierPlan;
}

const DETECTOR_KEYS = new Set(Object.keys(AmdConfig.properties));

/**
 * Whether a call out runs detection, and with which settings: the server's section, then the agent's
 * setting, then the call's (`false` turns it off, `true` or overrides turn it on). Undefined = off.
 * Throws a VALIDATION error naming the field (`amd.greeting_ms`, `agent.amd.…`, `call.amd.…`) when the
 * merged detector settings break a rule between fields.
 */
export function planCallAmd(
  server: AmdServerSettings,
  agent: AgentAmdSettings | undefined,
  call: CallAmdValue | undefined,
): CallAmdPlan | undefined {
  const enabled = call === false ? false : call !== undefined ? true : (agent?.enabled ?? server.enabled);
  if (!enabled) return undefined;
  const merged: Record<string, unknown> = {
    ...server,
    ...(agent ?? {}),
    ...(typeof call === 'object' ? call : {}),
  };
  const detector = parseAmdSettings(pick(merged, DETECTOR_KEYS));
  // Field by field: an agent's `classifier: {kind: phrases}` keeps the server's phrases and timeout.
  const classifier = planClassifier(
    server.classifier,
    agent?.classifier,
    typeof call === 'object' ? call.classifier : undefined,
  );
  return {
    detector,
    timeoutMs: merged.timeout_ms as number,
    onFax: merged.on_fax as AmdFollowUp,
    onSilence: merged.on_silence as AmdFollowUp,
    onUncertain: merged.on_uncertain as AmdFollowUp,
    ...(agent?.voicemail_drop ? { voicemailDrop: agent.voicemail_drop } : {}),
    ...(classifier ? { classifier } : {}),
  };
}

/**
 * Rules between fields of an agent's or a call's overrides (the schema checks each field alone): the
 * overrides over the defaults must make valid detector settings. Issues name `<prefix>.<field>`.
 */
export function amdOverrideIssues(value: Record<string, unknown> | undefined, prefix: string): FieldIssue[] {
  if (!value) return [];
  try {
    parseAmdSettings({ ...AMD_CONFIG_DEFAULTS, ...pick(value, DETECTOR_KEYS) }, prefix);
    return [];
  } catch (err) {
    if (err instanceof CallwrightError && err.issues.length) return err.issues;
    throw err;
  }
}

function pick(value: Record<string, unknown>, keys: Set<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => keys.has(k)));
}
