import { describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/store.js';
import { useStore } from './contract-store.js';

/** Contacts: tags by name, lists by id, the Do-Not-Call mark with its history, and search. */
export function contactContract(open: () => Promise<Store>): void {
  describe('ContactRepository', () => {
    const s = useStore(open);

    async function contact(phone: string, fields: Record<string, unknown> = {}) {
      return s.store.contacts.create({ phone, ...fields });
    }

    it('finds a contact by phone and refuses a second one with that phone', async () => {
      const c = await contact('+15550101', { first_name: 'Ann', properties: { plan: 'gold' } });
      expect(c).toMatchObject({ id: expect.stringMatching(/^con_/), dnc: false, sms_opt_out: false });
      expect((await s.store.contacts.findByPhone('+15550101'))?.properties).toEqual({ plan: 'gold' });
      expect(await s.store.contacts.findByPhone('+15550199')).toBeUndefined();
      await expect(contact('+15550101')).rejects.toMatchObject({ code: 'CONFLICT' });
    });

    it('adds, removes and replaces tags by name, creating each tag once', async () => {
      const c = await contact('+15550101');
      expect(await s.store.contacts.addTag(c.id, 'vip')).toBe(true);
      expect(await s.store.contacts.addTag(c.id, 'vip')).toBe(false);
      expect(await s.store.contacts.addTag(c.id, 'late')).toBe(true);
      expect((await s.store.contacts.tagsOf(c.id)).sort()).toEqual(['late', 'vip']);
      expect(await s.store.contacts.removeTag(c.id, 'late')).toBe(true);
      expect(await s.store.contacts.removeTag(c.id, 'late')).toBe(false);
      await s.store.contacts.setTags(c.id, ['a', 'vip']);
      expect((await s.store.contacts.tagsOf(c.id)).sort()).toEqual(['a', 'vip']);
      const tag = await s.store.contacts.ensureTag('vip');
      expect((await s.store.contacts.ensureTag('vip')).id).toBe(tag.id);
      expect((await s.store.tags.list()).total).toBe(3);
      await expect(s.store.contacts.addTag('con_missing', 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('adds to and removes from lists by id, which must exist', async () => {
      const c = await contact('+15550101');
      const list = await s.store.contacts.ensureList('Leads');
      expect((await s.store.contacts.ensureList('Leads')).id).toBe(list.id);
      expect(await s.store.contacts.addToList(c.id, list.id)).toBe(true);
      expect(await s.store.contacts.addToList(c.id, list.id)).toBe(false);
      expect(await s.store.contacts.listsOf(c.id)).toEqual([{ id: list.id, name: 'Leads' }]);
      await expect(s.store.contacts.addToList(c.id, 'lst_missing')).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      expect(await s.store.contacts.removeFromList(c.id, list.id)).toBe(true);
      const other = await s.store.lists.create({ name: 'Other' });
      await s.store.contacts.setLists(c.id, [other.id, list.id]);
      expect((await s.store.contacts.listsOf(c.id)).map((l) => l.name).sort()).toEqual(['Leads', 'Other']);
    });

    it('marks and clears Do-Not-Call, keeping who, when and why in the history', async () => {
      const c = await contact('+15550101');
      const marked = await s.store.contacts.markDnc(c.id, { by: 'api:key_1', reason: 'asked on the call' });
      expect(marked).toMatchObject({ dnc: true, dnc_by: 'api:key_1', dnc_reason: 'asked on the call' });
      expect(Date.parse(marked.dnc_at ?? '')).not.toBeNaN();
      expect((await s.store.contacts.findByPhone('+15550101'))?.dnc).toBe(true);
      const cleared = await s.store.contacts.clearDnc(c.id, { by: 'ui:ann', reason: 'consent given' });
      expect(cleared).toMatchObject({ dnc: false, dnc_at: null, dnc_by: null, dnc_reason: null });
      const history = await s.store.contacts.dncChanges(c.id);
      expect(history.map((h) => [h.change, h.by, h.reason])).toEqual([
        ['clear', 'ui:ann', 'consent given'],
        ['set', 'api:key_1', 'asked on the call'],
      ]);
      await expect(s.store.contacts.markDnc('con_missing', { by: 'x', reason: 'y' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      expect(await s.store.contacts.dncChanges(c.id, 1)).toHaveLength(1);
    });

    it('searches by phone, text (case-insensitive), phone digits, tag, list and DNC, oldest first', async () => {
      const ann = await contact('+1 (555) 010-1000', {
        first_name: 'Ann',
        last_name: 'Lee',
        email: 'ann@x.test',
      });
      const bob = await contact('+15550102000', { first_name: 'Bob', last_name: 'Stone' });
      const pct = await contact('+15550103000', { first_name: '100%', last_name: 'Sure' });
      await s.store.contacts.addTag(bob.id, 'vip');
      const list = await s.store.contacts.ensureList('Leads');
      await s.store.contacts.addToList(ann.id, list.id);
      await s.store.contacts.markDnc(pct.id, { by: 'x', reason: 'y' });
      const ids = async (filter: Record<string, unknown>) =>
        (await s.store.contacts.search({}, filter)).items.map((c) => c.id);
      expect(await ids({})).toEqual([ann.id, bob.id, pct.id]);
      expect(await ids({ phone: '+15550102000' })).toEqual([bob.id]);
      expect(await ids({ q: 'ANN LEE' })).toEqual([ann.id]);
      expect(await ids({ q: 'stone' })).toEqual([bob.id]);
      expect(await ids({ q: '%' })).toEqual([pct.id]);
      expect(await ids({ q: '0102' })).toEqual([bob.id]);
      expect(await ids({ tag: 'vip' })).toEqual([bob.id]);
      expect(await ids({ list: list.id })).toEqual([ann.id]);
      expect(await ids({ dnc: true })).toEqual([pct.id]);
      expect(await ids({ dnc: false, q: 'o' })).toEqual([bob.id]);
      const page = await s.store.contacts.search({ limit: 1, offset: 1 }, {});
      expect(page).toMatchObject({ total: 3, limit: 1, offset: 1 });
      expect(page.items.map((c) => c.id)).toEqual([bob.id]);
    });
  });
}
