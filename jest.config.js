/** Jest runs the TypeScript tests of gateway/, tunnel/ and hub/ through ts-jest. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/gateway/test', '<rootDir>/tunnel/test', '<rootDir>/hub/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 30000,
  // One temporary directory per run, removed at its end (gateway/test/helpers/tmp-root-setup.ts).
  globalSetup: '<rootDir>/gateway/test/helpers/tmp-root-setup.ts',
  globalTeardown: '<rootDir>/gateway/test/helpers/tmp-root-teardown.ts',
};
