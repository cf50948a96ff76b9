import { afterEach, beforeEach } from 'vitest';
import type { Store } from '../../../src/store/store.js';

/** A fresh, empty, migrated store for each test of a contract, closed after it. */
export function useStore(open: () => Promise<Store>): { store: Store } {
  const holder = {} as { store: Store };
  beforeEach(async () => {
    holder.store = await open();
  });
  afterEach(async () => {
    await holder.store.close();
  });
  return holder;
}
