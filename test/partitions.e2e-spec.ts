import { MODE } from './helpers/environment';
import { describeScenarioProcess } from './helpers/scenario-process';

/**
 * `messages` partitioned by id ranges that follow time, in the mode of the project: PGlite
 * (embedded) or PostgreSQL (cluster). The partition maintenance runs with a clock the scenario
 * sets, on the server's own Database, MessageStore, MessagePartitions and migrations; each
 * scenario runs in a process of its own (test/helpers/partitions-scenario.ts).
 */

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

describeScenarioProcess(`messages partitions (${MODE})`, 'partitions-scenario.ts', SCENARIOS, 'PARTITIONS_DATABASE_URL', 240_000);
