/** Jest runs the TypeScript tests of gateway/ and tunnel/ through ts-jest. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/gateway/test', '<rootDir>/tunnel/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 30000,
};
