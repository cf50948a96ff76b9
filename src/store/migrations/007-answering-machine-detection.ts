/**
 * Answering-machine detection (docs/amd.md): the agent's `amd` setting (on or off for its calls out,
 * overrides, the voicemail drop) and the call's latest decision (`{outcome, reason, evidence}`).
 */
export const up = `
ALTER TABLE agents ADD COLUMN amd TEXT NOT NULL DEFAULT '{}';
ALTER TABLE calls ADD COLUMN amd TEXT;
`;
