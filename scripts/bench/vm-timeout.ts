// What a call into a workflow sandbox costs with and without a timeout. The Temporal TypeScript SDK runs
// every call into a workflow's V8 context with `timeout` (the worker's isolateExecutionTimeout, 5 s),
// and Node.js enforces a vm timeout with a watchdog thread started and joined per call
// (nodejs/node#47739). Prints CPU and wall time per call, each way, in the same run:
//   bash scripts/stack/node.sh node_modules/.bin/tsx scripts/bench/vm-timeout.ts [calls]
import vm from 'node:vm';

const calls = Number(process.argv[2] ?? 20_000);
const context = vm.createContext({}, { microtaskMode: 'afterEvaluate' });
const script = new vm.Script('globalThis.n = (globalThis.n ?? 0) + 1');

function measure(timeout: number | undefined) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < calls; i++) script.runInContext(context, timeout ? { timeout } : {});
  const used = process.cpuUsage(cpu);
  return {
    cpuMicros: (used.user + used.system) / calls,
    wallMicros: ((performance.now() - started) * 1000) / calls,
  };
}

measure(undefined); // warm-up
const bare = measure(undefined);
const timed = measure(5_000);
const f = (x: number) => x.toFixed(1);
process.stdout.write(
  `vm call without timeout: ${f(bare.cpuMicros)} µs CPU, ${f(bare.wallMicros)} µs wall\n` +
    `vm call with timeout:    ${f(timed.cpuMicros)} µs CPU, ${f(timed.wallMicros)} µs wall` +
    ` (×${f(timed.cpuMicros / bare.cpuMicros)} CPU; ${calls} calls each)\n`,
);
