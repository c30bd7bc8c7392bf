import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { MODE, TestEnvironment } from './environment';

/**
 * Suites whose scenarios run in a child process of their own (a scenario script under
 * test/helpers/ that prints `PASS name`, or `FAIL name`, the error and `END name`), so that PGlite
 * loads once per scenario and ts-node compiles once.
 */
export interface ScenarioRun {
  code: number | null;
  output: string;
}

/** Runs `script` (a file in test/helpers/) with the scenarios' names as its arguments. */
export function runScenarios(script: string, names: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ScenarioRun> {
  const root = join(__dirname, '..', '..');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, script), ...names], {
      cwd: root,
      env: { ...process.env, ...env, TEST_MODE: MODE, TS_NODE_PROJECT: join(root, 'tsconfig.spec.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** One test per scenario, with its error when it failed, and one that the process exited cleanly. */
export function itRunsEachScenario(scenarios: readonly (readonly [string, string])[], result: () => ScenarioRun): void {
  it.each(scenarios)('%s: %s', (scenario) => {
    const { output } = result();
    const failure = output.match(new RegExp(`FAIL ${scenario}\\n([\\s\\S]*?)END ${scenario}`))?.[1] ?? null;
    expect({ passed: output.includes(`PASS ${scenario}\n`), failure }).toEqual({ passed: true, failure: null });
  });

  it('the scenario process exits cleanly', () => {
    const { code, output } = result();
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
  });
}

/**
 * A suite of scenarios run by `script` in one child process: one test per scenario. In the cluster
 * project the child gets a throwaway PostgreSQL database as `databaseVariable` (only that project
 * has a PostgreSQL: its globalSetup finds or starts it); in embedded mode it opens PGlite itself.
 */
export function describeScenarioProcess(
  title: string,
  script: string,
  scenarios: readonly (readonly [string, string])[],
  databaseVariable: string,
  timeoutMs: number,
): void {
  const env = new TestEnvironment();
  let result: ScenarioRun;

  beforeAll(async () => {
    await env.setup();
    const database = MODE === 'cluster' ? { [databaseVariable]: env.databaseUrl } : {};
    result = await runScenarios(
      script,
      scenarios.map(([name]) => name),
      database,
    );
  }, timeoutMs);

  afterAll(() => env.dispose());

  describe(title, () => {
    itRunsEachScenario(scenarios, () => result);
  });
}

/**
 * In a scenario process: runs each scenario named on the command line in turn, from an empty
 * database in cluster mode, and prints `PASS name`, or `FAIL name`, the error and `END name`;
 * `afterEach` closes what a scenario opened, `afterAll` removes what they left. Exits 0 when every
 * scenario passed, 1 when one failed, 2 when the process itself failed.
 */
export function runScenarioProcess(
  scenarios: Record<string, (() => Promise<void>) | undefined>,
  databaseUrl: string | undefined,
  cleanUp: { afterEach: () => Promise<void>; afterAll: () => void },
): void {
  const main = async (): Promise<boolean> => {
    let passed = true;
    for (const name of process.argv.slice(2)) {
      const scenario = scenarios[name];
      try {
        if (!scenario) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(', ')}`);
        if (MODE === 'cluster') await resetPublicSchema(databaseUrl);
        await scenario();
        process.stdout.write(`PASS ${name}\n`);
      } catch (error) {
        passed = false;
        process.stdout.write(`FAIL ${name}\n${describeError(error)}\nEND ${name}\n`);
      } finally {
        await cleanUp.afterEach();
      }
    }
    cleanUp.afterAll();
    return passed;
  };
  main().then(
    (passed) => process.exit(passed ? 0 : 1),
    (error: unknown) => {
      process.stderr.write(`${describeError(error)}\n`);
      process.exit(2);
    },
  );
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** In a scenario process: empties a PostgreSQL database (its public schema) so that the next scenario starts from nothing. */
export async function resetPublicSchema(databaseUrl: string | undefined): Promise<void> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('DROP SCHEMA public CASCADE');
    await client.query('CREATE SCHEMA public');
  } finally {
    await client.end();
  }
}
