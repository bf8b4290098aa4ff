/**
 * Jest projects: `unit` (pure logic, no services, seconds), `workflow` (workflows on the time-skipping
 * test server, seconds) and `integration` (a test stack of real Temporal, Kafka and Redis processes,
 * started once by test/support/global-setup.ts). `npm run test:unit` runs the first alone,
 * `npm run test:workflow` the second; `npm test` runs all three.
 */
const shared = {
  testEnvironment: 'node',
  // Two lanes: the test stack's files one at a time, the files with a stack of their own beside them.
  runner: '<rootDir>/test/support/lane-runner.ts',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
};

module.exports = {
  testTimeout: 120_000,
  verbose: true,
  reporters: ['default', '<rootDir>/test/support/closing-line-reporter.js'],
  // Two workers, one per lane of test/support/lane-runner.ts: the files on the shared test stack one at
  // a time (integration tests stop and restart its services), and beside them, one at a time too, the
  // files that start a stack of their own (`@stack own` in their docblock).
  maxWorkers: 2,
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
