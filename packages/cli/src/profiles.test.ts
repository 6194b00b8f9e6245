import { describe, expect, it } from 'vitest';
import { leaderboard, performanceProfiles, performanceRatios, profileScores } from './profiles';

describe('performance profiles', () => {
  it('divides by the best time on each task; never reached is infinite', () => {
    expect(performanceRatios({ sgd: 30, adam: 10, lion: null })).toEqual({ sgd: 3, adam: 1, lion: Infinity });
    expect(performanceRatios({ sgd: null, adam: null })).toEqual({ sgd: Infinity, adam: Infinity });
    expect(performanceRatios({ sgd: 0, adam: 2 })).toEqual({ sgd: 1, adam: Infinity });
    expect(performanceRatios({ sgd: Number.NaN, adam: 2 })).toEqual({ sgd: Infinity, adam: 1 });
  });

  it('counts the fraction of tasks within tau of the best', () => {
    const tasks: Record<string, number | null>[] = [
      { sgd: 30, adam: 10 },
      { sgd: 5, adam: 10 },
      { sgd: null, adam: 7 },
      { sgd: 8 }, // adam missing: not reached
    ];
    const p = performanceProfiles(tasks, [1, 2, 3, 4]);
    expect(p.names).toEqual(['sgd', 'adam']);
    expect(p.rho.adam).toEqual([0.5, 0.75, 0.75, 0.75]);
    expect(p.rho.sgd).toEqual([0.5, 0.5, 0.75, 0.75]);
  });

  it('scores the normalised area under the profile, exactly', () => {
    const s = profileScores([
      { sgd: 30, adam: 10 },
      { sgd: 5, adam: 10 },
    ]);
    // adam: ratios 1 and 2 -> (3/3 + 2/3) / 2; sgd: ratios 3 and 1 -> (1/3 + 3/3) / 2.
    expect(s.adam).toBeCloseTo(5 / 6, 12);
    expect(s.sgd).toBeCloseTo(2 / 3, 12);
    // A numerical check of the same area with a fine tau grid.
    const taus = Array.from({ length: 30001 }, (_, i) => 1 + (3 * i) / 30000);
    const p = performanceProfiles(
      [
        { sgd: 30, adam: 10 },
        { sgd: 5, adam: 10 },
      ],
      taus,
    );
    const area = (r: number[]) => r.slice(1).reduce((a, v) => a + v * (3 / 30000), 0) / 3;
    expect(area(p.rho.adam)).toBeCloseTo(s.adam, 3);
    expect(area(p.rho.sgd)).toBeCloseTo(s.sgd, 3);
    expect(() => profileScores([], 1)).toThrow(/tauMax must be > 1/);
  });

  it('ranks by score, then wins, then name', () => {
    const rows = leaderboard([
      { sgd: 30, adam: 10, lion: 10 },
      { sgd: 5, adam: 10, lion: null },
    ]);
    expect(rows.map((r) => r.name)).toEqual(['adam', 'sgd', 'lion']);
    expect(rows[0]).toMatchObject({ reached: 2, wins: 1 });
    expect(rows[2]).toMatchObject({ reached: 1, wins: 1 });
  });
});
