export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Probes until `accept` holds; fails with the last value after `timeoutMs`. */
export async function until<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs: number, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!accept(value)) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await sleep(100);
    value = await probe();
  }
  return value;
}
