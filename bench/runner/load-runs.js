'use strict';
// Runs of the load generator (bench/load.js, forked) and the configs they start from.
const { fork } = require('node:child_process');
const { join } = require('node:path');
const { BENCH_PASSWORD } = require('../lib/seed');
const { ROOT, QUICK, SECRETS, say, state } = require('./context');
const { track } = require('./processes');
const { PgSampler } = require('./pg-sampler');

/** Forks the load generator; `onReady` is called for idle runs once everyone is logged in. */
function runLoad(config, { onReady, timeoutMs = 240000, sampler } = {}) {
  return new Promise((resolve, reject) => {
    const child = track(
      fork(join(ROOT, 'bench', 'load.js'), [], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] }),
    );
    let done = false;
    const timer = setTimeout(() => {
      if (!done) child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (m) => {
      if (m?.type === 'log') say(`  load: ${m.msg}`);
      else if (m?.type === 'ready') onReady?.(child, m);
      else if (m?.type === 'mark') sampler?.mark(m.name, m.edge);
      else if (m?.type === 'result') {
        done = true;
        clearTimeout(timer);
        if (m.ok) resolve({ ...m.result, pid: child.pid });
        else reject(new Error(`load generator failed: ${m.error}`));
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!done) reject(new Error(state.aborted ?? `load generator exited (${code ?? signal}) without a result`));
    });
    child.send({ cmd: 'run', config });
  });
}

/** runLoad for our server on PostgreSQL, with pg_stat_activity sampled in the windows. */
async function runLoadPg(config) {
  const sampler = await new PgSampler().start().catch(() => null);
  try {
    const result = await runLoad(config, { sampler });
    return { ...result, pgActivity: sampler ? await sampler.stop() : null };
  } finally {
    await sampler?.stop();
  }
}

const DB_WATCH = [
  { name: 'postgres (all backends)', comm: 'postgres' },
  { name: 'redis-server', comm: 'redis-server' },
];
const watchOf = (procs, withDb) => [...procs.map((p) => ({ name: p.name, pid: p.pid })), ...(withDb ? DB_WATCH : [])];

function baseLoadConfig(target, users, urls, extra = {}) {
  return {
    target,
    users,
    urls,
    login: { mode: 'token', jwtSecret: SECRETS.JWT_SECRET, password: BENCH_PASSWORD, passwordSample: QUICK ? 2 : 8 },
    connectConcurrency: 200,
    ackMs: 1000,
    contentBytes: 100,
    ...extra,
  };
}

module.exports = { runLoad, runLoadPg, watchOf, baseLoadConfig };
