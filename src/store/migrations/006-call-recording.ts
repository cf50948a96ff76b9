/**
 * Whole-call recording: the agent's setting (`{enabled, consent_prompt}`), an inbound number's option
 * (`agent` = the agent decides, `always`, `never`), and the recording's state on the call row
 * (`recording_path` already holds where it is stored).
 */
export const up = `
ALTER TABLE agents ADD COLUMN recording TEXT NOT NULL DEFAULT '{}';
ALTER TABLE numbers ADD COLUMN record TEXT NOT NULL DEFAULT 'agent' CHECK (record IN ('agent','always','never'));
ALTER TABLE calls ADD COLUMN recording_status TEXT
  CHECK (recording_status IN ('recording','uploading','ready','failed','deleted'));
ALTER TABLE calls ADD COLUMN recording_duration_ms INTEGER;
ALTER TABLE calls ADD COLUMN recording_deleted_at TEXT;
CREATE INDEX calls_by_recording ON calls(recording_status, ended_at);
`;
