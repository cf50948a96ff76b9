/**
 * The whole schema as of SQLite version 10 (src/store/migrations/001…010), on PostgreSQL. Same tables,
 * columns, defaults, CHECKs, UNIQUEs, foreign keys and indexes; the types the shared SQL relies on
 * (docs/postgres.md):
 * - TEXT stays TEXT: timestamps are ISO-8601 text (they sort as text), JSON is text the repositories parse.
 * - Booleans stay INTEGER 0/1; milliseconds (times, durations) are BIGINT; REAL is DOUBLE PRECISION.
 * - SQLite's AUTOINCREMENT keys are identity columns. Every other table gets a `rowid` identity column:
 *   SQLite's hidden rowid is what `ORDER BY created_at, rowid` uses to keep insertion order, and the
 *   repositories drop the column when they read a record.
 *
 * What SQLite cannot express and several nodes need: a user cannot hold two overlapping booked
 * appointments (an exclusion constraint, so two nodes booking the same slot at once get one success and
 * one SQLSTATE 23P01, not a process lock that only works inside one node).
 */
export const up = `
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('scripted','webhook','llm','realtime')),
  description TEXT NOT NULL DEFAULT '',
  language TEXT NOT NULL DEFAULT 'en',
  voice TEXT NOT NULL DEFAULT '',
  config TEXT NOT NULL DEFAULT '{}',
  targets TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  speech TEXT NOT NULL DEFAULT '{}',
  recording TEXT NOT NULL DEFAULT '{}',
  amd TEXT NOT NULL DEFAULT '{}',
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE action_definitions (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  config TEXT NOT NULL DEFAULT '{}',
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0,1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE agent_actions (
  id TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  action_id TEXT NOT NULL REFERENCES action_definitions(id) ON DELETE CASCADE,
  stage TEXT NOT NULL CHECK (stage IN ('before','during','after')),
  position INTEGER NOT NULL DEFAULT 0,
  triggers TEXT NOT NULL DEFAULT '[]',
  failure_policy TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (agent_id, action_id, stage),
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX agent_actions_by_agent ON agent_actions(agent_id, stage, position);

CREATE TABLE numbers (
  id TEXT PRIMARY KEY,
  number TEXT NOT NULL UNIQUE,
  agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  description TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  record TEXT NOT NULL DEFAULT 'agent' CHECK (record IN ('agent','always','never')),
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE contacts (
  id TEXT PRIMARY KEY,
  phone TEXT NOT NULL UNIQUE,
  first_name TEXT NOT NULL DEFAULT '',
  last_name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  timezone TEXT NOT NULL DEFAULT '',
  properties TEXT NOT NULL DEFAULT '{}',
  disposition TEXT,
  dnc INTEGER NOT NULL DEFAULT 0 CHECK (dnc IN (0,1)),
  dnc_at TEXT,
  dnc_by TEXT,
  dnc_reason TEXT,
  sms_opt_out INTEGER NOT NULL DEFAULT 0 CHECK (sms_opt_out IN (0,1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE tags (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE contact_tags (
  contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  tag_id TEXT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  PRIMARY KEY (contact_id, tag_id),
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE lists (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE list_members (
  list_id TEXT NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
  contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  PRIMARY KEY (list_id, contact_id),
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE dispositions (
  id TEXT PRIMARY KEY,
  scope TEXT NOT NULL CHECK (scope IN ('call','contact')),
  code TEXT NOT NULL,
  label TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  UNIQUE (scope, code),
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  sip_uri TEXT NOT NULL DEFAULT '',
  timezone TEXT NOT NULL DEFAULT 'UTC',
  working_hours TEXT NOT NULL DEFAULT '{}',
  slot_minutes INTEGER NOT NULL DEFAULT 30,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE ring_groups (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  strategy TEXT NOT NULL CHECK (strategy IN ('simultaneous','sequential')),
  member_timeout_secs INTEGER NOT NULL DEFAULT 20,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE ring_group_members (
  group_id TEXT NOT NULL REFERENCES ring_groups(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  position INTEGER NOT NULL DEFAULT 0,
  timeout_secs INTEGER,
  PRIMARY KEY (group_id, user_id),
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE lines (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  target TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE calls (
  id TEXT PRIMARY KEY,
  direction TEXT NOT NULL CHECK (direction IN ('inbound','outbound')),
  from_number TEXT NOT NULL DEFAULT '',
  to_number TEXT NOT NULL DEFAULT '',
  agent_id TEXT REFERENCES agents(id) ON DELETE SET NULL,
  contact_id TEXT REFERENCES contacts(id) ON DELETE SET NULL,
  sip_call_id TEXT,
  state TEXT NOT NULL DEFAULT 'ringing',
  outcome TEXT,
  end_reason TEXT,
  hangup_by TEXT,
  call_disposition TEXT,
  contact_disposition TEXT,
  transfer TEXT,
  variables TEXT NOT NULL DEFAULT '{}',
  collected TEXT NOT NULL DEFAULT '{}',
  summary TEXT,
  evaluation TEXT,
  recording_path TEXT,
  started_at TEXT NOT NULL,
  answered_at TEXT,
  ended_at TEXT,
  duration_ms BIGINT,
  created_at TEXT NOT NULL,
  recording_status TEXT
    CHECK (recording_status IN ('recording','uploading','ready','failed','deleted')),
  recording_duration_ms BIGINT,
  recording_deleted_at TEXT,
  amd TEXT,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX calls_by_started ON calls(started_at);
CREATE INDEX calls_by_recording ON calls(recording_status, ended_at);

CREATE TABLE call_events (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  at TEXT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX call_events_by_call ON call_events(call_id, id);

CREATE TABLE action_runs (
  id TEXT PRIMARY KEY,
  action_id TEXT REFERENCES action_definitions(id) ON DELETE SET NULL,
  attachment_id TEXT REFERENCES agent_actions(id) ON DELETE SET NULL,
  call_id TEXT REFERENCES calls(id) ON DELETE CASCADE,
  agent_id TEXT REFERENCES agents(id) ON DELETE SET NULL,
  action_type TEXT NOT NULL,
  stage TEXT,
  trigger TEXT NOT NULL DEFAULT '{}',
  inputs TEXT NOT NULL DEFAULT '{}',
  outputs TEXT NOT NULL DEFAULT '{}',
  status TEXT NOT NULL CHECK (status IN ('running','succeeded','failed','skipped','cancelled','queued')),
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  duration_ms BIGINT,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX action_runs_by_action ON action_runs(action_id, started_at);
CREATE INDEX action_runs_by_call ON action_runs(call_id, started_at);

CREATE TABLE outbox (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  call_id TEXT REFERENCES calls(id) ON DELETE SET NULL,
  action_id TEXT REFERENCES action_definitions(id) ON DELETE SET NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL DEFAULT '{}',
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','processing','delivered','dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 8,
  next_attempt_at BIGINT NOT NULL,
  claimed_at BIGINT,
  claimed_by TEXT,
  last_error TEXT,
  result TEXT,
  created_at TEXT NOT NULL,
  delivered_at TEXT,
  run_id TEXT,
  next_key TEXT,
  on_dead TEXT NOT NULL DEFAULT 'continue' CHECK (on_dead IN ('continue','abort')),
  blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0,1)),
  prior TEXT NOT NULL DEFAULT '{}',
  traceparent TEXT
);
CREATE INDEX outbox_due ON outbox(status, blocked, next_attempt_at);

-- Appointment times are ISO-8601 text; this turns a pair into a range for the exclusion constraint.
-- The text->timestamptz cast is only STABLE (a string without an offset would read in the session's
-- time zone), so the function pins the zone to UTC, which makes it truly immutable.
CREATE FUNCTION callwright_span(starts TEXT, ends TEXT) RETURNS tstzrange
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET timezone = 'UTC'
  AS $fn$ SELECT tstzrange(starts::timestamptz, ends::timestamptz, '[)') $fn$;

CREATE TABLE appointments (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  contact_id TEXT REFERENCES contacts(id) ON DELETE SET NULL,
  call_id TEXT REFERENCES calls(id) ON DELETE SET NULL,
  starts_at TEXT NOT NULL,
  ends_at TEXT NOT NULL,
  timezone TEXT NOT NULL DEFAULT 'UTC',
  title TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'booked' CHECK (status IN ('booked','cancelled')),
  external_id TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY,
  CONSTRAINT appointments_no_overlap EXCLUDE USING gist
    (user_id WITH =, callwright_span(starts_at, ends_at) WITH &&) WHERE (status = 'booked')
);
CREATE INDEX appointments_by_user ON appointments(user_id, starts_at);

CREATE TABLE voicemails (
  id TEXT PRIMARY KEY,
  call_id TEXT REFERENCES calls(id) ON DELETE SET NULL,
  agent_id TEXT REFERENCES agents(id) ON DELETE SET NULL,
  from_number TEXT NOT NULL DEFAULT '',
  to_number TEXT NOT NULL DEFAULT '',
  recording_path TEXT NOT NULL,
  duration_ms BIGINT NOT NULL DEFAULT 0,
  transcript TEXT,
  notified_at TEXT,
  created_at TEXT NOT NULL,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  call_id TEXT REFERENCES calls(id) ON DELETE SET NULL,
  contact_id TEXT REFERENCES contacts(id) ON DELETE SET NULL,
  direction TEXT NOT NULL CHECK (direction IN ('outbound','inbound')),
  channel TEXT NOT NULL CHECK (channel IN ('sms','whatsapp')),
  from_number TEXT NOT NULL,
  to_number TEXT NOT NULL,
  body TEXT NOT NULL,
  provider TEXT NOT NULL DEFAULT '',
  provider_id TEXT,
  status TEXT NOT NULL DEFAULT 'queued',
  error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX messages_by_number ON messages(to_number, created_at);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE campaigns (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  agent_id TEXT NOT NULL REFERENCES agents(id),
  status TEXT NOT NULL CHECK (status IN ('running','paused','cancelled','completed')),
  audience TEXT NOT NULL DEFAULT '{}',
  trunk TEXT,
  from_number TEXT,
  variables TEXT NOT NULL DEFAULT '{}',
  start_at TEXT,
  end_by TEXT,
  calls_per_second DOUBLE PRECISION NOT NULL,
  max_concurrent INTEGER NOT NULL,
  ring_timeout_ms BIGINT,
  retry TEXT NOT NULL DEFAULT '{}',
  finished_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE campaign_contacts (
  campaign_id TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at TEXT,
  reason TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (campaign_id, contact_id),
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX campaign_contacts_due ON campaign_contacts(campaign_id, status, next_at);

CREATE TABLE campaign_attempts (
  id TEXT PRIMARY KEY,
  campaign_id TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  contact_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('dialling','ended')),
  call_id TEXT,
  outcome TEXT,
  reason TEXT,
  claimed_at TEXT NOT NULL,
  ended_at TEXT,
  UNIQUE (campaign_id, contact_id, attempt),
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX campaign_attempts_open ON campaign_attempts(status);

CREATE TABLE ui_sessions (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  csrf_token TEXT NOT NULL,
  api_key_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX ui_sessions_expires ON ui_sessions (expires_at);

CREATE TABLE dnc_changes (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  change TEXT NOT NULL CHECK (change IN ('set','clear')),
  by TEXT NOT NULL,
  reason TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX dnc_changes_by_contact ON dnc_changes (contact_id, id);
`;
