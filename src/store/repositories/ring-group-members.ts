import type { Statement } from 'better-sqlite3';
import type { Db } from '../database.js';

/** One member of a ring group, in ring order. */
export interface RingGroupMember {
  user_id: string;
  position: number;
  /** Overrides the group's member timeout for this user; null uses the group's. */
  timeout_secs: number | null;
}

/** The ordered users of each ring group. Positions are 0-based and follow the order given. */
export class RingGroupMemberRepository {
  private readonly membersOf: Statement;
  private readonly clear: Statement;
  private readonly insert: Statement;

  constructor(db: Db) {
    this.membersOf = db.prepare(
      'SELECT user_id, position, timeout_secs FROM ring_group_members WHERE group_id = ? ORDER BY position, user_id',
    );
    this.clear = db.prepare('DELETE FROM ring_group_members WHERE group_id = ?');
    this.insert = db.prepare(
      'INSERT INTO ring_group_members (group_id, user_id, position, timeout_secs) VALUES (?, ?, ?, ?)',
    );
  }

  list(groupId: string): RingGroupMember[] {
    return this.membersOf.all(groupId) as RingGroupMember[];
  }

  /** Replaces the members with these users, in this order (callers wrap it in a transaction with the group). */
  replace(groupId: string, members: Array<{ user_id: string; timeout_secs?: number | null }>): void {
    this.clear.run(groupId);
    members.forEach((m, i) => this.insert.run(groupId, m.user_id, i, m.timeout_secs ?? null));
  }
}
