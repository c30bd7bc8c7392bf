'use strict';
// The run's PostgreSQL database (created once, dropped at the end) and its seeded users.
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const { passwordHash, seedPostgres } = require('../lib/seed');
const { adminQuery } = require('../lib/postgres');
const { ROOT, DB_NAME, DB_URL, say, warn } = require('./context');
const { track, startOurs } = require('./processes');

let hashPromise = null;
let dbReady = null;

function ensureDatabase() {
  dbReady ??= (async () => {
    await adminQuery(`CREATE DATABASE ${DB_NAME}`);
    say(`created database ${DB_NAME}`);
  })();
  return dbReady;
}

/**
 * Seeds users prefix0..prefix(count-1). PostgreSQL: the schema must exist (an instance was started
 * on the database once, or is running). PGlite: through the server's data source, before start.
 * Returns false when the users must be registered through the protocol instead.
 */
async function seed(storage, prefix, count, dataDir) {
  hashPromise ??= passwordHash();
  const hash = await hashPromise;
  const t0 = Date.now();
  try {
    let n;
    if (storage === 'embedded') {
      const out = await new Promise((resolve, reject) => {
        const child = track(
          spawn(process.execPath, [join(ROOT, 'bench', 'lib', 'seed.js'), 'pglite', dataDir, prefix, String(count), hash], {
            cwd: ROOT,
            stdio: ['ignore', 'pipe', 'pipe'],
          }),
        );
        let text = '';
        child.stdout.on('data', (d) => (text += d));
        child.stderr.on('data', (d) => (text += d));
        child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(text.slice(-2000)))));
      });
      n = Number(out.trim().split('\n').pop());
    } else {
      n = await seedPostgres(DB_URL, prefix, count, hash);
    }
    if (n < count) throw new Error(`only ${n} of ${count} users present after the insert`);
    say(`seeded ${count} users ${prefix}* (${storage}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return true;
  } catch (error) {
    warn(`seeding users ${prefix}* failed (${String(error.message).split('\n')[0]}); registering through the protocol instead (slow)`);
    return false;
  }
}

/** The schema of the shared PostgreSQL database: one instance started and stopped once. */
let schemaReady = null;
function ensureSchema() {
  schemaReady ??= (async () => {
    await ensureDatabase();
    const proc = await startOurs('schema', { storage: 'pg' });
    await proc.stop();
  })();
  return schemaReady;
}

/** Drops the run's database, when the run created one (or began to). */
async function dropDatabase() {
  if (!dbReady) return;
  try {
    await dbReady.catch(() => undefined);
    await adminQuery(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    say(`dropped database ${DB_NAME}`);
  } catch (error) {
    say(`database cleanup: ${error.message}`);
  }
}

module.exports = { seed, ensureSchema, dropDatabase };
