import { describe, expect, it } from 'vitest';
import { ValueError } from './errors';
import { defaultGenerator, Generator, manualSeed, rand, randint, randn, randperm } from './index';
import { portableLog } from './random';

/** An independent xoshiro128** step in BigInt arithmetic (Blackman & Vigna's reference C code). */
function referenceXoshiro(state: bigint[]): () => number {
  const s = [...state];
  const mask = 0xffffffffn;
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & mask;
  return () => {
    const result = (rotl((s[1] * 5n) & mask, 7n) * 9n) & mask;
    const t = (s[1] << 9n) & mask;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11n);
    return Number(result);
  };
}

/** The multiplicative inverse of an odd `a` modulo 2^32. */
function inverseMod32(a: bigint): bigint {
  let x = 1n;
  for (let i = 0; i < 5; i++) x = (x * (2n - a * x)) & 0xffffffffn; // Newton: doubles the correct bits
  return x;
}

function draws(n: number, next: () => number): number[] {
  return Array.from({ length: n }, next);
}

describe('Generator', () => {
  it('implements xoshiro128** exactly (checked against the reference algorithm)', () => {
    const g = new Generator().setState({ s: [1, 2, 3, 4], spareNormal: null });
    // first three outputs for state {1, 2, 3, 4}, worked out by hand from the reference C code
    expect(draws(3, () => g.nextUint32())).toEqual([11520, 0, 5927040]);
    const seeded = new Generator(123);
    const ref = referenceXoshiro(seeded.getState().s.map(BigInt));
    expect(draws(1000, () => seeded.nextUint32())).toEqual(draws(1000, ref));
  });

  it('gives the same sequence for the same seed and different ones for different seeds', () => {
    const a = new Generator(7);
    const b = new Generator(7);
    const c = new Generator(8);
    const sa = draws(50, () => a.uniform());
    expect(draws(50, () => b.uniform())).toEqual(sa);
    const sc = draws(50, () => c.uniform());
    expect(sc.filter((v, i) => v === sa[i]).length).toBe(0);
    expect(new Generator(0).getState().s).not.toEqual(new Generator(1).getState().s);
  });

  it('manualSeed on an instance restarts its stream and drops the spare normal', () => {
    const g = new Generator(5);
    const first = [g.normal(), g.normal(), g.normal()];
    g.manualSeed(5);
    expect([g.normal(), g.normal(), g.normal()]).toEqual(first);
  });

  it('keeps only the low 32 bits of the seed', () => {
    expect(new Generator(2 ** 32 + 9).getState()).toEqual(new Generator(9).getState());
    expect(new Generator(-1).getState()).toEqual(new Generator(2 ** 32 - 1).getState());
    expect(() => new Generator(Number.NaN)).toThrow(ValueError);
  });

  it('round-trips getState/setState mid-stream, including the spare normal', () => {
    const g = new Generator(11);
    g.uniform();
    g.normal(); // leaves a spare
    const state = g.getState();
    expect(state.spareNormal).not.toBeNull();
    const json = JSON.parse(JSON.stringify(state));
    const expected = [g.normal(), g.normal(), g.uniform(), g.nextUint32()];
    const h = new Generator(999).setState(json);
    expect([h.normal(), h.normal(), h.uniform(), h.nextUint32()]).toEqual(expected);
    // restoring does not alias the caller's state object
    g.setState(state);
    g.nextUint32();
    expect(g.getState()).not.toEqual(state);
    expect(() => g.setState({ s: [1, 2], spareNormal: null } as never)).toThrow(ValueError);
  });

  it('draws uniforms in [0, 1) with the right mean and an even spread', () => {
    const g = new Generator(2024);
    const n = 100_000;
    const bins = new Array(10).fill(0);
    let sum = 0;
    let lagged = 0;
    let outside = 0;
    let prev = g.uniform();
    for (let i = 0; i < n; i++) {
      const u = g.uniform();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      lagged += (u - 0.5) * (prev - 0.5);
      prev = u;
      bins[Math.floor(u * 10)]++;
    }
    expect(outside).toBe(0);
    // mean: standard error sqrt(1/12 / n) = 9e-4, bound is > 5 sigma
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005);
    // lag-1 covariance: standard error 1/12 / sqrt(n) = 2.6e-4
    expect(Math.abs(lagged / n)).toBeLessThan(0.0015);
    // chi-square with 9 degrees of freedom; 33.7 is its 0.9999 quantile
    const chi2 = bins.reduce((acc, count) => acc + (count - n / 10) ** 2 / (n / 10), 0);
    expect(chi2).toBeLessThan(33.7);
  });

  it('draws standard normals: mean 0, std 1, 68.3% within one sigma, independent pairs', () => {
    const g = new Generator(31337);
    const n = 100_000;
    const xs = draws(n, () => g.normal());
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    const within = xs.filter((x) => Math.abs(x) < 1).length / n;
    const kurtosis = xs.reduce((a, b) => a + (b - mean) ** 4, 0) / n / std ** 4;
    let pairCov = 0;
    for (let i = 0; i + 1 < n; i += 2) pairCov += xs[i] * xs[i + 1];
    pairCov /= n / 2;
    // standard errors: mean 3.2e-3, std 2.2e-3, fraction 1.5e-3, kurtosis ~0.015, pair covariance 4.5e-3
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(std - 1)).toBeLessThan(0.015);
    expect(Math.abs(within - 0.6827)).toBeLessThan(0.008);
    expect(Math.abs(kurtosis - 3)).toBeLessThan(0.1);
    expect(Math.abs(pairCov)).toBeLessThan(0.025);
  });

  it('draws integers in [low, high) hitting every value', () => {
    const g = new Generator(3);
    const seen = new Set<number>();
    let bad = 0;
    for (let i = 0; i < 10_000; i++) {
      const k = g.integer(-3, 4);
      if (!(Number.isInteger(k) && k >= -3 && k < 4)) bad++;
      seen.add(k);
    }
    expect(bad).toBe(0);
    expect([...seen].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
  });

  it('pins the first values of a seeded stream', () => {
    // These numbers were computed once from this implementation and are pinned on purpose: seeded
    // experiments and checkpoints rely on the stream never changing, on any platform or engine.
    // If this fails after an intentional change to the generator, it is a breaking change.
    // Everything here uses only 32-bit integer arithmetic and IEEE-exact floating-point operations
    // (normals: the polar method with portableLog, no Math.log/sin/cos), so every engine agrees.
    const g = new Generator(42);
    expect(draws(4, () => g.nextUint32())).toEqual([2837322924, 544945897, 479756282, 3500138142]);
    const h = new Generator(42);
    expect(draws(3, () => h.uniform())).toEqual([0.6606157208001621, 0.1117019639532224, 0.0791056456144914]);
    expect(draws(3, () => h.normal())).toEqual([1.5576636023738426, -0.019829215651034723, 0.12320105964170727]);
    expect(Array.from(randn([4], { generator: new Generator(0), dtype: 'float64' }).data)).toEqual([
      0.12177618600477014, 0.49342493394909925, -0.5381877552332646, 1.6753298369058043,
    ]);
    expect(Array.from(randperm(8, { generator: new Generator(0) }).data)).toEqual([1, 4, 3, 2, 5, 6, 0, 7]);
    expect(Array.from(randint(0, 10, [8], { generator: new Generator(0) }).data)).toEqual([8, 0, 0, 0, 6, 9, 4, 7]);
  });
});

