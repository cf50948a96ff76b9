import type { Config } from '../config/schema.js';
import { dataPaths } from '../config/load.js';
import { Store } from './store.js';

/**
 * The store the configuration names: PostgreSQL when `data.postgres_url` is set (several nodes share it),
 * else the SQLite file in `data.dir`. `migrate: false` refuses a database whose schema is behind this build
 * instead of upgrading it (the CLI's read-only commands).
 */
export async function openStore(config: Config, options: { migrate?: boolean } = {}): Promise<Store> {
  if (config.data.postgres_url) {
    return Store.connect({
      url: config.data.postgres_url,
      poolSize: config.data.postgres_pool_size,
      migrate: options.migrate,
    });
  }
  return Store.open(dataPaths(config).database, { cacheMb: config.data.sqlite_cache_mb });
}
