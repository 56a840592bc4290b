/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // tsconfig's isolatedModules makes ts-jest transpile file by file; type-checking is
    // `npm run typecheck`'s job, which keeps the suite fast on two cores.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  setupFiles: ['<rootDir>/test/helpers/setup.ts'],
  testTimeout: 60_000,
  // Two cores on CI: one worker per core keeps synth-heavy suites from starving each other.
  maxWorkers: 2,
};
