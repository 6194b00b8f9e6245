// The ticks of a chart's axes: linear ("nice" 1-2-5 steps), log (powers of ten) and symmetric log, and
// how their values are written.

/**
 * Format a tick value briefly, to 3 significant digits: `0.5`, `2500`; below 0.001 or from a million on
 * in exponent form (`5e-4`), and from 10 000 to a million in thousands (`25k`).
 *
 * @example
 * ```ts
 * formatTick(0.001); // '0.001'
 * formatTick(0.0005); // '5e-4'
 * formatTick(2500); // '2500'
 * formatTick(25000); // '25k'
 * ```
 */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 && a < 1e6) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a >= 1e6 || a < 1e-3) {
    const [m, e] = v.toExponential(2).split('e');
    return `${+m}e${+e}`;
  }
  return `${+v.toPrecision(3)}`;
}

/**
 * "Nice" tick values covering `[lo, hi]`, about `count` of them, at multiples of 1, 2 or 5 times a
 * power of ten.
 *
 * @example
 * ```ts
 * niceTicks(0, 0.93, 5); // [0, 0.2, 0.4, 0.6, 0.8, 1]
 * ```
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let t = start; t <= hi + step * 1e-9 + step; t += step) {
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : +t.toPrecision(12));
    if (t >= hi - step * 1e-9) break;
  }
  return ticks;
}

/**
 * Ticks for a log axis over `[lo, hi]` (both > 0): the powers of ten inside it, thinned to about 8;
 * with fewer than three, the 1-2-5 multiples; in a range narrower than that, plain "nice" ticks.
 */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.ceil(Math.log10(lo) - 1e-9);
  const b = Math.floor(Math.log10(hi) + 1e-9);
  const stride = Math.max(1, Math.ceil((b - a + 1) / 8));
  const powers: number[] = [];
  for (let e = a; e <= b; e += stride) powers.push(10 ** e);
  if (powers.length >= 3) return powers;
  const multiples: number[] = [];
  for (let e = a - 1; e <= b; e++)
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** e;
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) multiples.push(+t.toPrecision(12));
    }
  if (multiples.length >= 2) return multiples;
  return niceTicks(lo, hi, 5).filter((t) => t >= lo && t <= hi && t > 0);
}

/** Ticks for a symmetric log axis: 0 and signed powers of ten (from 1) reaching past `[lo, hi]`, about 9 in all. */
export function symlogTicks(lo: number, hi: number): number[] {
  const reach = (v: number) => (v > 0 ? Math.max(0, Math.ceil(Math.log10(v) - 1e-9)) : -1);
  const up = reach(hi);
  const down = reach(-lo);
  const stride = Math.max(1, Math.ceil((up + down + 2) / 9));
  const side = (top: number) => {
    const out: number[] = [];
    if (top < 0) return out;
    let e = 0;
    for (; e < top; e += stride) out.push(10 ** e);
    out.push(10 ** e);
    return out;
  };
  return [
    ...side(down)
      .map((t) => -t)
      .reverse(),
    0,
    ...side(up),
  ];
}

/** `[lo, hi]` (both > 0) padded by 4% of its span in log space (at least 0.1 decades). */
export function padLog(lo: number, hi: number): [number, number] {
  const span = Math.max(Math.log10(hi) - Math.log10(lo), 0.1);
  return [10 ** (Math.log10(lo) - span * 0.04), 10 ** (Math.log10(hi) + span * 0.04)];
}
