/** Rows come back as plain objects; bigint columns should be cast to text in SQL. */
export type Row = Record<string, unknown>;

export interface Queryable {
  query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** Statements and transactions on one connection. */
export interface Connection extends Queryable {
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
}

/**
 * SQL access for both drivers. Transactions go through the driver's own API: PGlite has one
 * connection, so a transaction must hold PGlite's exclusive lock or other queries would run inside it.
 */
export abstract class Database implements Connection {
  abstract readonly driver: 'pglite' | 'postgres';
  abstract query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  abstract transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  abstract ping(): Promise<void>;
  /** Runs `work` on one connection kept for it, so that a session-level advisory lock spans its transactions. */
  abstract withConnection<T>(work: (connection: Connection) => Promise<T>): Promise<T>;
  abstract close(): Promise<void>;
}
