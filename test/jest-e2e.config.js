process.env.TZ = 'UTC';

const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../tsconfig.spec.json' }] };
// The client SDK from its source, like the unit specs.
const moduleNameMapper = { '^@chat-server/client$': '<rootDir>/../packages/client/src/index.ts' };
const common = {
  rootDir: __dirname,
  testTimeout: 60000,
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform,
  moduleNameMapper,
  testEnvironment: 'node',
  // Every answer of a suite's own instances is checked against their /v2/api-docs (helpers/contract.ts).
  setupFilesAfterEnv: ['<rootDir>/helpers/contract-setup.ts'],
};
/**
 * The projects that need PostgreSQL and Redis: Jest runs this setup once if any of them has tests
 * in the run (never for the embedded project alone), and it starts throwaway services when none answer.
 */
const services = { globalSetup: '<rootDir>/helpers/services-setup.js', globalTeardown: '<rootDir>/helpers/services-teardown.js' };
/**
 * Run once, in the `cluster` project: the failover, topology and health suites pick their Redis
 * themselves, the storm loads one instance, the plan and migration suites test PostgreSQL only,
 * the SDK move suite tests the client, the push-queue suite tests instances sharing PostgreSQL, and
 * the conversations-at-scale and group-cursor-locks suites use PostgreSQL directly.
 */
const ONCE = [
  'failover',
  'redis-topologies',
  'reconnect-storm',
  'health',
  'query-plans',
  'group-names-migration',
  'sdk-move',
  'push-webhook',
  'conversations-at-scale',
  'group-cursor-locks',
];
/** Run in the `embedded` project only: the npm package suite tests the SDK's packaging, not the storage. */
const EMBEDDED_ONLY = ['sdk-package'];
const onTopology = {
  testMatch: ['<rootDir>/**/*.cluster-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...ONCE.map((name) => `/${name}\\.cluster-spec\\.ts$`)],
};

/**
 * End-to-end suites run twice: against embedded instances (PGlite, in-process registry) and
 * against cluster instances (PostgreSQL, Redis). Multi-instance suites run in cluster mode only,
 * and again with the instances on a 3-master Redis Cluster and on Sentinel
 * (scripts/redis-topologies.sh, started by the helpers when it is not running).
 */
module.exports = {
  testTimeout: 60000,
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'embedded', testMatch: ['<rootDir>/**/*.e2e-spec.ts'], setupFiles: ['<rootDir>/helpers/mode-embedded.js'] },
    {
      ...common,
      ...services,
      displayName: 'cluster',
      testMatch: ['<rootDir>/**/*.e2e-spec.ts', '<rootDir>/**/*.cluster-spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...EMBEDDED_ONLY.map((name) => `/${name}\\.e2e-spec\\.ts$`)],
      setupFiles: ['<rootDir>/helpers/mode-cluster.js'],
    },
    {
      ...common,
      ...services,
      ...onTopology,
      displayName: 'cluster-redis-cluster',
      setupFiles: ['<rootDir>/helpers/mode-redis-cluster.js'],
    },
    { ...common, ...services, ...onTopology, displayName: 'cluster-sentinel', setupFiles: ['<rootDir>/helpers/mode-sentinel.js'] },
  ],
};
