import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { getPGliteInstance } from 'typeorm-pglite';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { AppConfig } from '../config/app-config';
import { tighten } from '../config/private-data-dir';
import { buildDataSourceOptions } from './data-source';
import { Database, Queryable, Row } from './database';

const MIGRATION_LOCK_KEY = 726_100_001;

class PostgresDatabase extends Database {
  readonly driver = 'postgres' as const;

  constructor(private readonly pool: Pool) {
    super();
  }

  async query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]> {
    const result = await this.pool.query(sql, params);
    return result.rows as T[];
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work({ query: async <R extends Row>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as R[] });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }
}

class PgliteDatabase extends Database {
  readonly driver = 'pglite' as const;

  constructor(private readonly db: PGlite) {
    super();
  }

  async query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]> {
    return (await this.db.query<T>(sql, params)).rows;
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction((tx: Transaction) =>
      work({ query: async <R extends Row>(sql: string, params?: unknown[]) => (await tx.query<R>(sql, params)).rows }),
    );
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }
}

/** Runs the migrations; in PostgreSQL under an advisory lock, since instances may start together. */
async function migrate(dataSource: DataSource, pool: Pool | undefined, logger: Logger): Promise<void> {
  const lockClient = pool ? await pool.connect() : undefined;
  try {
    await lockClient?.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0) logger.log(`Applied migrations: ${applied.map((m) => m.name).join(', ')}`);
  } finally {
    await lockClient?.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    lockClient?.release();
  }
}

export const databaseProviders = [
  {
    provide: DataSource,
    inject: [AppConfig],
    useFactory: async (config: AppConfig): Promise<DataSource> => {
      const logger = new Logger('Database');
      const dataSource = new DataSource(buildDataSourceOptions(config.storage));
      // PGlite creates its files at the first start, silently, for about 20 s: say so before.
      if (!config.storage.databaseUrl && !existsSync(join(config.storage.dataDir, 'pglite', 'PG_VERSION'))) {
        logger.log(`Creating the embedded database in ${config.storage.dataDir} (first start, about 20 s)...`);
      }
      await dataSource.initialize();
      const pool = config.storage.databaseUrl ? (dataSource.driver as unknown as { master: Pool }).master : undefined;
      await migrate(dataSource, pool, logger);
      // PGlite's initial files come out of its bundle with mode 0666, past the umask.
      if (!config.storage.databaseUrl) tighten(config.storage.dataDir);
      logger.log(config.storage.databaseUrl ? 'Using PostgreSQL' : `Using embedded PGlite in ${config.storage.dataDir}`);
      return dataSource;
    },
  },
  {
    provide: Database,
    inject: [DataSource],
    useFactory: async (dataSource: DataSource): Promise<Database> => {
      if ((dataSource.options as { url?: string }).url) {
        const pool = (dataSource.driver as unknown as { master: Pool }).master;
        return new PostgresDatabase(pool);
      }
      return new PgliteDatabase(await getPGliteInstance());
    },
  },
];
