import type { Config } from '../config/schema.js';
import { dataPaths } from '../config/load.js';
import { Store } from './store.js';
import { checkDatabaseUrl, connectError, isConnectError } from './postgres/database-url.js';

/**
 * The store the configuration names: PostgreSQL when `data.postgres_url` is set (several nodes share it),
 * else the SQLite file in `data.dir`. `migrate: false` refuses a database whose schema is behind this build
 * instead of upgrading it (the CLI's read-only commands).
 */
export async function openStore(config: Config, options: { migrate?: boolean } = {}): Promise<Store> {
  if (config.data.postgres_url) {
    const url = checkDatabaseUrl(config.data.postgres_url, 'data.postgres_url');
    try {
      return await Store.connect({ url, poolSize: config.data.postgres_pool_size, migrate: options.migrate });
    } catch (err) {
      throw isConnectError(err) ? connectError(err, url, 'data.postgres_url') : err;
    }
  }
  return Store.open(dataPaths(config).database, { cacheMb: config.data.sqlite_cache_mb });
}
