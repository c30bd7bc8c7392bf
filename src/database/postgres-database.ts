import { Logger } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import { Connection, Database, Queryable, Row, preparedName } from './database';

/** A statement as pg takes it: by name when `prepared` marked it. */
const statement = (text: string, values?: unknown[]) => ({ text, values, name: preparedName(text) });

/** A client of the pool as a Connection. */
function clientConnection(client: PoolClient): Connection {
  const query = async <T extends Row>(sql: string, params?: unknown[]) => (await client.query(statement(sql, params))).rows as T[];
  return {
    query,
    async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
      await client.query('BEGIN');
      try {
        const result = await work({ query });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
  };
}

export class PostgresDatabase extends Database {
  readonly driver = 'postgres' as const;

  constructor(private readonly pool: Pool) {
    super();
  }

  /** A pool of at most `size` connections to `url`. */
  static open(url: string, size: number): PostgresDatabase {
    const pool = new Pool({ connectionString: url, max: size, idleTimeoutMillis: 30000, connectionTimeoutMillis: 5000 });
    // An idle connection that fails emits on the pool; without a listener that would end the process.
    pool.on('error', (error) => new Logger('Database').warn(`PostgreSQL connection lost while idle: ${error.message}`));
    return new PostgresDatabase(pool);
  }

  async query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]> {
    const result = await this.pool.query(statement(sql, params));
    return result.rows as T[];
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.withConnection((connection) => connection.transaction(work));
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async withConnection<T>(work: (connection: Connection) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await work(clientConnection(client));
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
