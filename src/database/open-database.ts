import { join } from 'node:path';
import { Database } from './database';
import { PgliteDatabase } from './pglite-database';
import { PostgresDatabase } from './postgres-database';

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

/** PostgreSQL at DATABASE_URL, else PGlite in DATA_DIR/pglite; for the server, the bench and the tests alike. Not migrated. */
export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  if (settings.databaseUrl) return PostgresDatabase.open(settings.databaseUrl, settings.databasePoolSize ?? 20);
  return PgliteDatabase.open(join(settings.dataDir, 'pglite'), settings.pgliteSettings);
}
