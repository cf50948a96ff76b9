import { describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/store.js';
import { useStore } from './contract-store.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function tagNames(store: Store): Promise<string[]> {
  return (await store.tags.all()).map((t) => t.name);
}

/** `store.transaction`: every repository call and `store.sql` query inside it commits or rolls back together. */
export function transactionContract(open: () => Promise<Store>): void {
  describe('store.transaction', () => {
    const s = useStore(open);

    it('commits every write made inside it and returns its result', async () => {
      const result = await s.store.transaction(async () => {
        expect(s.store.sql.inTransaction()).toBe(true);
        await s.store.tags.create({ name: 'a' });
        await s.store.sql.run('INSERT INTO tags (id, name, created_at) VALUES (?, ?, ?)', [
          'tag_b',
          'b',
          new Date().toISOString(),
        ]);
        return 42;
      });
      expect(result).toBe(42);
      expect(s.store.sql.inTransaction()).toBe(false);
      expect(await tagNames(s.store)).toEqual(['a', 'b']);
    });

    it('work started inside a transaction that runs after it ended is outside every transaction', async () => {
      const later = deferred();
      let leaked: Promise<unknown> | undefined;
      await s.store.transaction(async () => {
        // Started inside, run after the commit: it must not join the next transaction (and roll back with it).
        leaked = later.promise.then(async () => {
          expect(s.store.sql.inTransaction()).toBe(false);
          await s.store.tags.create({ name: 'leaked' });
        });
      });
      const failing = s.store.transaction(async () => {
        await s.store.tags.create({ name: 'rolled-back' });
        later.resolve();
        await new Promise((r) => setTimeout(r, 50));
        throw new Error('boom');
      });
      await expect(failing).rejects.toThrow('boom');
      await leaked;
      expect(await tagNames(s.store)).toEqual(['leaked']);
    });

    it('rolls everything back when the function throws, and rethrows', async () => {
      await s.store.tags.create({ name: 'before' });
      const boom = new Error('boom');
      await expect(
        s.store.transaction(async () => {
          await s.store.tags.create({ name: 'inside' });
          await s.store.sql.run('DELETE FROM tags WHERE name = ?', ['before']);
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await tagNames(s.store)).toEqual(['before']);
    });

    it('rolls back when a statement inside fails (a constraint), and the store stays usable', async () => {
      await s.store.tags.create({ name: 'taken' });
      await expect(
        s.store.transaction(async () => {
          await s.store.tags.create({ name: 'fresh' });
          await s.store.tags.create({ name: 'taken' });
        }),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await tagNames(s.store)).toEqual(['taken']);
      await s.store.tags.create({ name: 'after' });
      expect(await tagNames(s.store)).toEqual(['taken', 'after']);
    });

    it('joins a nested transaction to the outer one', async () => {
      await expect(
        s.store.transaction(async () => {
          await s.store.tags.create({ name: 'outer' });
          await s.store.transaction(async () => {
            await s.store.tags.create({ name: 'inner' });
          });
          // The inner one committed nothing on its own: the outer failure takes it back too.
          throw new Error('outer fails');
        }),
      ).rejects.toThrow('outer fails');
      expect(await tagNames(s.store)).toEqual([]);

      await s.store.transaction(async () => {
        await s.store.transaction(async () => s.store.tags.create({ name: 'inner' }));
        expect((await s.store.tags.findBy('name', 'inner'))?.name).toBe('inner');
      });
      expect(await tagNames(s.store)).toEqual(['inner']);
    });

    it('keeps uncommitted writes from readers outside the transaction', async () => {
      const user = await s.store.users.create({ name: 'Ann' });
      const gate = deferred();
      const wrote = deferred();
      let open = true;
      const tx = s.store.transaction(async () => {
        await s.store.users.update(user.id, { name: 'Ann B.' });
        wrote.resolve();
        await gate.promise;
      });
      await wrote.promise;
      const outside = s.store.users.get(user.id).then((u) => ({ name: u?.name, whileOpen: open }));
      // PostgreSQL answers at once with the last committed value; SQLite (one connection) holds the read
      // until the transaction ends. Give the read a moment to answer before the transaction goes on.
      await Promise.race([outside, new Promise((r) => setTimeout(r, 500))]);
      open = false;
      gate.resolve();
      await tx;
      const seen = await outside;
      if (seen.whileOpen) expect(seen.name).toBe('Ann');
      if (s.store.dialect === 'sqlite') expect(seen).toEqual({ name: 'Ann B.', whileOpen: false });
      expect((await s.store.users.get(user.id))?.name).toBe('Ann B.');
    });

    it('loses no update when concurrent transactions write the same row', async () => {
      const user = await s.store.users.create({ name: 'Ann', slot_minutes: 0 });
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          s.store.transaction(async () => {
            await s.store.tags.create({ name: `t${i}` });
            await s.store.sql.run('UPDATE users SET slot_minutes = slot_minutes + 1 WHERE id = ?', [user.id]);
          }),
        ),
      );
      expect((await s.store.users.require(user.id)).slot_minutes).toBe(12);
      expect((await s.store.tags.list()).total).toBe(12);
    });

    it('commits no lost update from read-then-write transactions at serializable isolation', async () => {
      // At PostgreSQL's default READ COMMITTED two transactions can read the same value and both write
      // value + 1: a read-then-write needs `serializable` (the loser fails with 40001, to be retried) or a
      // single conditional statement. SQLite runs one transaction at a time: all commit.
      const user = await s.store.users.create({ name: 'Ann', slot_minutes: 0 });
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () =>
          s.store.transaction(
            async () => {
              const before = await s.store.users.require(user.id);
              await s.store.users.update(user.id, { slot_minutes: before.slot_minutes + 1 });
            },
            { isolation: 'serializable' },
          ),
        ),
      );
      const committed = results.filter((r) => r.status === 'fulfilled').length;
      expect(committed).toBeGreaterThan(0);
      for (const r of results)
        if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('40001');
      expect((await s.store.users.require(user.id)).slot_minutes).toBe(committed);
    });

    it('sees the writes of a transaction that committed before it began', async () => {
      await s.store.transaction(async () => {
        await s.store.tags.create({ name: 'first' });
      });
      const seen = await s.store.transaction(async () => tagNames(s.store));
      expect(seen).toEqual(['first']);
    });
  });
}
