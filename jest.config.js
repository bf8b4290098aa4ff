/** Jest: unit tests and integration tests against a test stack of real services (see test/global-setup.ts). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  // One worker: integration tests stop and restart the shared test stack's services.
  maxWorkers: 1,
  testTimeout: 120_000,
  verbose: true,
};
