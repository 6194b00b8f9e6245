// Performance profiles (Dolan and Moré, "Benchmarking optimization software with performance profiles",
// Math. Programming 91, 2002), as AlgoPerf scores training algorithms: on each task, an optimizer's time to
// the target divided by the best optimizer's; its profile is the fraction of tasks where that ratio is at
// most τ, and its score the profile's normalised area over τ in [1, τmax].

/** The time (or steps) each optimizer took to reach the target on one task; null: never reached (or diverged). */
export type TaskTimes = Readonly<Record<string, number | null>>;

/** The largest ratio to the best optimizer the profiles and scores look at (AlgoPerf's is 4 for its plots). */
export const DEFAULT_TAU_MAX = 4;

/**
 * The performance ratios of one task: each optimizer's time over the best time on that task; +Infinity for an
 * optimizer that never reached the target, and for every optimizer when none did.
 *
 * @example
 * ```ts
 * performanceRatios({ sgd: 30, adam: 10, lion: null }); // { sgd: 3, adam: 1, lion: Infinity }
 * ```
 */
export function performanceRatios(times: TaskTimes): Record<string, number> {
  let best = Number.POSITIVE_INFINITY;
  for (const t of Object.values(times)) if (t !== null && Number.isFinite(t) && t >= 0 && t < best) best = t;
  const out: Record<string, number> = {};
  for (const [name, t] of Object.entries(times)) {
    if (t === null || !Number.isFinite(t) || t < 0 || !Number.isFinite(best)) out[name] = Number.POSITIVE_INFINITY;
    // A best time of 0 (the target met at the start) makes every other finite time a ratio of 1 only if also 0.
    else out[name] = best === 0 ? (t === 0 ? 1 : Number.POSITIVE_INFINITY) : t / best;
  }
  return out;
}

/**
 * The performance profile of every optimizer over a set of tasks: `rho[name][i]` is the fraction of the
 * tasks on which `name`'s ratio to the best is at most `taus[i]`. Optimizers missing from a task count as
 * not reaching its target.
 *
 * @example
 * ```ts
 * const p = performanceProfiles([{ sgd: 30, adam: 10 }, { sgd: 5, adam: 10 }], [1, 2, 4]);
 * // p.rho.adam = [0.5, 1, 1], p.rho.sgd = [0.5, 0.5, 1]
 * ```
 */
export function performanceProfiles(
  tasks: readonly TaskTimes[],
  taus: readonly number[],
): { names: string[]; taus: number[]; rho: Record<string, number[]> } {
  const names = [...new Set(tasks.flatMap((t) => Object.keys(t)))];
  const rho: Record<string, number[]> = {};
  const ratios = tasks.map((t) => performanceRatios(Object.fromEntries(names.map((n) => [n, t[n] ?? null]))));
  for (const name of names)
    rho[name] = taus.map((tau) =>
      tasks.length === 0 ? 0 : ratios.filter((r) => r[name] <= tau).length / tasks.length,
    );
  return { names, taus: [...taus], rho };
}

/**
 * The score of each optimizer: the area under its performance profile over τ in [1, τmax], divided by
 * τmax - 1, so 1 means fastest on every task and 0 never within τmax of the best. Exact for the step-shaped
 * profile: a task with ratio r <= τmax adds (τmax - r) / (τmax - 1) / tasks.
 *
 * @example
 * ```ts
 * profileScores([{ sgd: 30, adam: 10 }, { sgd: 5, adam: 10 }]); // { sgd: 0.6667, adam: 0.8333 }
 * ```
 */
export function profileScores(tasks: readonly TaskTimes[], tauMax = DEFAULT_TAU_MAX): Record<string, number> {
  if (!(tauMax > 1)) throw new RangeError(`profileScores: tauMax must be > 1, got ${tauMax}`);
  const names = [...new Set(tasks.flatMap((t) => Object.keys(t)))];
  const scores: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  if (tasks.length === 0) return scores;
  for (const t of tasks) {
    const ratios = performanceRatios(Object.fromEntries(names.map((n) => [n, t[n] ?? null])));
    for (const name of names) {
      const r = ratios[name];
      if (r <= tauMax) scores[name] += (tauMax - r) / (tauMax - 1) / tasks.length;
    }
  }
  return scores;
}

/** One row of the leaderboard. */
export interface LeaderboardRow {
  readonly name: string;
  /** The {@link profileScores} score. */
  readonly score: number;
  /** On how many tasks it reached the target. */
  readonly reached: number;
  /** On how many tasks it was the fastest (ties count for each). */
  readonly wins: number;
}

/**
 * The optimizers ranked by their profile score (then by wins, then by name).
 *
 * @example
 * ```ts
 * leaderboard([{ sgd: 30, adam: 10 }, { sgd: 5, adam: 10 }])[0].name; // 'adam'
 * ```
 */
export function leaderboard(tasks: readonly TaskTimes[], tauMax = DEFAULT_TAU_MAX): LeaderboardRow[] {
  const scores = profileScores(tasks, tauMax);
  const rows = Object.keys(scores).map((name) => {
    let reached = 0;
    let wins = 0;
    for (const t of tasks) {
      const v = t[name];
      if (v !== null && v !== undefined && Number.isFinite(v)) reached++;
      if (performanceRatios(t)[name] === 1) wins++;
    }
    return { name, score: scores[name], reached, wins };
  });
  return rows.sort((a, b) => b.score - a.score || b.wins - a.wins || a.name.localeCompare(b.name));
}
