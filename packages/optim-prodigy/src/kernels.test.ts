import { describe, expect, it } from 'vitest';
import { fma64 } from './kernels';

/** x = m·2^e with m an integer (exact: doubling a double is exact). */
function decompose(x: number): [bigint, number] {
  let m = x;
  let e = 0;
  while (!Number.isInteger(m)) {
    m *= 2;
    e--;
  }
  return [BigInt(m), e];
}

/** a·b + c rounded once to the nearest double (BigInt arithmetic; Number(bigint) rounds to nearest, ties to even). */
function exactFma(a: number, b: number, c: number): number {
  const [ma, ea] = decompose(a);
  const [mb, eb] = decompose(b);
  const [mc, ec] = decompose(c);
  const e = Math.min(ea + eb, ec);
  const sum = ((ma * mb) << BigInt(ea + eb - e)) + (mc << BigInt(ec - e));
  return Number(sum) * 2 ** e;
}

describe('fma64', () => {
  it('rounds a·b + c once, where a·b then + c rounds twice', () => {
    const a = 1 + 2 ** -30;
    // a² = 1 + 2^-29 + 2^-60: the product alone rounds the 2^-60 away.
    expect(a * a - 1).toBe(2 ** -29);
    expect(fma64(a, a, -1)).toBe(2 ** -29 + 2 ** -60);
  });

  it('equals the correctly rounded a·b + c on random operands', () => {
    let seed = 12345;
    const next = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const value = () => (next() * 2 - 1) * 2 ** Math.floor(next() * 40 - 20);
    let differsFromPlain = 0;
    for (let n = 0; n < 3000; n++) {
      const [a, b] = [value(), value()];
      // Half the time c nearly cancels a·b, where the rounding of the product shows most.
      const c = n % 2 === 0 ? value() : -(a * b) * (1 + (next() - 0.5) * 1e-6);
      const want = exactFma(a, b, c);
      expect(fma64(a, b, c), `fma(${a}, ${b}, ${c})`).toBe(want);
      if (a * b + c !== want) differsFromPlain++;
    }
    expect(differsFromPlain).toBeGreaterThan(10);
  });

  it('passes infinities and NaN through', () => {
    expect(fma64(Number.POSITIVE_INFINITY, 2, 1)).toBe(Number.POSITIVE_INFINITY);
    expect(fma64(1e308, 10, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(fma64(Number.NaN, 1, 1)).toBeNaN();
  });
});
