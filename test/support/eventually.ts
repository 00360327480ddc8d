/**
 * Polls `check` until it passes or the deadline expires: the way tests wait for something
 * asynchronous to happen, instead of sleeping for a guessed time.
 */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000, intervalMs = 5): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw lastError;
    await new Promise(resolve => setTimeout(resolve, intervalMs));
  }
}

/** Waits until `predicate` returns true, failing with `what` after the deadline. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  await eventually(() => {
    if (!predicate()) throw new Error(`Timed out waiting for ${what}`);
  }, timeoutMs);
}
