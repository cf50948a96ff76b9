import type { SqlDatabase } from '../sql/sql-database.js';

/** One member of a ring group, in ring order. */
export interface RingGroupMember {
  user_id: string;
  position: number;
  /** Overrides the group's member timeout for this user; null uses the group's. */
  timeout_secs: number | null;
}

/** The ordered users of each ring group. Positions are 0-based and follow the order given. */
export class RingGroupMemberRepository {
  constructor(private readonly sql: SqlDatabase) {}

  list(groupId: string): Promise<RingGroupMember[]> {
    return this.sql.all<RingGroupMember>(
      'SELECT user_id, position, timeout_secs FROM ring_group_members WHERE group_id = ? ORDER BY position, user_id',
      [groupId],
    );
  }

  /** Replaces the members with these users, in this order (callers wrap it in a transaction with the group). */
  async replace(
    groupId: string,
    members: Array<{ user_id: string; timeout_secs?: number | null }>,
  ): Promise<void> {
    await this.sql.run('DELETE FROM ring_group_members WHERE group_id = ?', [groupId]);
    for (const [i, m] of members.entries()) {
      await this.sql.run(
        'INSERT INTO ring_group_members (group_id, user_id, position, timeout_secs) VALUES (?, ?, ?, ?)',
        [groupId, m.user_id, i, m.timeout_secs ?? null],
      );
    }
  }
}
