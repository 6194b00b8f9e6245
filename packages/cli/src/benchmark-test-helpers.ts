// Shared by the benchmark, pool and merge tests (not part of the package's exports).

/** The keys of a benchmark's results that depend on the clock, the date or the run, not on the numbers. */
const TIMING_KEYS = new Set([
  'timeMs',
  'wallTimeMs',
  'stepsPerSecond',
  'medianStepMs',
  'timeToTargetMs',
  'stepTime',
  'createdAt',
  'command',
  'environment',
  'machine',
  'trials',
  'profiles',
  'leaderboard',
  'targets',
]);

/**
 * `value` without its timings, dates and run counts: what two runs of the same trials share to the bit.
 *
 * @example
 * ```ts
 * expect(metricsOf(results(dir1))).toEqual(metricsOf(results(dir2)));
 * ```
 */
export function metricsOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(metricsOf);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !TIMING_KEYS.has(k))
        .map(([k, v]) => [k, metricsOf(v)]),
    );
  return value;
}
