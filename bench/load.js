'use strict';
// The load generator: raw `ws` clients (socket.io-client for the Socket.IO baseline), no SDK.
// Forked by bench/run.js: it receives {cmd:'run', config} over IPC and answers {type:'result'}.
// Scenarios:
//   relay      S1/S2: flat-out window (closed loop, a fixed number of sends in flight) for the maximum
//              delivered msg/s, then an open-loop paced window at a fraction of it for latency.
//   idle       S3: connect and log in, report {type:'ready'}, hold until {cmd:'exit'}.
//   group      S4: one big group, a few senders flat out; deliveries/s.
//   rebalance  S5: everyone on instance 1, POST /reBalance, follow the ReBalance push, count lost messages.
// Latency = recipient receive time - the send time written into `content` (for paced sends, the
// scheduled send time, so that a stalled generator or server cannot hide its delay).
// The engine is bench/loadgen/generator.js; this file is its command line and its IPC side.
const { parseArgs } = require('node:util');
const { LoadGenerator } = require('./loadgen/generator');

const USAGE = `Usage: node bench/load.js CONFIG.json [--help]

The load generator on its own: runs the scenario CONFIG.json describes, a config as bench/run.js
builds it (baseLoadConfig) and sends it over IPC, against servers already running, and prints the
result as JSON. npm run bench forks it; by hand it is for debugging one scenario.
`;

/** The config named by the command line; ends the process for --help (0), a usage error (2) or an unreadable file (1). */
function configOrExit(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (!parsed.values.help && parsed.positionals.length !== 1) throw new Error(`one CONFIG.json, got ${parsed.positionals.length}`);
  } catch (error) {
    process.stderr.write(`load: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const [file] = parsed.positionals;
  try {
    return JSON.parse(require('node:fs').readFileSync(file, 'utf8'));
  } catch (error) {
    process.stderr.write(`load: cannot read the config ${file}: ${error.message}\n`);
    process.exit(1);
  }
}

async function main(config) {
  const lg = new LoadGenerator(config);
  try {
    const result = await lg.run();
    return { ok: true, result };
  } catch (error) {
    return { ok: false, error: error.stack ?? String(error), totals: lg.stats.snapshot() };
  } finally {
    lg.close();
  }
}

if (process.send) {
  process.once('message', (m) => {
    if (m?.cmd !== 'run') return;
    main(m.config).then((out) => {
      process.send({ type: 'result', ...out }, () => process.exit(0));
    });
  });
} else if (require.main === module) {
  const config = configOrExit(process.argv.slice(2));
  main(config).then((out) => {
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    process.exit(out.ok ? 0 : 1);
  });
}

module.exports = { LoadGenerator };
