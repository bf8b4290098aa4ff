/**
 * Jest projects: `unit` (pure logic, no services, seconds), `workflow` (workflows on the time-skipping
 * test server, seconds) and `integration` (a test stack of real Temporal, Kafka and Redis processes,
 * started once by test/support/global-setup.ts). `npm run test:unit` runs the first alone,
 * `npm run test:workflow` the second; `npm test` runs all three.
 */
const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
};

module.exports = {
  testTimeout: 120_000,
  verbose: true,
  reporters: ['default', '<rootDir>/test/support/closing-line-reporter.js'],
  // One worker: integration tests stop and restart the shared test stack's services.
  maxWorkers: 1,
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit'] },
    // The real workflows on Temporal's time-skipping test server (a JVM, fetched on first run), their
    // activities replaced by test functions: timeouts of minutes proven in seconds, no test stack.
    { ...shared, displayName: 'workflow', roots: ['<rootDir>/test/workflow'] },
    {
      ...shared,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
