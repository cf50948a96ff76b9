import { afterAll, describe } from 'vitest';
import path from 'node:path';
import { Store } from '../../../src/store/store.js';
import { tempDir } from '../../helpers/temp.js';
import { repositoryContract } from './repository-contract.js';

const t = tempDir();
afterAll(() => t.cleanup());
let n = 0;

describe('SQLite store', () => {
  repositoryContract(async () => Store.open(path.join(t.dir, `store-${++n}.db`)));
});
