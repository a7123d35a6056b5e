/** Jest runs the TypeScript tests of gateway/, tunnel/ and hub/ through ts-jest. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/gateway/test', '<rootDir>/tunnel/test', '<rootDir>/hub/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 30000,
};
