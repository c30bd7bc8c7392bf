'use strict';
// Seeds bench users straight into the server's `users` table with one precomputed argon2id hash,
// so that 20,000 users do not cost 20,000 argon2 hashes (~45 ms of a core each on this class of
// machine). The hash is a real argon2id hash of BENCH_PASSWORD with the server's parameters, so
// password login works for every seeded user. Falls back to the caller registering through the
// protocol (RegisterRequest) when the schema does not take the insert.
//
// As a CLI (for PGlite, whose data directory only one process may open, while the server is stopped):
//   node bench/lib/seed.js pglite DATA_DIR PREFIX COUNT HASH
const BENCH_PASSWORD = 'bench-password-1';

async function passwordHash() {
  const argon2 = require('argon2');
  return argon2.hash(BENCH_PASSWORD, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
}

const SQL = `INSERT INTO users (username, password_hash)
  SELECT $1::text || g::text, $2::text FROM generate_series(0, $3::int - 1) AS g
  ON CONFLICT DO NOTHING`;

async function seedPostgres(databaseUrl, prefix, count, hash) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(SQL, [prefix, hash, count]);
    const { rows } = await client.query('SELECT count(*)::int AS n FROM users WHERE username LIKE $1', [`${prefix}%`]);
    return rows[0].n;
  } finally {
    await client.end();
  }
}

/**
 * PGlite: the data directory is opened through the server's own database code (dist/database/),
 * which runs the migrations first; so the server then starts once, on a seeded database. Run in a
 * child process (see the CLI below): PGlite holds its directory, and its memory, until the process ends.
 */
async function seedPglite(dataDir, prefix, count, hash) {
  const db = await openMigrated({ dataDir });
  try {
    await db.query(SQL, [prefix, hash, count]);
    const rows = await db.query('SELECT count(*)::int AS n FROM users WHERE username LIKE $1', [`${prefix}%`]);
    return rows[0].n;
  } finally {
    await db.close();
  }
}

/** The server's database for `settings` (as dist/database/open-database.js takes them), with every migration run. */
async function openMigrated(settings) {
  const dist = require('node:path').join(__dirname, '..', '..', 'dist', 'database');
  const { openDatabase } = require(`${dist}/open-database.js`);
  const { migrate } = require(`${dist}/migrator.js`);
  const { MIGRATIONS } = require(`${dist}/migrations/index.js`);
  const db = await openDatabase(settings);
  await migrate(db, MIGRATIONS);
  return db;
}

module.exports = { BENCH_PASSWORD, passwordHash, seedPostgres, seedPglite, openMigrated };

if (require.main === module) {
  const [, , kind, dir, prefix, count, hash] = process.argv;
  if (kind !== 'pglite') {
    process.stderr.write('usage: node bench/lib/seed.js pglite DATA_DIR PREFIX COUNT HASH\n');
    process.exit(2);
  }
  seedPglite(dir, prefix, Number(count), hash).then(
    (n) => {
      process.stdout.write(`${n}\n`);
      process.exit(0);
    },
    (error) => {
      process.stderr.write(`${error.stack ?? error}\n`);
      process.exit(1);
    },
  );
}
