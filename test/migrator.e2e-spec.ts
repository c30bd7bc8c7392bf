import { MODE, TestEnvironment } from './helpers/environment';
import { ScenarioRun, itRunsEachScenario, runScenarios } from './helpers/scenario-process';

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

/** Runs every scenario in one child process. */
function run(): Promise<ScenarioRun> {
  // Only the cluster project has a PostgreSQL (its globalSetup finds or starts it).
  const database = MODE === 'cluster' ? { MIGRATOR_DATABASE_URL: env.databaseUrl } : {};
  return runScenarios(
    'migrator-scenario.ts',
    SCENARIOS.map(([name]) => name),
    database,
  );
}

let result: ScenarioRun;

beforeAll(async () => {
  await env.setup();
  result = await run();
}, 180_000);

afterAll(() => env.dispose());

describe(`migrator (${MODE})`, () => {
  itRunsEachScenario(SCENARIOS, () => result);
});
