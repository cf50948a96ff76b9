/**
 * Campaigns (docs/campaigns.md): an agent working through a set of contacts under limits and a retry
 * policy. `campaign_contacts` holds each contact's state and final result; `campaign_attempts` one row
 * per dial, claimed (status `dialling`) in a transaction before the call is placed, so a restart can
 * tell a claimed attempt from a new one and never dials a contact twice for the same attempt.
 */
export const up = `
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
  calls_per_second REAL NOT NULL,
  max_concurrent INTEGER NOT NULL,
  ring_timeout_ms INTEGER,
  retry TEXT NOT NULL DEFAULT '{}',
  finished_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
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
  PRIMARY KEY (campaign_id, contact_id)
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
  UNIQUE (campaign_id, contact_id, attempt)
);
CREATE INDEX campaign_attempts_open ON campaign_attempts(status);
`;
