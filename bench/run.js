'use strict';
// `npm run bench [-- S1 S3] [--quick] [--out FILE] [--budget SECONDS]`; `--help` lists it all (bench/lib/args.js).
// Runs the benchmark scenarios against our server (node dist/main.js, started as the e2e tests do)
// and the baselines B0 (raw ws relay) and B1 (Socket.IO + Redis adapter), all on loopback, in one
// bounded run (18 minutes at most by default), then writes a table to docs/benchmarks.md (--quick:
// bench/results/benchmarks-quick.md) and prints it. Every child process is killed at the end.
// The parts: bench/runner/ (settings, processes, load runs, records, report) and bench/scenarios/.
const { rmSync } = require('node:fs');
const { benchArgsOrExit } = require('./lib/args');
const { exitWhenDone } = require('./lib/exit');
const { serviceProblems } = require('./lib/preflight');

const argv = process.argv.slice(2);
// --help and usage errors end the process here, before anything is started or created.
const ARGS = benchArgsOrExit(argv);
// S6 (a 5M-message database against a 10k one) runs on its own: bench/s6.js.
if (ARGS.s6) {
  exitWhenDone(require('./s6').main(argv));
  return;
}
const { QUICK, BUDGET_MS, SCENARIOS, TARGETS, RUN_ID, WORK_DIR, FD_LIMIT, WARNINGS, say, state } = require('./runner/context');
const { killAll, armBudget, ensureBuilt } = require('./runner/processes');
const { finish } = require('./runner/finish');
const { s1 } = require('./scenarios/s1');
const { s2 } = require('./scenarios/s2');
const { s3 } = require('./scenarios/s3');
const { s4 } = require('./scenarios/s4');
const { s5 } = require('./scenarios/s5');

armBudget();

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    state.aborted = `interrupted by ${signal}`;
    say(state.aborted);
    killAll();
    void finish(130);
  });
}
process.on('exit', killAll);

async function main() {
  say(`run ${RUN_ID}: ${SCENARIOS.join(' ')}${QUICK ? ' (quick)' : ''}, budget ${BUDGET_MS / 1000} s, open files limit ${FD_LIMIT}`);
  for (const w of WARNINGS) say(`WARNING: ${w}`);
  ensureBuilt();
  const plan = { S1: s1, S2: s2, S3: s3, S4: s4, S5: s5 };
  for (const name of SCENARIOS) {
    if (state.aborted) break;
    await plan[name]();
  }
}

/** PostgreSQL and Redis, when a target that runs needs them: our server both, B1 Redis, B0 neither. */
function neededServices() {
  const ours = !TARGETS || TARGETS.includes('ours');
  return { postgres: ours, redis: ours || TARGETS.includes('b1') };
}

// A service that does not answer ends the run before it starts anything, and writes no report.
serviceProblems(neededServices()).then((problems) => {
  if (problems.length) {
    for (const problem of problems) process.stderr.write(`bench: ${problem}\n`);
    rmSync(WORK_DIR, { recursive: true, force: true });
    process.exit(1);
  }
  main().then(
    () => finish(0),
    (error) => {
      say(`failed: ${error.stack}`);
      void finish(1);
    },
  );
});
