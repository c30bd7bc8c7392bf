process.env.TZ = 'UTC';

/**
 * Browser suites: Playwright (playwright-core) drives Debian's Chromium against real server
 * processes from dist/main.js. Run with `npm run test:browser`, which builds first.
 */
module.exports = {
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.browser-spec.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../../tsconfig.spec.json' }] },
  testEnvironment: 'node',
  // The cluster suite's PostgreSQL and Redis: found, or started for the run (see the helper).
  globalSetup: '<rootDir>/../helpers/services-setup.js',
  globalTeardown: '<rootDir>/../helpers/services-teardown.js',
  testTimeout: 90000,
  maxWorkers: 2,
};
