import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { MODE, TestEnvironment } from './helpers/environment';

/**
 * `messages` partitioned by id ranges that follow time, in the mode of the project: PGlite
 * (embedded) or PostgreSQL (cluster). The partition maintenance runs with a clock the scenario
 * sets, on the server's own Database, MessageStore, MessagePartitions and migrations; each
 * scenario runs in a process of its own (test/helpers/partitions-scenario.ts).
 */

const env = new TestEnvironment();

const SCENARIOS = [
  ['rollover', 'creates the next partition ahead, rolls over after a period, keeps dedup across partitions, and retention drops whole partitions, counting the unacknowledged'],
  ['forever', 'keeps everything without MESSAGE_RETENTION_DAYS'],
  ['race', 'two instances sending the same clientMessageId at once store it once'],
  ['migration', 'migrates a database of the unpartitioned schema in place: rows, ids and dedup kept'],
] as const;

/** Runs every scenario in one child process (PGlite loads once per scenario, ts-node compiles once). */
function run(): Promise<{ code: number | null; output: string }> {
  // Only the cluster project has a PostgreSQL (its globalSetup finds or starts it).
  const database = MODE === 'cluster' ? { PARTITIONS_DATABASE_URL: env.databaseUrl } : {};
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', join(__dirname, 'helpers', 'partitions-scenario.ts'), ...SCENARIOS.map(([name]) => name)],
      {
        cwd: join(__dirname, '..'),
        env: { ...process.env, ...database, TEST_MODE: MODE, TS_NODE_PROJECT: join(__dirname, '..', 'tsconfig.spec.json') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

let result: { code: number | null; output: string };

beforeAll(async () => {
  await env.setup();
  result = await run();
}, 240_000);

afterAll(() => env.dispose());

describe(`messages partitions (${MODE})`, () => {
  it.each(SCENARIOS)('%s: %s', (scenario) => {
    const failure = result.output.match(new RegExp(`FAIL ${scenario}\\n([\\s\\S]*?)END ${scenario}`))?.[1] ?? null;
    expect({ passed: result.output.includes(`PASS ${scenario}\n`), failure }).toEqual({ passed: true, failure: null });
  });

  it('the scenario process exits cleanly', () => {
    expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
  });
});
