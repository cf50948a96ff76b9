/**
 * Agents get their own speech settings (recogniser, language, hints, end of turn, barge-in, voice
 * provider, what to do when a provider fails) as one JSON object; `{}` keeps the server's defaults.
 */
export const up = `
ALTER TABLE agents ADD COLUMN speech TEXT NOT NULL DEFAULT '{}';
`;
