'use strict';
// The end of a run, however it ends: children killed, the raw results and the report written,
// the database and Redis keys dropped, the work directory removed.
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');
const { machine, REDIS_URL } = require('../lib/common');
const { ROOT, QUICK, COMMAND, OUT, REDIS_PREFIX, WORK_DIR, S, WARNINGS, RESULTS_JSON, say, state } = require('./context');
const { killAll, disarmBudget } = require('./processes');
const { dropDatabase } = require('./database');
const { records } = require('./records');
const { render } = require('./report');

async function cleanup() {
  killAll();
  try {
    const Redis = require('ioredis');
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  } catch (error) {
    say(`redis cleanup: ${error.message}`);
  }
  await dropDatabase();
}

let finishing = false;
async function finish(code) {
  if (finishing) return;
  finishing = true;
  disarmBudget();
  killAll();
  try {
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(
      RESULTS_JSON,
      JSON.stringify(
        { command: COMMAND, quick: QUICK, machine: machine(), scale: S, warnings: WARNINGS, aborted: state.aborted, records },
        null,
        2,
      ),
    );
    const text = render();
    const out = resolve(ROOT, OUT);
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileSync(out, text);
    process.stdout.write(`\n${text}\n`);
    say(`wrote ${OUT} and ${relative(ROOT, RESULTS_JSON)}`);
  } catch (error) {
    process.stderr.write(`report failed: ${error.stack}\n`);
  }
  await cleanup();
  try {
    // Server logs are kept only when something failed or the run was cut, or BENCH_KEEP_LOGS=1; data directories never.
    if (!state.aborted && !records.some((r) => r.error) && process.env.BENCH_KEEP_LOGS !== '1')
      rmSync(WORK_DIR, { recursive: true, force: true });
    else {
      rmSync(join(WORK_DIR, 's1-embedded'), { recursive: true, force: true });
      process.stdout.write(`server logs kept in ${WORK_DIR}\n`);
    }
  } catch {
    // ignore
  }
  process.exit(code);
}

module.exports = { finish };
