import { describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/store.js';
import { useStore } from './contract-store.js';

/** API keys, dashboard sessions and ring group members. */
export function accessContract(open: () => Promise<Store>): void {
  describe('ApiKeyRepository and UiSessionRepository', () => {
    const s = useStore(open);

    it('creates a key shown once, verifies it, lists and revokes it by id or prefix', async () => {
      const { record, token } = await s.store.apiKeys.create('ci');
      expect(token.startsWith(record.prefix)).toBe(true);
      expect(await s.store.apiKeys.activeCount()).toBe(1);
      expect(await s.store.apiKeys.verify(token)).toBe(record.id);
      expect(await s.store.apiKeys.verify(token + 'x')).toBeUndefined();
      expect(await s.store.apiKeys.verify('not-a-key')).toBeUndefined();
      const listed = await s.store.apiKeys.list();
      expect(listed.map((k) => k.id)).toEqual([record.id]);
      expect(listed[0]?.last_used_at).not.toBeNull();
      expect(JSON.stringify(listed)).not.toContain(token);
      const other = await s.store.apiKeys.create('other');
      await s.store.apiKeys.revoke(record.prefix);
      await s.store.apiKeys.revoke(other.record.id);
      expect(await s.store.apiKeys.verify(token)).toBeUndefined();
      expect(await s.store.apiKeys.activeCount()).toBe(0);
      await expect(s.store.apiKeys.revoke(record.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('keeps a dashboard session until it expires, its key is revoked or it signs out', async () => {
      const key = await s.store.apiKeys.create('ui');
      const now = Date.parse('2026-03-01T10:00:00.000Z');
      const { token, session } = await s.store.uiSessions.create(key.record.id, 60_000, now);
      expect(await s.store.uiSessions.find(token, now + 59_000)).toEqual(session);
      expect(await s.store.uiSessions.find(token, now + 60_000)).toBeUndefined();
      expect(await s.store.uiSessions.find('unknown', now)).toBeUndefined();
      const second = await s.store.uiSessions.create(key.record.id, 60_000, now);
      await s.store.uiSessions.delete(second.token);
      expect(await s.store.uiSessions.find(second.token, now)).toBeUndefined();
      const third = await s.store.uiSessions.create(key.record.id, 60_000, now);
      await s.store.apiKeys.revoke(key.record.id);
      expect(await s.store.uiSessions.find(third.token, now)).toBeUndefined();
      await expect(s.store.uiSessions.create('key_missing', 60_000, now)).rejects.toThrow();
    });
  });

  describe('RingGroupMemberRepository', () => {
    const s = useStore(open);

    it('replaces members in the order given and cascades with users and groups', async () => {
      const group = await s.store.ringGroups.create({ name: 'Sales', strategy: 'sequential' });
      const ann = await s.store.users.create({ name: 'Ann' });
      const bob = await s.store.users.create({ name: 'Bob' });
      await s.store.ringGroupMembers.replace(group.id, [
        { user_id: bob.id, timeout_secs: 10 },
        { user_id: ann.id },
      ]);
      expect(await s.store.ringGroupMembers.list(group.id)).toEqual([
        { user_id: bob.id, position: 0, timeout_secs: 10 },
        { user_id: ann.id, position: 1, timeout_secs: null },
      ]);
      await s.store.ringGroupMembers.replace(group.id, [{ user_id: ann.id }]);
      expect((await s.store.ringGroupMembers.list(group.id)).map((m) => m.user_id)).toEqual([ann.id]);
      await expect(
        s.store.ringGroupMembers.replace(group.id, [{ user_id: 'usr_missing' }]),
      ).rejects.toThrow();
      await s.store.users.delete(ann.id);
      expect(await s.store.ringGroupMembers.list(group.id)).toEqual([]);
      await s.store.ringGroupMembers.replace(group.id, [{ user_id: bob.id }]);
      await s.store.ringGroups.delete(group.id);
      expect(await s.store.ringGroupMembers.list(group.id)).toEqual([]);
    });
  });
}
