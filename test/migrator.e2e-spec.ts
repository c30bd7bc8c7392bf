import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { MODE, TestEnvironment } from './helpers/environment';

/**
 * The migrator on a real database of the project's mode, PGlite (embedded) or a throwaway
 * PostgreSQL database (cluster); each scenario runs in a process of its own
 * (test/helpers/migrator-scenario.ts). Only PostgreSQL can be shared by instances that start together.
 */

const env = new TestEnvironment();

const SCENARIOS: [string, string][] = [
  ['fresh', 'a new database gets every migration once, recorded as TypeORM did; a second run applies none'],
  ['upgrade', 'a database TypeORM migrated keeps its records, and only the migrations it lacks run'],
  ...(MODE === 'cluster' ? [['concurrent', 'two migrators at once on one database run each migration once'] as [string, string]] : []),
];

function run(): Promise<{ code: number | null; output: string }> {
  // Only the cluster project has a PostgreSQL (its globalSetup finds or starts it).
  const database = MODE === 'cluster' ? { MIGRATOR_DATABASE_URL: env.databaseUrl } : {};
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', join(__dirname, 'helpers', 'migrator-scenario.ts'), ...SCENARIOS.map(([name]) => name)],
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
}, 180_000);

afterAll(() => env.dispose());

describe(`migrator (${MODE})`, () => {
  it.each(SCENARIOS)('%s: %s', (scenario) => {
    const failure = result.output.match(new RegExp(`FAIL ${scenario}\\n([\\s\\S]*?)END ${scenario}`))?.[1] ?? null;
    expect({ passed: result.output.includes(`PASS ${scenario}\n`), failure }).toEqual({ passed: true, failure: null });
  });

  it('the scenario process exits cleanly', () => {
    expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
  });
});
