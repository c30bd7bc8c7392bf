import { Database, Queryable } from './database';

/** One step of the schema; each runs once, in a transaction of its own, with its record. */
export interface Migration {
  /** Recorded in schema_migrations; ends with the 13-digit timestamp of its creation. */
  readonly name: string;
  up(tx: Queryable): Promise<void>;
}

/** Held by the instance that migrates while the others wait; this server's advisory keys are 726_100_xxx. */
const MIGRATION_LOCK_KEY = 726_100_001;

/**
 * The table TypeORM kept its records in, with TypeORM's columns, so that a database migrated by
 * an older version is recognised by the names recorded there.
 */
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  id serial PRIMARY KEY,
  "timestamp" bigint NOT NULL,
  name varchar NOT NULL
)`;

/**
 * Runs the migrations not recorded yet, in order; returns their names. One connection holds a
 * session-level advisory lock for the whole run, so instances that start together migrate once
 * (the later ones find the records), and the migrations run on that connection, so a pool of one suffices.
 */
export function migrate(db: Database, migrations: readonly Migration[]): Promise<string[]> {
  return db.withConnection(async (connection) => {
    await connection.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await connection.query(CREATE_TABLE);
      const recorded = new Set((await connection.query<{ name: string }>('SELECT name FROM schema_migrations')).map((row) => row.name));
      const applied: string[] = [];
      for (const migration of migrations.filter((m) => !recorded.has(m.name))) {
        await connection.transaction(async (tx) => {
          await migration.up(tx);
          await tx.query('INSERT INTO schema_migrations ("timestamp", name) VALUES ($1, $2)', [timestampOf(migration), migration.name]);
        });
        applied.push(migration.name);
      }
      return applied;
    } finally {
      await connection.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  });
}

function timestampOf(migration: Migration): string {
  const timestamp = /\d{13}$/.exec(migration.name)?.[0];
  if (!timestamp) throw new Error(`Migration ${migration.name}: the name must end with its 13-digit timestamp`);
  return timestamp;
}
