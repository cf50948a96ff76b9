/**
 * Polls `probe` every `everyMs` until it gives a truthy value, which it returns; throws, naming `what`,
 * when `ms` pass first. Tests wait on conditions, not fixed sleeps: a loaded machine only makes it slower.
 */
export async function until<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms: number,
  what: string,
  everyMs = 50,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
