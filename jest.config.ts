import type { Config } from 'jest';

const config: Config = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/test/harness/global-setup.ts',
  globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  // End-to-end files start dockerd and move images; they get room, no test bounds time.
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
