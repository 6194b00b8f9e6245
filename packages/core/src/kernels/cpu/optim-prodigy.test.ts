import { describe, expect, it } from 'vitest';
import { DTypeError, ValueError } from '../../errors';
import {
  prodigyAccumulateKernel,
  prodigyBeginKernel,
  prodigyStepKernel,
  prodigyUpdateDKernel,
  PRODIGY_STATS as S,
} from './optim-prodigy';

const f = Math.fround;

function freshStats(d = 1e-6): Float32Array {
  const stats = new Float32Array(S.size);
  stats[S.d] = d;
  stats[S.dMax] = d;
  return stats;
}

describe('Prodigy kernels (float32, the webgpu path)', () => {
  it('begin: the step size from d, with the bias correction in doubles rounded once', () => {
    const stats = freshStats(2e-3);
    stats[S.k] = 3;
    stats[S.deltaNumerator] = 5;
    stats[S.stepDenom] = 7;
    prodigyBeginKernel(stats, 0.5, 0.9, 0.999, true);
    const bc = f(Math.sqrt(1 - 0.999 ** 4) / (1 - 0.9 ** 4));
    expect(stats[S.dlr]).toBe(f(f(f(2e-3) * 0.5) * bc));
    expect(stats[S.deltaNumerator]).toBe(0);
    expect(stats[S.stepDenom]).toBe(0);
    prodigyBeginKernel(stats, 0.5, 0.9, 0.999, false);
    expect(stats[S.dlr]).toBe(f(f(2e-3) * 0.5));
  });

  it("accumulate: one parameter's moments, s and share of the sums, x₀ taken at the first step", () => {
    const p = Float32Array.from([1, -2, 0.5, 3, -1]);
    const g = Float32Array.from([0.5, 0.25, -1, 2, -0.75]);
    const [p0, s] = [new Float32Array(3), new Float32Array(3)];
    const [m, v] = [new Float32Array(5), new Float32Array(5)];
    const terms = new Float32Array(6);
    const stats = freshStats();
    prodigyBeginKernel(stats, 1, 0.9, 0.999, false);
    prodigyAccumulateKernel(p, g, p0, s, m, v, terms, stats, 2, true, true, 0.1, 0.9, 0.999, 0.99, 1e-6, false);
    expect(Array.from(p0)).toEqual([1, 0.5, -1]); // every 2nd entry
    const d = f(1e-6);
    const gd = (j: number) => f(g[j] + f(f(0.1) * p[j]));
    expect(m[3]).toBe(f(f(f(0.9) * 0) + f(f(d * f(0.1)) * gd(3))));
    expect(v[1]).toBe(f(f(f(0.999) * 0) + f(f(f(f(d * d) * f(1 - 0.999)) * gd(1)) * gd(1))));
    // x₀ = p at the first step: the displacement is 0, so the numerator's share is 0 and s = α·g
    expect(stats[S.deltaNumerator]).toBe(0);
    const alpha = f(f(d / f(1e-6)) * stats[S.dlr]);
    expect(s[2]).toBe(f(alpha * gd(4)));
    expect(stats[S.stepDenom]).toBe(f(Math.abs(s[0]) + Math.abs(s[1]) + Math.abs(s[2])));
    // a second step from moved parameters: the share is (d/d0)·dlr·⟨g, x₀ - p⟩ over the sliced entries
    const moved = p.map((x) => x - 0.25);
    prodigyBeginKernel(stats, 1, 0.9, 0.999, false);
    prodigyAccumulateKernel(moved, g, p0, s, m, v, terms, stats, 2, false, true, 0, 0.9, 0.999, 0.99, 1e-6, false);
    const dot = 0.25 * (g[0] + g[2] + g[4]);
    expect(Math.abs(stats[S.deltaNumerator] - alpha * dot)).toBeLessThan(1e-6 * Math.abs(alpha * dot));
    expect(alpha * dot).not.toBe(0);
    expect(Array.from(p0)).toEqual([1, 0.5, -1]);
  });

  it('accumulate with lr 0 only takes x₀; without m leaves m alone', () => {
    const p = Float32Array.from([1, 2]);
    const g = Float32Array.from([3, 4]);
    const [p0, s, v, terms] = [new Float32Array(2), new Float32Array(2), new Float32Array(2), new Float32Array(4)];
    const stats = freshStats();
    prodigyAccumulateKernel(p, g, p0, s, null, v, terms, stats, 1, true, false, 0, 0, 0.999, 0.99, 1e-6, false);
    expect(Array.from(p0)).toEqual([1, 2]);
    expect(Array.from(v)).toEqual([0, 0]);
    expect(Array.from(s)).toEqual([0, 0]);
    prodigyAccumulateKernel(p, g, p0, s, null, v, terms, stats, 1, false, true, 0, 0, 0.999, 0.99, 1e-6, false);
    expect(v[0]).toBeGreaterThan(0);
  });

  it('update of d: max with d̂ while d is d0, the running max, the growth cap, and a skipped step', () => {
    const stats = freshStats(1e-6);
    stats[S.deltaNumerator] = 3e-6;
    stats[S.stepDenom] = 1;
    prodigyUpdateDKernel(stats, 0.5, 1, Number.POSITIVE_INFINITY, 1e-6);
    expect(stats[S.dHat]).toBe(f(3e-6));
    expect(stats[S.d]).toBe(f(3e-6));
    expect(stats[S.dMax]).toBe(f(3e-6));
    expect(stats[S.k]).toBe(1);
    expect(stats[S.skip]).toBe(0);
    // growth capped at 1.5x per step; the numerator decays by beta3
    stats[S.deltaNumerator] = 1e-4;
    prodigyUpdateDKernel(stats, 0.5, 1, 1.5, 1e-6);
    expect(stats[S.dNumerator]).toBe(f(f(f(3e-6) * 0.5) + f(1e-4)));
    expect(stats[S.d]).toBe(f(f(3e-6) * 1.5));
    expect(stats[S.dMax]).toBe(stats[S.dHat]);
    // a step whose Σ‖s‖₁ is 0 changes nothing but the skip flag
    const before = Float32Array.from(stats);
    stats[S.stepDenom] = 0;
    prodigyUpdateDKernel(stats, 0.5, 1, 1.5, 1e-6);
    expect(stats[S.skip]).toBe(1);
    expect(stats[S.d]).toBe(before[S.d]);
    expect(stats[S.k]).toBe(2);
    const p = Float32Array.from([1, 2]);
    prodigyStepKernel(p, Float32Array.from([1, 1]), null, Float32Array.from([1, 1]), stats, 0, 0.1, 1e-8);
    expect(Array.from(p)).toEqual([1, 2]);
  });

  it('step: p·(1 - λ·dlr) - dlr·m/(√v + d·ε), or d·g in place of m when beta1 is 0', () => {
    const stats = freshStats(0.01);
    stats[S.dlr] = 0.02;
    const p = Float32Array.from([1, -2]);
    const m = Float32Array.from([0.3, -0.1]);
    const v = Float32Array.from([0.04, 0.09]);
    prodigyStepKernel(p, Float32Array.from([9, 9]), m, v, stats, 0, 0.5, 1e-3);
    const [dlr, dEps, a] = [f(0.02), f(f(0.01) * f(1e-3)), f(f(-0.5) * f(0.02))];
    const expected = (pj: number, mj: number, vj: number) =>
      f(f(f(a * pj) + pj) + f(f(-dlr * mj) / f(f(Math.sqrt(vj)) + dEps)));
    expect(p[0]).toBe(expected(1, 0.3, f(0.04)));
    expect(p[1]).toBe(expected(-2, f(-0.1), f(0.09)));
    const q = Float32Array.from([1]);
    prodigyStepKernel(q, Float32Array.from([0.5]), null, Float32Array.from([0.04]), stats, 0.2, 0, 1e-3);
    const c = f(-dlr * f(0.01));
    expect(q[0]).toBe(f(1 + f(f(c * f(0.5 + f(f(0.2) * 1))) / f(f(Math.sqrt(f(0.04))) + dEps))));
  });

  it('rejects arrays that are not float32 or have the wrong length, naming the kernel and argument, before writing', () => {
    const p = Float32Array.from([1, 2]);
    const g = Float32Array.from([3, 4]);
    const arr = () => new Float32Array(2);
    const stats = freshStats();
    const snapshot = Float32Array.from(stats);
    const v = arr();
    // one accumulate call over p, with `bad` replacing some of its arrays or its sliceP
    const call = (bad: { param?: Float32Array; p0?: Float32Array; terms?: Float32Array; sliceP?: number }) => () =>
      prodigyAccumulateKernel(
        bad.param ?? p,
        g,
        bad.p0 ?? arr(),
        arr(),
        null,
        v,
        bad.terms ?? new Float32Array(4),
        stats,
        bad.sliceP ?? 1,
        true,
        true,
        0,
        0.9,
        0.999,
        0.99,
        1e-6,
        false,
      );
    expect(call({ param: Float64Array.from([1, 2]) as unknown as Float32Array })).toThrow(DTypeError);
    expect(call({ param: Float64Array.from([1, 2]) as unknown as Float32Array })).toThrow(
      /prodigyAccumulateKernel: param must be a Float32Array/,
    );
    expect(call({ p0: new Float32Array(3) })).toThrow(/prodigyAccumulateKernel: p0 has 3 elements, expected 2/);
    expect(call({ sliceP: 0 })).toThrow(/prodigyAccumulateKernel: sliceP must be a positive integer, got 0/);
    expect(call({ terms: new Float32Array(3) })).toThrow(ValueError);
    expect(() => prodigyUpdateDKernel(new Float32Array(4), 0.5, 1, 2, 1e-6)).toThrow(
      /prodigyUpdateDKernel: stats has 4 elements, expected 10/,
    );
    expect(() => prodigyStepKernel(p, g, null, new Float32Array(3), stats, 0, 0, 1e-8)).toThrow(/prodigyStepKernel: v/);
    expect(() => prodigyBeginKernel(new Float64Array(S.size) as unknown as Float32Array, 1, 0.9, 0.999, false)).toThrow(
      /prodigyBeginKernel: stats must be a Float32Array/,
    );
    expect(Array.from(p)).toEqual([1, 2]);
    expect(Array.from(v)).toEqual([0, 0]);
    expect(Array.from(stats)).toEqual(Array.from(snapshot));
  });
});
