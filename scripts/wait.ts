// The one polling loop and the one sleep shared by the local stack, the operator commands, bench, chaos and the tests.
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/**
 * Polls `probe` every `everyMs` until it returns a value (anything but undefined or false) and returns
 * that value; a probe that throws counts as "not yet". Throws, naming `what` and the last error, when
 * `timeoutMs` has passed.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: Error | undefined;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err instanceof Error ? err : new Error(String(err));
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
      );
    }
    await sleep(everyMs);
  }
}
