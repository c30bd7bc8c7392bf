/** Rows come back as plain objects; bigint columns should be cast to text in SQL. */
export type Row = Record<string, unknown>;

/** The statements marked by `prepared`, by text: each one's name on a PostgreSQL connection. */
const PREPARED = new Map<string, string>();

/**
 * Marks a statement of the send path as one the PostgreSQL driver prepares once per connection
 * and then executes by name: it is parsed and rewritten once, and the plan cache can keep a
 * generic plan instead of planning every batch (about 0.6 ms of server CPU per batch for the 1:1
 * insert; docs/benchmarks-analysis.md). Only fixed texts (the stores' named constants) may be
 * marked, so the statements a connection holds are bounded. PGlite ignores the mark.
 */
export function prepared(sql: string): string {
  if (!PREPARED.has(sql)) PREPARED.set(sql, `chat_${PREPARED.size + 1}`);
  return sql;
}

/** The name `sql` is prepared under on a PostgreSQL connection, when `prepared` marked it. */
export function preparedName(sql: string): string | undefined {
  return PREPARED.get(sql);
}

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