describe('global generator and random tensors', () => {
  it('manualSeed resets the global stream', () => {
    manualSeed(123);
    const a = randn([5], { dtype: 'float64' });
    const b = rand([3]);
    manualSeed(123);
    expect(randn([5], { dtype: 'float64' }).data).toEqual(a.data);
    expect(rand([3]).data).toEqual(b.data);
    expect(manualSeed(4)).toBe(defaultGenerator());
    // the global stream is the same as an explicit generator with that seed
    manualSeed(77);
    expect(randn([6], { dtype: 'float64' }).data).toEqual(
      randn([6], { dtype: 'float64', generator: new Generator(77) }).data,
    );
  });

  it('an explicit generator does not advance the global one', () => {
    manualSeed(1);
    const expected = rand([4]).data;
    manualSeed(1);
    rand([100], { generator: new Generator(5) });
    expect(rand([4]).data).toEqual(expected);
  });

  it('rand gives the requested shape and dtype with values in [0, 1)', () => {
    const t = rand([3, 4], { dtype: 'float64', generator: new Generator(0), requiresGrad: true });
    expect(t.shape).toEqual([3, 4]);
    expect(t.dtype).toBe('float64');
    expect(t.requiresGrad).toBe(true);
    expect(Array.from(t.data).every((v) => v >= 0 && v < 1)).toBe(true);
    expect(() => rand([2], { dtype: 'int32' })).toThrow(ValueError);
  });

  it('rand in float32 never returns 1, even when the double draw rounds up to 1 in float32', () => {
    // Craft a state whose first output is 0xffffffff, so uniform() >= 1 - 2^-27, which rounds to
    // exactly 1 in float32 (any double above 1 - 2^-25 does). PyTorch's rand is strictly below 1.
    const all = 0xffffffffn;
    const wanted = (((all * inverseMod32(9n)) & all) >> 7n) | (((all * inverseMod32(9n)) & all) << 25n);
    const s1 = ((wanted & all) * inverseMod32(5n)) & all;
    const g = new Generator().setState({ s: [0, Number(s1), 0, 0], spareNormal: null });
    expect(g.getState().s[1]).toBe(Number(s1));
    const probe = new Generator().setState(g.getState());
    expect(probe.nextUint32()).toBe(0xffffffff);
    const u = rand([1], { generator: g }).data[0];
    expect(u).toBeLessThan(1);
  });

  it('randn has the requested shape and plausible moments', () => {
    const t = randn([200, 50], { generator: new Generator(9) });
    expect(t.shape).toEqual([200, 50]);
    expect(t.dtype).toBe('float32');
    const xs = Array.from(t.data);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
    expect(Math.abs(mean)).toBeLessThan(0.06);
    expect(Math.abs(variance - 1)).toBeLessThan(0.06);
  });

  it('randint stays within [low, high), hits every value, and validates its bounds', () => {
    const t = randint(5, 12, [5000], { generator: new Generator(2) });
    expect(t.dtype).toBe('int32');
    const values = new Set(Array.from(t.data));
    expect([...values].sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(randint(0, 3, [2, 2], { dtype: 'float64' }).dtype).toBe('float64');
    expect(() => randint(3, 3, [2])).toThrow(ValueError);
    expect(() => randint(0, 2.5, [2])).toThrow(/randint/);
  });

  it('randperm is a permutation of 0..n-1 that depends on the seed', () => {
    const p = randperm(100, { generator: new Generator(17) });
    expect(p.dtype).toBe('int32');
    expect(Array.from(p.data).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const q = randperm(100, { generator: new Generator(18) });
    expect(Array.from(q.data)).not.toEqual(Array.from(p.data));
    expect(randperm(0).shape).toEqual([0]);
    expect(Array.from(randperm(1).data)).toEqual([0]);
    expect(() => randperm(-1)).toThrow(ValueError);
  });

  it('randperm is uniform over the permutations of 3 elements', () => {
    const g = new Generator(6);
    const counts = new Map<string, number>();
    const n = 6000;
    for (let i = 0; i < n; i++) {
      const key = Array.from(randperm(3, { generator: g }).data).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    // chi-square with 5 degrees of freedom; 25.7 is its 0.9999 quantile
    const chi2 = [...counts.values()].reduce((acc, c) => acc + (c - n / 6) ** 2 / (n / 6), 0);
    expect(chi2).toBeLessThan(25.7);
  });
});

describe('portableLog', () => {
  it('agrees with Math.log to within one unit in the last place, subnormals included', () => {
    const g = new Generator(7);
    const xs = [1, 2, 0.5, Math.E, 1e-300, 5e-324, 1e300, 0.9999999, 1.0000001, Math.SQRT1_2, Math.SQRT2];
    for (let i = 0; i < 20_000; i++) xs.push(g.uniform() * 1e6, g.uniform() ** 20);
    for (const x of xs) {
      const ulp = Math.max(Math.abs(Math.log(x)) * Number.EPSILON, Number.MIN_VALUE);
      expect(Math.abs(portableLog(x) - Math.log(x))).toBeLessThanOrEqual(ulp);
    }
    expect(portableLog(1)).toBe(0);
    expect(portableLog(2)).toBe(Math.LN2);
  });
});
