/**
 * The fields the outbox worker reads to move an ordered chain on become columns of `outbox`, out of
 * the JSON payload: a payload that no longer matches its kind's type then fails its own row without
 * stopping the chain, and the worker never guesses at JSON to find the next row.
 *
 * - `run_id`: the `action_runs` row the delivery records in (after-call actions).
 * - `next_key`: idempotency key of the row this one releases; `on_dead`: whether a dead row still
 *   releases it (`continue`) or dead-letters the rest of the chain (`abort`).
 * - `blocked`: waiting for the row before it; replaces `next_attempt_at` = 8640000000000000 (the
 *   largest JavaScript date), which the claim index now skips by column.
 * - `prior`: outputs of the earlier rows, written when the row is released (was `payload.prior`).
 *
 * Existing rows: the values move from the payload into the columns and leave the payload. A payload
 * that is not a JSON object is left as it is (its row fails with a decode error when delivered).
 */
export const up = `
ALTER TABLE outbox ADD COLUMN run_id TEXT;
ALTER TABLE outbox ADD COLUMN next_key TEXT;
ALTER TABLE outbox ADD COLUMN on_dead TEXT NOT NULL DEFAULT 'continue' CHECK (on_dead IN ('continue','abort'));
ALTER TABLE outbox ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0,1));
ALTER TABLE outbox ADD COLUMN prior TEXT NOT NULL DEFAULT '{}';

UPDATE outbox SET
  run_id = CASE WHEN json_type(payload, '$.run_id') = 'text' THEN json_extract(payload, '$.run_id') END,
  next_key = CASE WHEN json_type(payload, '$.next_key') = 'text' THEN json_extract(payload, '$.next_key') END,
  on_dead = CASE WHEN json_extract(payload, '$.on_dead') = 'abort' THEN 'abort' ELSE 'continue' END,
  prior = CASE WHEN json_type(payload, '$.prior') = 'object' THEN json_extract(payload, '$.prior') ELSE '{}' END,
  payload = json_remove(payload, '$.run_id', '$.next_key', '$.on_dead', '$.prior')
WHERE CASE WHEN json_valid(payload) THEN json_type(payload) = 'object' ELSE 0 END;

UPDATE outbox SET
  blocked = 1,
  next_attempt_at = coalesce(CAST(strftime('%s', created_at) AS INTEGER) * 1000, 0)
WHERE next_attempt_at = 8640000000000000;

DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox(status, blocked, next_attempt_at);
`;
