process.env.TZ = 'UTC';

const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../tsconfig.spec.json' }] };
const common = { rootDir: __dirname, testTimeout: 60000, moduleFileExtensions: ['ts', 'js', 'json'], transform, testEnvironment: 'node' };

/**
 * End-to-end suites run twice: against embedded instances (PGlite, in-process registry) and
 * against cluster instances (PostgreSQL, Redis). Multi-instance suites run in cluster mode only.
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
  ],
};
