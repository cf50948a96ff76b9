export type { AmdBeep, AmdDecision, AmdEvidence, AmdOutcome, AmdReason } from './amd-decision.js';
export {
  AMD_CONFIG_DEFAULTS,
  AmdConfig,
  DEFAULT_AMD_SETTINGS,
  parseAmdSettings,
  type AmdConfigValue,
  type AmdSettings,
} from './amd-settings.js';
export { AMD_FRAME_SAMPLES, AnsweringMachineDetector } from './answering-machine-detector.js';
export { EnergyVoiceActivity } from './energy-voice-activity.js';
export { dominantTone, goertzelPower, type DominantTone } from './goertzel.js';
export { ToneTracker, type ToneRun } from './tone-tracker.js';
