'use strict';
// The bench's own databases on the PostgreSQL server it is given (BENCH_DATABASE_URL).
const { PG_ADMIN_URL } = require('./common');

/** The URL of database `name` on the same server, as the same user. */
function databaseUrl(name) {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** One statement on the admin connection (CREATE DATABASE, DROP DATABASE), on a client of its own. */
async function adminQuery(sql) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

module.exports = { databaseUrl, adminQuery };
