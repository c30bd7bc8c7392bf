import 'reflect-metadata';
import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { PGlite } from '@electric-sql/pglite';
import { PGliteDriver } from 'typeorm-pglite';
import { cliDatabaseSettings } from '../config/app-config';
import { MIGRATIONS } from './migrations';

export interface DatabaseSettings {
  databaseUrl?: string;
  dataDir: string;
  /** PostgreSQL connections this instance may open at most (DATABASE_POOL_SIZE). */
  databasePoolSize?: number;
  /**
   * PGlite only: server settings for this start (`-c name=value`, after PGlite's defaults); the
   * bench's seed uses it for `wal_level=minimal`.
   */
  pgliteSettings?: Record<string, string>;
}

/** One builder for the app and for the TypeORM CLI, so that the two cannot drift. */
export function buildDataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities: [],
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    logging: false,
  };
  if (settings.databaseUrl) {
    return { ...common, url: settings.databaseUrl, extra: { max: settings.databasePoolSize ?? 20, idleTimeoutMillis: 30000, connectionTimeoutMillis: 5000 } };
  }
  const startParams = [...PGlite.defaultStartParams, ...Object.entries(settings.pgliteSettings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
  return { ...common, driver: new PGliteDriver({ dataDir: join(settings.dataDir, 'pglite'), startParams }).driver };
}

/** The data source the TypeORM CLI uses (`npx typeorm migration:show -d dist/database/data-source.js`). */
export default new DataSource(buildDataSourceOptions(cliDatabaseSettings()));
