import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { MODE } from './environment';

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
