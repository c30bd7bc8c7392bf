import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { tighten } from '../config/private-data-dir';
import { Database } from './database';
import { MIGRATIONS } from './migrations';
import { migrate } from './migrator';
import { DatabaseSettings, openDatabase } from './open-database';

/** The database of the configuration, migrated. */
export async function migratedDatabase(config: DatabaseSettings): Promise<Database> {
  const logger = new Logger('Database');
  // PGlite creates its files at the first start, silently, for about 20 s: say so before.
  if (!config.databaseUrl && !existsSync(join(config.dataDir, 'pglite', 'PG_VERSION'))) {
    logger.log(`Creating the embedded database in ${config.dataDir} (first start, about 20 s)...`);
  }
  const db = await openDatabase(config);
  const applied = await migrate(db, MIGRATIONS);
  if (applied.length > 0) logger.log(`Applied migrations: ${applied.join(', ')}`);
  // PGlite's initial files come out of its bundle with mode 0666, past the umask.
  if (!config.databaseUrl) tighten(config.dataDir);
  logger.log(config.databaseUrl ? 'Using PostgreSQL' : `Using embedded PGlite in ${config.dataDir}`);
  return db;
}

export const databaseProviders = [
  { provide: Database, inject: [AppConfig], useFactory: (config: AppConfig) => migratedDatabase(config.storage) },
];
