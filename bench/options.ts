/**
 * A bench's numeric option: `--name` on the command line, else `<envPrefix>_<NAME>` in the environment
 * (dashes as underscores, e.g. BENCH_SOAK_HOLD_S), else `fallback`; anything but a positive number is
 * refused with the option and the value named.
 */
export function positiveOption(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  envPrefix?: string,
): number {
  const fromArgs = values[name];
  const raw =
    typeof fromArgs === 'string'
      ? fromArgs
      : envPrefix
        ? process.env[`${envPrefix}_${name.toUpperCase().replace(/-/g, '_')}`]
        : undefined;
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    throw new Error(`--${name}: got ${JSON.stringify(raw)}, expected a positive number`);
  }
  return n;
}
