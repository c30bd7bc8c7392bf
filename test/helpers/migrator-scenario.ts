import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'expect';
import { runScenarioProcess } from './scenario-process';
import { Database } from '../../src/database/database';
import { MIGRATIONS } from '../../src/database/migrations';
import { migrate } from '../../src/database/migrator';
import { openDatabase } from '../../src/database/open-database';

/**
 * The scenarios of test/migrator.e2e-spec.ts, run in a process of their own (PGlite loads as an ES
 * module, which jest's sandbox does not): `node -r ts-node/register/transpile-only
 * test/helpers/migrator-scenario.ts NAME...`, with TEST_MODE and, in cluster mode,
 * MIGRATOR_DATABASE_URL (a throwaway database, emptied before each scenario). Prints `PASS name`
 * or `FAIL name`, the error and `END name`; exits 0 when every expectation holds.
 */

const MODE = process.env.TEST_MODE === 'cluster' ? 'cluster' : 'embedded';
const NAMES = MIGRATIONS.map((m) => m.name);
const opened: Database[] = [];
const dirs: string[] = [];

type MigrationRecord = { id: number; timestamp: string; name: string };

/** A fresh database of the mode: a new PGlite directory, or the emptied PostgreSQL database with a pool of `poolSize`. */
async function open(poolSize = 8): Promise<Database> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-migrator-'));
  dirs.push(dataDir);
  const databaseUrl = MODE === 'cluster' ? process.env.MIGRATOR_DATABASE_URL : undefined;
  const db = await openDatabase({ databaseUrl, dataDir, databasePoolSize: poolSize });
  opened.push(db);
  return db;
}

function records(db: Database): Promise<MigrationRecord[]> {
  return db.query<MigrationRecord>(`SELECT id, "timestamp"::text AS "timestamp", name FROM schema_migrations ORDER BY id`);
}

/** The records TypeORM would have written for `names`, in order. */
function expectedRecords(names: string[], firstId = 1): MigrationRecord[] {
  return names.map((name, i) => ({ id: firstId + i, timestamp: name.slice(-13), name }));
}

const scenarios: { [name: string]: () => Promise<void> } = {
  fresh: async () => {
    // A pool of one in PostgreSQL: the migrations run on the connection that holds the lock.
    const db = await open(1);
    expect(await migrate(db, MIGRATIONS)).toEqual(NAMES);
    expect(await records(db)).toEqual(expectedRecords(NAMES));
    expect(await migrate(db, MIGRATIONS)).toEqual([]);
    expect(await records(db)).toEqual(expectedRecords(NAMES));
    await db.query(`INSERT INTO users (username, password_hash) VALUES ('alice', 'x')`);
    expect(await db.query(`SELECT reg_no FROM users`)).toEqual([{ reg_no: 1 }]);
  },

  conversationsBackfill: async () => {
    // Messages and group cursors stored before the conversation index existed: the migration lists them.
    const db = await open();
    const index = NAMES.indexOf('ConversationsAndReads1764300100000');
    expect(await migrate(db, MIGRATIONS.slice(0, index))).toEqual(NAMES.slice(0, index));
    await db.query(`INSERT INTO users (username, password_hash) VALUES ('alice', 'x'), ('bob', 'x'), ('carol', 'x')`);
    await db.query(`INSERT INTO messages (sender, recipient, content, acked) VALUES
      ('alice', 'bob', 'one', true), ('bob', 'alice', 'two', false), ('alice', 'bob', 'three', false), ('carol', 'alice', 'four', true)`);
    await db.query(`INSERT INTO groups (name, name_key, created_by, last_seq) VALUES ('team', 'team', 'alice', 3)`);
    await db.query(`INSERT INTO group_members (group_id, user_id, acked_seq) SELECT 1, id, 2 FROM users WHERE username = 'bob'`);
    expect(await migrate(db, MIGRATIONS)).toEqual(NAMES.slice(index));
    const rows = await db.query<Record<string, unknown>>(
      `SELECT user_a, user_b, last_message_id::text AS last, a_read::text AS a_read, b_read::text AS b_read, a_unread, b_unread
       FROM direct_conversations ORDER BY user_a, user_b`,
    );
    expect(rows).toEqual([
      { user_a: 'alice', user_b: 'bob', last: '3', a_read: '0', b_read: '0', a_unread: 1, b_unread: 1 },
      { user_a: 'alice', user_b: 'carol', last: '4', a_read: '0', b_read: '0', a_unread: 0, b_unread: 0 },
    ]);
    expect(await db.query(`SELECT read_seq::int AS read_seq FROM group_members`)).toEqual([{ read_seq: 2 }]);
    // The messages not acknowledged are pending rows now, and messages keeps no ack state of its own.
    expect(await db.query(`SELECT recipient, message_id::int AS id FROM direct_pending ORDER BY message_id`)).toEqual([
      { recipient: 'alice', id: 2 },
      { recipient: 'bob', id: 3 },
    ]);
    expect(await db.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'messages' AND column_name = 'acked'`)).toEqual([]);
  },

  upgrade: async () => {
    // The database as the TypeORM-run version left it after the first five migrations: TypeORM's
    // table (its DDL as TypeORM 1.1.1 made it) and records, and rows of a user.
    const db = await open();
    const old = MIGRATIONS.slice(0, 5);
    for (const migration of old) await db.transaction((tx) => migration.up(tx));
    await db.query(`CREATE TABLE "schema_migrations" ("id" SERIAL NOT NULL, "timestamp" bigint NOT NULL, "name" character varying NOT NULL,
      CONSTRAINT "PK_62441bec32630ced9e4cccae336" PRIMARY KEY ("id"))`);
    for (const { name } of old) {
      await db.query(`INSERT INTO "schema_migrations"("timestamp", "name") VALUES ($1, $2)`, [Number(name.slice(-13)), name]);
    }
    await db.query(`INSERT INTO users (username, password_hash) VALUES ('olduser', 'x')`);

    expect(await migrate(db, MIGRATIONS)).toEqual(NAMES.slice(5));
    expect(await records(db)).toEqual(expectedRecords(NAMES));
    // The later migrations ran on the old rows: the user got the first registration number, messages is partitioned.
    expect(await db.query(`SELECT username, reg_no FROM users`)).toEqual([{ username: 'olduser', reg_no: 1 }]);
    expect(await db.query(`SELECT relkind::text AS relkind FROM pg_class WHERE relname = 'messages'`)).toEqual([{ relkind: 'p' }]);
  },

  concurrent: async () => {
    // Two instances starting at once on one PostgreSQL: each migration runs once, by one of them.
    const [a, b] = [await open(), await open()];
    const applied = await Promise.all([migrate(a, MIGRATIONS), migrate(b, MIGRATIONS)]);
    expect(applied.flat().sort()).toEqual([...NAMES].sort());
    expect(await records(a)).toEqual(expectedRecords(NAMES));
  },
};

runScenarioProcess(scenarios, process.env.MIGRATOR_DATABASE_URL, {
  afterEach: async () => {
    for (const db of opened.splice(0)) await db.close();
  },
  afterAll: () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  },
});
