process.env.TZ = 'UTC';
/**
 * Unit specs live beside the code: the server's in src/, the client SDK's in packages/client/src/, the pages' in web/,
 * the test helpers' in test/helpers/.
 */
module.exports = {
  rootDir: __dirname,
  roots: ['<rootDir>/src', '<rootDir>/packages/client/src', '<rootDir>/web', '<rootDir>/test/helpers'],
  testRegex: '.*\\.spec\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  // The SDK from its source, so unit specs need no build of the package.
  moduleNameMapper: { '^@chat-server/client$': '<rootDir>/packages/client/src/index.ts' },
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  testEnvironment: 'node',
};
