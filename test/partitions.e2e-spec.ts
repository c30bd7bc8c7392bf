import { MODE, TestEnvironment } from './helpers/environment';
import { ScenarioRun, itRunsEachScenario, runScenarios } from './helpers/scenario-process';

/**
 * `messages` partitioned by id ranges that follow time, in the mode of the project: PGlite
 * (embedded) or PostgreSQL (cluster). The partition maintenance runs with a clock the scenario
 * sets, on the server's own Database, MessageStore, MessagePartitions and migrations; each
 * scenario runs in a process of its own (test/helpers/partitions-scenario.ts).
 */

const env = new TestEnvironment();

const SCENARIOS = [
  [
    'rollover',
    'creates the next partition ahead, rolls over after a period, keeps dedup across partitions, ' +
      'and retention drops whole partitions, counting the unacknowledged',
  ],
  ['forever', 'keeps everything without MESSAGE_RETENTION_DAYS'],
  ['race', 'two instances sending the same clientMessageId at once store it once'],
  ['migration', 'migrates a database of the unpartitioned schema in place: rows, ids and dedup kept'],
] as const;

/** Runs every scenario in one child process. */
function run(): Promise<ScenarioRun> {
  // Only the cluster project has a PostgreSQL (its globalSetup finds or starts it).
  const database = MODE === 'cluster' ? { PARTITIONS_DATABASE_URL: env.databaseUrl } : {};
  return runScenarios(
    'partitions-scenario.ts',
    SCENARIOS.map(([name]) => name),
    database,
  );
}

let result: ScenarioRun;

beforeAll(async () => {
  await env.setup();
  result = await run();
}, 240_000);

afterAll(() => env.dispose());

describe(`messages partitions (${MODE})`, () => {
  itRunsEachScenario(SCENARIOS, () => result);
});
