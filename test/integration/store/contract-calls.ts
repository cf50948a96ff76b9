import { describe, expect, it } from 'vitest';
import type { CallChange } from '../../../src/store/call-feed.js';
import type { Store } from '../../../src/store/store.js';
import { useStore } from './contract-store.js';

/** Calls (search, live calls, the change feed) and their append-only event history. */
export function callContract(open: () => Promise<Store>): void {
  describe('CallRepository and CallEventRepository', () => {
    const s = useStore(open);

    async function call(fields: Record<string, unknown> = {}) {
      return s.store.calls.create({
        direction: 'inbound',
        from_number: '+15550100',
        to_number: '+15550200',
        started_at: new Date().toISOString(),
        ...fields,
      });
    }

    it('creates and updates calls, publishing each change to the feed', async () => {
      const changes: CallChange[] = [];
      const stop = s.store.feed.subscribe((c) => changes.push(c));
      const c = await call({ variables: { plan: 'gold' } });
      expect(c).toMatchObject({ state: 'ringing', variables: { plan: 'gold' }, collected: {}, amd: null });
      const ended = await s.store.calls.update(c.id, {
        state: 'ended',
        ended_at: new Date().toISOString(),
        duration_ms: 3_000_000_000,
      });
      stop();
      expect(ended.duration_ms).toBe(3_000_000_000);
      expect(changes.map((x) => x.kind)).toEqual(['call', 'call']);
    });

    it('lists live calls (not ended), newest first', async () => {
      const old = await call({ started_at: '2026-01-01T10:00:00.000Z' });
      const recent = await call({ started_at: '2026-01-01T11:00:00.000Z' });
      const done = await call({ started_at: '2026-01-01T12:00:00.000Z' });
      await s.store.calls.update(done.id, { state: 'ended', ended_at: '2026-01-01T12:01:00.000Z' });
      expect((await s.store.calls.live()).map((c) => c.id)).toEqual([recent.id, old.id]);
      expect((await s.store.calls.live(1)).map((c) => c.id)).toEqual([recent.id]);
    });

    it('searches by number text, equal fields and a start range, newest first', async () => {
      const a = await call({ from_number: '+15550100', started_at: '2026-01-01T10:00:00.000Z' });
      const b = await call({
        direction: 'outbound',
        from_number: '+15550999',
        to_number: '+44_20%',
        outcome: 'completed',
        call_disposition: 'sale',
        started_at: '2026-01-02T10:00:00.000Z',
      });
      const ids = async (f: Record<string, unknown>) =>
        (await s.store.calls.search(f)).items.map((c) => c.id);
      expect(await ids({})).toEqual([b.id, a.id]);
      expect(await ids({ number: '0100' })).toEqual([a.id]);
      expect(await ids({ number: '_20%' })).toEqual([b.id]);
      expect(await ids({ number: '4420' })).toEqual([]);
      expect(await ids({ direction: 'outbound', outcome: 'completed', disposition: 'sale' })).toEqual([b.id]);
      expect(await ids({ started_after: '2026-01-02T00:00:00Z' })).toEqual([b.id]);
      expect(await ids({ started_before: '2026-01-02T00:00:00Z' })).toEqual([a.id]);
      const page = await s.store.calls.search({ limit: 1, offset: 1 });
      expect(page).toMatchObject({ total: 2, limit: 1, offset: 1 });
      expect(page.items[0]?.id).toBe(a.id);
    });

    it('appends events in order, pages them, filters by type and amends one in place', async () => {
      const c = await call();
      const first = await s.store.callEvents.append(c.id, 'transcript', {
        who: 'agent',
        text: 'Hello there',
      });
      const second = await s.store.callEvents.append(c.id, 'dtmf', { digit: '1' });
      await s.store.callEvents.append(c.id, 'transcript', { who: 'caller', text: 'Hi' });
      expect(typeof first.id).toBe('number');
      expect(second.id).toBeGreaterThan(first.id);
      const page = await s.store.callEvents.list(c.id, { limit: 2 });
      expect(page.total).toBe(3);
      expect(page.items.map((e) => e.type)).toEqual(['transcript', 'dtmf']);
      expect(page.items[0]?.data).toEqual({ who: 'agent', text: 'Hello there' });
      const said = await s.store.callEvents.ofType(c.id, 'transcript');
      expect(said.map((e) => e.data.who)).toEqual(['agent', 'caller']);
      await s.store.callEvents.amend(c.id, first.id, { who: 'agent', text: 'Hel' });
      const after = await s.store.callEvents.list(c.id);
      expect(after.items[0]).toMatchObject({ id: first.id, data: { text: 'Hel' } });
      await expect(s.store.callEvents.append('call_missing', 'x')).rejects.toThrow();
      await s.store.calls.delete(c.id);
      expect((await s.store.callEvents.list(c.id)).total).toBe(0);
    });
  });
}
