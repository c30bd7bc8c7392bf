import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';
import { PGlite, Transaction } from '@electric-sql/pglite';
import { Connection, Database, Queryable, Row } from './database';

/** pglite-create beside this file: the build's .js, or the source's .ts where the tests' scenarios run it through ts-node. */
const CREATE_SCRIPT =
  extname(__filename) === '.ts'
    ? ['-r', 'ts-node/register/transpile-only', join(__dirname, 'pglite-create.ts')]
    : [join(__dirname, 'pglite-create.js')];

export class PgliteDatabase extends Database {
  readonly driver = 'pglite' as const;

  constructor(private readonly db: PGlite) {
    super();
  }

  /**
   * The database in `dir`, created there if it is new (in a child process: see pglite-create.ts); `settings` go after
   * PGlite's own start parameters.
   */
  static async open(dir: string, settings: Record<string, string> = {}): Promise<PgliteDatabase> {
    if (!existsSync(join(dir, 'PG_VERSION'))) await promisify(execFile)(process.execPath, [...CREATE_SCRIPT, dir]);
    const startParams = [...PGlite.defaultStartParams, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
    return new PgliteDatabase(await PGlite.create({ dataDir: dir, startParams }));
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

  /** PGlite has a single connection: this one. */
  withConnection<T>(work: (connection: Connection) => Promise<T>): Promise<T> {
    return work(this);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
