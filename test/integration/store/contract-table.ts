import { describe, expect, it } from 'vitest';
import { CallwrightError } from '../../../src/errors.js';
import type { Store } from '../../../src/store/store.js';
import { useStore } from './contract-store.js';

async function rejection(p: Promise<unknown>): Promise<CallwrightError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CallwrightError);
  return err as CallwrightError;
}

async function agent(store: Store, name = 'Front desk') {
  return store.agents.create({ name, kind: 'scripted' });
}

/** The generic repository every simple table uses (agents, actions, tags, lists, users, numbers…). */
export function tableRepositoryContract(open: () => Promise<Store>): void {
  describe('TableRepository', () => {
    const s = useStore(open);

    it('creates a record with a prefixed id, timestamps and the table defaults', async () => {
      const a = await agent(s.store);
      expect(a.id).toMatch(/^agt_/);
      expect(a).toMatchObject({ name: 'Front desk', kind: 'scripted', language: 'en', config: {} });
      expect(a).not.toHaveProperty('rowid');
      expect(Date.parse(a.created_at)).not.toBeNaN();
      expect(a.updated_at).toBe(a.created_at);
      expect(await s.store.agents.get(a.id)).toEqual(a);
      expect(await s.store.agents.require(a.id)).toEqual(a);
    });

    it('round-trips JSON and boolean columns', async () => {
      const config = { url: 'https://example.test/hook', headers: { a: 'b' }, list: [1, 'two', null] };
      const act = await s.store.actions.create({ name: 'hook', type: 'http', config, enabled: false });
      expect(act.config).toEqual(config);
      expect(act.enabled).toBe(false);
      expect((await s.store.actions.update(act.id, { enabled: true })).enabled).toBe(true);
    });

    it('finds by a column, by id or by name', async () => {
      const a = await agent(s.store);
      expect((await s.store.agents.findBy('name', 'Front desk'))?.id).toBe(a.id);
      expect(await s.store.agents.findBy('name', 'nobody')).toBeUndefined();
      expect((await s.store.agents.byIdOrName(a.id))?.id).toBe(a.id);
      expect((await s.store.agents.byIdOrName('Front desk'))?.id).toBe(a.id);
      expect(await s.store.agents.byIdOrName('agt_missing')).toBeUndefined();
      await expect(s.store.agents.findBy('no_such_column', 1)).rejects.toThrow(/unknown column/);
    });

    it('reports a missing record as NOT_FOUND naming the entity and id', async () => {
      expect(await s.store.agents.get('agt_missing')).toBeUndefined();
      const err = await rejection(s.store.agents.require('agt_missing'));
      expect(err.code).toBe('NOT_FOUND');
      expect(err.message).toBe('agent "agt_missing" not found');
      expect((await rejection(s.store.agents.update('agt_missing', { name: 'x' }))).code).toBe('NOT_FOUND');
      expect((await rejection(s.store.agents.delete('agt_missing'))).code).toBe('NOT_FOUND');
    });

    it('lists in insertion order with a total, pages and equality filters', async () => {
      const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
      // Several rows land in the same millisecond: the order must still be the order of insertion.
      for (const name of names) await s.store.tags.create({ name });
      const all = await s.store.tags.list({ limit: 100 });
      expect(all.items.map((t) => t.name)).toEqual(names);
      expect(all.total).toBe(7);
      const page = await s.store.tags.list({ limit: 3, offset: 2 });
      expect(page).toMatchObject({ total: 7, limit: 3, offset: 2 });
      expect(page.items.map((t) => t.name)).toEqual(['c', 'd', 'e']);
      expect((await s.store.tags.all()).map((t) => t.name)).toEqual(names);

      await s.store.dispositions.create({ scope: 'call', code: 'sale', label: 'Sale' });
      await s.store.dispositions.create({ scope: 'contact', code: 'vip', label: 'VIP' });
      await s.store.dispositions.create({ scope: 'call', code: 'nosale', label: 'No sale' });
      const calls = await s.store.dispositions.list({}, { scope: 'call', code: undefined });
      expect(calls.total).toBe(2);
      expect(calls.items.map((d) => d.code)).toEqual(['sale', 'nosale']);
      const off = await s.store.actions.list({}, { enabled: false });
      expect(off.total).toBe(0);
      await expect(s.store.tags.list({}, { colour: 'red' })).rejects.toThrow(/unknown column colour/);
    });

    it('keeps its own order when the repository names one', async () => {
      const a = await agent(s.store);
      const second = await s.store.actions.create({ name: 'second', type: 'http' });
      const first = await s.store.actions.create({ name: 'first', type: 'http' });
      await s.store.attachments.create({ agent_id: a.id, action_id: second.id, stage: 'after', position: 1 });
      await s.store.attachments.create({ agent_id: a.id, action_id: first.id, stage: 'after', position: 0 });
      const listed = await s.store.attachments.list({}, { agent_id: a.id });
      expect(listed.items.map((x) => x.action_id)).toEqual([first.id, second.id]);
    });

    it('updates only the given columns and stamps updated_at', async () => {
      const a = await agent(s.store);
      await new Promise((r) => setTimeout(r, 5));
      const b = await s.store.agents.update(a.id, { description: 'Takes the calls', config: { x: 1 } });
      expect(b).toMatchObject({ name: 'Front desk', description: 'Takes the calls', config: { x: 1 } });
      expect(b.created_at).toBe(a.created_at);
      expect(b.updated_at > a.updated_at).toBe(true);
      expect(await s.store.agents.update(a.id, {})).toEqual(b);
    });

    it('deletes a record and cascades to its dependants', async () => {
      const a = await agent(s.store);
      const n = await s.store.numbers.create({ number: '+15550100', agent_id: a.id });
      expect(n.record).toBe('agent');
      await s.store.agents.delete(a.id);
      expect(await s.store.agents.get(a.id)).toBeUndefined();
      expect(await s.store.numbers.get(n.id)).toBeUndefined();
    });

    it('refuses a duplicate with CONFLICT naming the field', async () => {
      await agent(s.store);
      const err = await rejection(agent(s.store));
      expect(err.code).toBe('CONFLICT');
      expect(err.message).toBe('agent with this name already exists');
      expect(err.issues[0]?.field).toBe('name');
      const other = await agent(s.store, 'Other');
      const renamed = await rejection(s.store.agents.update(other.id, { name: 'Front desk' }));
      expect(renamed.issues[0]?.field).toBe('name');
      await s.store.dispositions.create({ scope: 'call', code: 'sale', label: 'Sale' });
      const pair = await rejection(s.store.dispositions.create({ scope: 'call', code: 'sale', label: 'x' }));
      expect(pair.code).toBe('CONFLICT');
      expect(pair.issues[0]?.field).toBe('code');
    });

    it('refuses a reference to a missing record with VALIDATION', async () => {
      const err = await rejection(s.store.numbers.create({ number: '+15550100', agent_id: 'agt_missing' }));
      expect(err.code).toBe('VALIDATION');
      expect(err.issues[0]?.field).toBe('reference');
      expect(await s.store.numbers.list()).toMatchObject({ total: 0 });
    });

    it('refuses a value outside a CHECK constraint', async () => {
      await expect(s.store.agents.create({ name: 'x', kind: 'telepathic' as never })).rejects.toThrow();
      expect((await s.store.agents.list()).total).toBe(0);
    });
  });
}
