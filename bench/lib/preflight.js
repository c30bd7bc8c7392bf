'use strict';
// Checks that PostgreSQL and Redis answer before a run starts anything, so that a run does not fail
// minutes in, and says where it looked and what to check.
const { PG_ADMIN_URL, REDIS_URL, shownUrl } = require('./common');

const TIMEOUT_MS = 5000;

const reasonOf = (error) => error?.message || error?.code || String(error);

async function postgresProblem() {
  const { Client } = require('pg');
  const client = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: TIMEOUT_MS });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return (
      `PostgreSQL is not reachable at ${shownUrl(PG_ADMIN_URL)} (${reasonOf(error)}): is it running and does it let that user in? ` +
      'Start it, or set BENCH_DATABASE_URL to a server where that user may create databases.'
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisProblem() {
  const Redis = require('ioredis');
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // The socket's error (ECONNREFUSED) says more than the rejection ("Connection is closed").
  let socketError;
  redis.on('error', (error) => (socketError ??= error));
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    const reason = reasonOf(socketError ?? error);
    return `Redis is not reachable at ${shownUrl(REDIS_URL)} (${reason}): is it running? Start it, or set BENCH_REDIS_URL to one that is.`;
  } finally {
    redis.disconnect();
  }
}

/** What is wrong with the services a run needs, one line each; empty when all answer. */
async function serviceProblems({ postgres, redis }) {
  const problems = await Promise.all([postgres ? postgresProblem() : null, redis ? redisProblem() : null]);
  return problems.filter((problem) => problem !== null);
}

module.exports = { serviceProblems };
