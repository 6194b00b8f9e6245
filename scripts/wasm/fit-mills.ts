// Fits the polynomial of the wasm gelu kernels (scripts/wasm/gelu.mjs, MILLS_P): with the Mills ratio
// R(a) = Φ(-a) / φ(a) and u = 1 / (1 + 0.2 a), R(a) = u · P(2u - 1) for a >= 0, P of degree 14 by
// Chebyshev interpolation on u in [0, 1] (R/u is analytic there, including u -> 0 where R ~ 1/a), then
// written in monomials of s = 2u - 1 for Horner's scheme. Prints the coefficients and the largest
// relative error of u · P against R over a in [0, 40].
//
//   npx tsx scripts/wasm/fit-mills.ts
import { erfc } from '../../packages/core/src/kernels/cpu/erf';

const C = 0.2;
const DEGREE = 14;

/** The Mills ratio Φ(-a)/φ(a): from erfc below 20, else from its continued fraction. */
function mills(a: number): number {
  if (a < 20) return 0.5 * erfc(a / Math.SQRT2) * Math.sqrt(2 * Math.PI) * Math.exp(0.5 * a * a);
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + k / f;
  return 1 / f;
}

const n = DEGREE + 1;
const nodes = Array.from({ length: n }, (_, k) => 0.5 + 0.5 * Math.cos((Math.PI * (k + 0.5)) / n));
const values = nodes.map((u) => mills((1 / u - 1) / C) / u);
const cheb = Array.from(
  { length: n },
  (_, j) => (2 / n) * values.reduce((s, v, k) => s + v * Math.cos((Math.PI * j * (k + 0.5)) / n), 0),
);
cheb[0] /= 2;
// Chebyshev polynomials T_j(s) in monomials, summed with the coefficients.
const mono = new Array<number>(n).fill(0);
let prev = [1];
let cur = [0, 1];
for (let j = 0; j < n; j++) {
  let t: number[];
  if (j === 0) t = [1];
  else if (j === 1) t = [0, 1];
  else {
    t = new Array<number>(j + 1).fill(0);
    for (let i = 0; i < cur.length; i++) t[i + 1] += 2 * cur[i];
    for (let i = 0; i < prev.length; i++) t[i] -= prev[i];
    prev = cur;
    cur = t;
  }
  for (let i = 0; i < t.length; i++) mono[i] += cheb[j] * t[i];
}
const horner = (s: number) => mono.reduceRight((p, c) => p * s + c, 0);
let worst = 0;
for (let i = 0; i <= 200000; i++) {
  const a = (i / 200000) ** 2 * 40;
  const u = 1 / (1 + C * a);
  worst = Math.max(worst, Math.abs((u * horner(2 * u - 1)) / mills(a) - 1));
}
console.log(JSON.stringify(mono));
console.log(`largest relative error over [0, 40]: ${worst.toExponential(2)}`);
