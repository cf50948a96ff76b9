import type { Store } from '../../../src/store/store.js';
import { accessContract } from './contract-access.js';
import { callContract } from './contract-calls.js';
import { contactContract } from './contract-contacts.js';
import { tableRepositoryContract } from './contract-table.js';
import { transactionContract } from './contract-transactions.js';

/**
 * The behaviour every store engine owes the rest of the code, run against SQLite (sqlite-store.test.ts)
 * and PostgreSQL (postgres-store.test.ts). `open` returns a fresh, empty, migrated store each time; each
 * test closes the store it opened.
 */
export function repositoryContract(open: () => Promise<Store>): void {
  tableRepositoryContract(open);
  transactionContract(open);
  contactContract(open);
  callContract(open);
  accessContract(open);
}
