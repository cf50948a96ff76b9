/**
 * Every change of a contact's Do-Not-Call mark: who set or cleared it, when and why. The contact row
 * keeps only the current mark (cleared to NULLs when taken off), so the history is what answers "who
 * took this number off the list, and why" (docs/dashboard.md, Contacts).
 */
export const up = `
CREATE TABLE dnc_changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  change TEXT NOT NULL CHECK (change IN ('set','clear')),
  by TEXT NOT NULL,
  reason TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX dnc_changes_by_contact ON dnc_changes (contact_id, id);
`;
