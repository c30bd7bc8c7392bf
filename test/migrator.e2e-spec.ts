import { MODE } from './helpers/environment';
import { describeScenarioProcess } from './helpers/scenario-process';

/**
 * The migrator on a real database of the project's mode, PGlite (embedded) or a throwaway
 * PostgreSQL database (cluster); each scenario runs in a process of its own
 * (test/helpers/migrator-scenario.ts). Only PostgreSQL can be shared by instances that start together.
 */

const SCENARIOS: [string, string][] = [
  ['fresh', 'a new database gets every migration once, recorded as TypeORM did; a second run applies none'],
  ['upgrade', 'a database TypeORM migrated keeps its records, and only the migrations it lacks run'],
  [
    'conversationsBackfill',
    'conversations, group cursors and unacknowledged messages stored before their tables are moved into them by the migrations',
  ],
  ...(MODE === 'cluster' ? [['concurrent', 'two migrators at once on one database run each migration once'] as [string, string]] : []),
];

describeScenarioProcess(`migrator (${MODE})`, 'migrator-scenario.ts', SCENARIOS, 'MIGRATOR_DATABASE_URL', 180_000);
