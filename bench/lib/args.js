'use strict';
// The bench's command line, read with node:util parseArgs: `npm run bench -- [S1..S6] [options]`.
// One reader for bench/run.js and bench/s6.js, so the usage lists every scenario and option once.
const { parseArgs } = require('node:util');
const { PG_ADMIN_URL, REDIS_URL, shownUrl } = require('./common');

/** The scale values `--set` may override, as in bench/run.js's S. */
const SCALE_KEYS = ['s1', 's2', 's3', 's4', 's4Senders', 's5', 's5Senders', 's5Rate'];
SCALE_KEYS.push('warmup', 'windows', 'max', 'pacedWarmup', 'paced', 'inflight', 's5Timeout', 's5Pre', 's5Post');
const TARGETS = ['ours', 'b0', 'b1'];
const MODES = ['cluster', 'embedded'];

const USAGE = `Usage: npm run bench -- [SCENARIO...] [OPTIONS]

Scenarios (default S1 S2 S4 S5 S3, in that order, in at most 18 minutes; S6 runs only when named, on its own):
  S1  1:1 relay, one instance: max delivered msg/s and latency at half of it (PostgreSQL + Redis, and embedded)
  S2  1:1 relay across two instances: senders on one, recipients on the other
  S3  about 20,000 idle logged-in connections: RSS per connection, logins/s
  S4  group fan-out: 1,000 members on two instances, deliveries/s
  S5  rebalance: 3,000 clients on one of three instances, time until balanced, messages lost
  S6  data scale: logins, history, /user/page and a 5,000-member group message, 10k against 5M messages
      (about 15 minutes)

Options (S1-S5):
  --quick                about 10x smaller, short windows (about 2.5 minutes), into bench/results/benchmarks-quick.md
  --out FILE             the report (default docs/benchmarks.md)
  --budget SECONDS       the time budget, 60..1800 (default 1080)
  --targets LIST         only these targets, of ${TARGETS.join(',')} (ours: our server; b0: a raw ws relay; b1: Socket.IO)
  --set KEY=N            overrides one scale value, repeatable (--set s3=5000), of
                         ${SCALE_KEYS.join(' ')}
Options (S6):
  --sizes LIST           message counts (default 10000,5000000)
  --modes LIST           of ${MODES.join(',')} (default both)
  --embedded-messages N  embedded mode's largest size (default the largest of --sizes)
  --conversations        only the conversations part: ConversationsRequest pages of a user with 5,000
                         conversations, cluster mode (about 40 s; a full S6 run ends with it)
  --out FILE             the file whose S6 section is written (default docs/benchmarks.md)
  -h, --help             this help

Needs PostgreSQL and Redis: BENCH_DATABASE_URL (now ${shownUrl(PG_ADMIN_URL)})
and BENCH_REDIS_URL (now ${shownUrl(REDIS_URL)}); see bench/README.md.
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  quick: { type: 'boolean' },
  out: { type: 'string' },
  budget: { type: 'string' },
  targets: { type: 'string' },
  set: { type: 'string', multiple: true },
  sizes: { type: 'string' },
  modes: { type: 'string' },
  'embedded-messages': { type: 'string' },
  conversations: { type: 'boolean' },
};
const S6_ONLY = ['sizes', 'modes', 'embedded-messages', 'conversations'];
const S1_TO_S5_ONLY = ['quick', 'budget', 'targets', 'set'];

class UsageError extends Error {}

const list = (text) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
const positiveInteger = (text) => /^[1-9]\d*$/.test(text);

function checkList(option, items, allowed) {
  if (items.length === 0) throw new UsageError(`--${option}: give at least one of ${allowed.join(',')}`);
  const unknown = items.filter((item) => !allowed.includes(item));
  if (unknown.length) throw new UsageError(`--${option}: unknown ${unknown.join(', ')} (${allowed.join(', ')})`);
}

/**
 * Reads the arguments: `{ help }`, or the scenarios and option values. Throws a UsageError naming
 * the argument at fault. `impliedS6`: bench/s6.js run directly, where S6 goes without saying.
 */
function parseBenchArgs(argv, { impliedS6 = false } = {}) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error.message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  for (const name of positionals) if (!/^S[1-6]$/i.test(name)) throw new UsageError(`Unknown scenario "${name}" (S1 to S6)`);
  const scenarios = [...new Set(positionals.map((name) => name.toUpperCase()))];
  if (impliedS6 && !scenarios.includes('S6')) scenarios.push('S6');
  const s6 = scenarios.includes('S6');
  if (s6 && scenarios.length > 1) throw new UsageError(`S6 runs on its own, without ${scenarios.filter((s) => s !== 'S6').join(' ')}`);
  const misplaced = (s6 ? S1_TO_S5_ONLY : S6_ONLY).find((option) => values[option] !== undefined);
  if (misplaced) throw new UsageError(`--${misplaced} is ${s6 ? 'not an S6 option' : 'an S6 option (npm run bench -- S6 ...)'}`);
  if (values.budget !== undefined && !Number.isFinite(Number(values.budget))) {
    throw new UsageError(`--budget ${values.budget}: not a number of seconds`);
  }
  if (values.targets !== undefined) checkList('targets', list(values.targets.toLowerCase()), TARGETS);
  if (values.modes !== undefined) checkList('modes', list(values.modes), MODES);
  if (values.sizes !== undefined && !list(values.sizes).every(positiveInteger)) {
    throw new UsageError(`--sizes ${values.sizes}: not a list of message counts`);
  }
  if (values['embedded-messages'] !== undefined && !positiveInteger(values['embedded-messages'])) {
    throw new UsageError(`--embedded-messages ${values['embedded-messages']}: not a message count`);
  }
  for (const setting of values.set ?? []) {
    const [key, raw, extra] = setting.split('=');
    if (!SCALE_KEYS.includes(key) || extra !== undefined || raw === undefined || raw === '' || !Number.isFinite(Number(raw))) {
      throw new UsageError(`--set ${setting}: not KEY=N with a known key (${SCALE_KEYS.join(' ')})`);
    }
  }
  return { help: false, scenarios, s6, values };
}

/**
 * Parses `argv` as parseBenchArgs does, and ends the process where the arguments say so: the usage
 * on stdout for --help (exit 0), the error and the usage on stderr for a usage error (exit 2).
 */
function benchArgsOrExit(argv, options) {
  try {
    const args = parseBenchArgs(argv, options);
    if (!args.help) return args;
    process.stdout.write(USAGE);
    process.exit(0);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
}

module.exports = { USAGE, SCALE_KEYS, UsageError, parseBenchArgs, benchArgsOrExit, list };
