'use strict';
// The settings of one `npm run bench` run (S1-S5), read from its command line once, and what every
// part of the run shares: its ids, the scale, the warnings, the progress lines and whether it was cut.
// bench/run.js requires this only after the arguments were checked (bench/lib/args.js).
const { randomBytes } = require('node:crypto');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { fdLimit, benchSecrets } = require('../lib/common');
const { databaseUrl } = require('../lib/postgres');
const { parseBenchArgs, list } = require('../lib/args');

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'main.js');
const T_START = Date.now();
const LOAD_AT_START = require('node:os').loadavg();

const argv = process.argv.slice(2);
const ARGS = parseBenchArgs(argv);
const QUICK = ARGS.values.quick === true;
// Three 10 s windows per figure (S1, S2, S4) make the default run 14-16 minutes on this machine at a
// load average of 6-15 (7.5 minutes with one 5 s window each); 18 leave S3's slow logins room.
const DEFAULT_BUDGET_SEC = 1080;
const MAX_BUDGET_SEC = 1800;
const BUDGET_MS = Math.max(60, Math.min(MAX_BUDGET_SEC, Number(ARGS.values.budget ?? DEFAULT_BUDGET_SEC))) * 1000;
// S3 (20,000 logins) runs last: it is the longest and the one the budget may have to cut.
const ORDER = ['S1', 'S2', 'S4', 'S5', 'S3'];
const SCENARIOS = ARGS.scenarios.length ? ORDER.filter((name) => ARGS.scenarios.includes(name)) : ORDER;
const OUT = ARGS.values.out ?? (QUICK ? join('bench', 'results', 'benchmarks-quick.md') : join('docs', 'benchmarks.md'));
// `--targets ours,b0`: run only these targets (ours, b0, b1).
const TARGETS = ARGS.values.targets === undefined ? undefined : list(ARGS.values.targets.toLowerCase());
const COMMAND = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;

const RUN_ID = randomBytes(4).toString('hex');
const SECRETS = benchSecrets(RUN_ID);
const DB_NAME = `chat_bench_${RUN_ID}`;
const DB_URL = databaseUrl(DB_NAME);
const REDIS_PREFIX = `chat-bench:${RUN_ID}:`;
const WORK_DIR = mkdtempSync(join(tmpdir(), `chat-bench-${RUN_ID}-`));

// Scale. --quick is about 10x smaller and has short windows, for smoke tests. Every throughput and
// paced-latency figure is the median of `windows` consecutive windows of `max` (`paced`) ms, after
// one warm-up of `warmup` (`pacedWarmup`) ms on the same server.
const FD_LIMIT = fdLimit();
const FD_MARGIN = 300;
const S = QUICK
  ? {
      s1: 100,
      s2: 100,
      s3: 2000,
      s4: 100,
      s4Senders: 4,
      s5: 300,
      s5Senders: 30,
      s5Rate: 60,
      warmup: 800,
      windows: 3,
      max: 1500,
      pacedWarmup: 500,
      paced: 1500,
      inflight: 400,
      s5Timeout: 12000,
      s5Pre: 1000,
      s5Post: 1000,
    }
  : {
      s1: 1000,
      s2: 1000,
      s3: 20000,
      s4: 1000,
      s4Senders: 10,
      s5: 3000,
      s5Senders: 300,
      s5Rate: 300,
      warmup: 2000,
      windows: 3,
      max: 10000,
      pacedWarmup: 2000,
      paced: 10000,
      inflight: 4000,
      s5Timeout: 30000,
      s5Pre: 2000,
      s5Post: 2000,
    };
// `--set s3=5000 --set max=3000`: override one scale value (keys as in S above, checked by bench/lib/args.js).
for (const setting of ARGS.values.set ?? []) {
  const [key, raw] = setting.split('=');
  S[key] = Number(raw);
}
const WARNINGS = [];
if (SCENARIOS.includes('S3') && S.s3 > FD_LIMIT - FD_MARGIN) {
  WARNINGS.push(
    `S3: the open-files limit is ${FD_LIMIT} per process (ulimit -n, hard limit; not raisable here), and the server holds one fd per ` +
      `connection: S3 runs ${FD_LIMIT - FD_MARGIN} connections instead of ${S.s3}.`,
  );
  S.s3 = FD_LIMIT - FD_MARGIN;
}
// S3's idle periods, over which RSS is sampled (BENCH_S3_IDLE_MS overrides).
const S3_IDLE_MS = Number(process.env.BENCH_S3_IDLE_MS ?? (QUICK ? 2000 : 24000));
const RESULTS_JSON = join(ROOT, 'bench', 'results', QUICK ? 'last-quick.json' : 'last.json');

/** What is left of the budget for measuring: 25 s of it are kept to clean up and write the report. */
const budgetLeftMs = () => BUDGET_MS - 25000 - (Date.now() - T_START);

const say = (msg) => process.stdout.write(`[bench ${((Date.now() - T_START) / 1000).toFixed(0).padStart(3)}s] ${msg}\n`);
const warn = (msg) => {
  WARNINGS.push(msg);
  say(`WARNING: ${msg}`);
};

/** `aborted`: why the run was cut (the budget, a signal), or null while it runs on. */
const state = { aborted: null };

module.exports = {
  ROOT,
  MAIN,
  T_START,
  LOAD_AT_START,
  QUICK,
  DEFAULT_BUDGET_SEC,
  MAX_BUDGET_SEC,
  BUDGET_MS,
  SCENARIOS,
  OUT,
  TARGETS,
  COMMAND,
  RUN_ID,
  SECRETS,
  DB_NAME,
  DB_URL,
  REDIS_PREFIX,
  WORK_DIR,
  FD_LIMIT,
  FD_MARGIN,
  S,
  WARNINGS,
  S3_IDLE_MS,
  RESULTS_JSON,
  budgetLeftMs,
  say,
  warn,
  state,
};
