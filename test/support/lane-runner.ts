// Jest's runner in two lanes, each one worker running its files one after another. The integration
// files on the shared test stack (some stop and restart its services), and the unit and workflow files,
// run in the first lane, one at a time as ever. A file whose first line is a docblock saying
// `@stack own` starts a stack of its own and uses nothing of the test stack's: it runs in the second
// lane, beside them. Run in band (one file, or --runInBand), every file takes the first lane.
import { readFileSync } from 'node:fs';
import TestRunner, {
  EmittingTestRunner,
  type Config,
  type Test,
  type TestEvents,
  type TestRunnerContext,
  type TestRunnerOptions,
  type TestWatcher,
  type UnsubscribeFn,
} from 'jest-runner';

/** Whether a test file declares a stack of its own: `@stack own` in the docblock it opens with. */
export function ownStack(path: string): boolean {
  const docblock = /^\s*\/\*\*[\s\S]*?\*\//.exec(readFileSync(path, 'utf8'));
  return docblock !== null && /@stack\s+own\b/.test(docblock[0]);
}

export default class LaneRunner extends EmittingTestRunner {
  private readonly shared: TestRunner;
  private readonly own: TestRunner;

  constructor(globalConfig: Config.GlobalConfig, context: TestRunnerContext) {
    super(globalConfig, context);
    const oneWorker = { ...globalConfig, maxWorkers: 1 };
    this.shared = new TestRunner(oneWorker, context);
    this.own = new TestRunner(oneWorker, context);
  }

  async runTests(tests: Test[], watcher: TestWatcher, options: TestRunnerOptions): Promise<void> {
    if (options.serial) return this.shared.runTests(tests, watcher, options);
    const own = tests.filter((test) => ownStack(test.path));
    const shared = tests.filter((test) => !own.includes(test));
    await Promise.all(
      [
        { lane: this.shared, files: shared },
        { lane: this.own, files: own },
      ]
        .filter(({ files }) => files.length > 0)
        .map(({ lane, files }) => lane.runTests(files, watcher, options)),
    );
  }

  on<Name extends keyof TestEvents>(
    eventName: Name,
    listener: (eventData: TestEvents[Name]) => void | Promise<void>,
  ): UnsubscribeFn {
    const unsubscribes = [this.shared.on(eventName, listener), this.own.on(eventName, listener)];
    return () => unsubscribes.forEach((unsubscribe) => unsubscribe());
  }
}
