// Prints the run's closing line in the plain form any CI reads ("N passed, N failed"), after
// Jest's own summary, and keeps it in .stack/last-test-run.txt so `.ci/run` can repeat it as its very
// last line (the test stack's teardown logs come after Jest's reporters).
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

class ClosingLineReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line =
      `${results.numPassedTests} passed, ${results.numFailedTests} failed` +
      (skipped ? `, ${skipped} skipped` : '');
    process.stdout.write(`${line}\n`);
    const dir = join(this.rootDir, '.stack');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'last-test-run.txt'), `${line}\n`);
  }
}

module.exports = ClosingLineReporter;
