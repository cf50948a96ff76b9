/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and Jitter"):
 * the wait before try n+1 is uniform in [base·2^(n-1)/2, min(max, base·2^(n-1))] — half fixed, half
 * random, so retries of many rows that failed together spread out instead of arriving in waves.
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
