// The one way bourse bounds a wait: the work's own promise raced against a timer that rejects with
// the caller's error; the timer is always cleared. The work is not cancelled (the caller decides).
export async function raceDeadline<T>(
  ms: number,
  timeoutError: () => Error,
  work: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  try {
    return await Promise.race([work(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
