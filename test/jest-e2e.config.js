process.env.TZ = 'UTC';

const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../tsconfig.spec.json' }] };
const common = { rootDir: __dirname, testTimeout: 60000, moduleFileExtensions: ['ts', 'js', 'json'], transform, testEnvironment: 'node' };
/** The failover and topology suites pick their Redis topologies themselves, the storm loads one instance: they run once, in the `cluster` project. */
const onTopology = {
  testMatch: ['<rootDir>/**/*.cluster-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/failover\\.cluster-spec\\.ts$', '/redis-topologies\\.cluster-spec\\.ts$', '/reconnect-storm\\.cluster-spec\\.ts$'],
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
      displayName: 'cluster',
      testMatch: ['<rootDir>/**/*.e2e-spec.ts', '<rootDir>/**/*.cluster-spec.ts'],
      setupFiles: ['<rootDir>/helpers/mode-cluster.js'],
    },
    { ...common, ...onTopology, displayName: 'cluster-redis-cluster', setupFiles: ['<rootDir>/helpers/mode-redis-cluster.js'] },
    { ...common, ...onTopology, displayName: 'cluster-sentinel', setupFiles: ['<rootDir>/helpers/mode-sentinel.js'] },
  ],
};
