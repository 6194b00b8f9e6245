import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  geluBackwardKernel,
  geluKernel,
  reluBackwardBiasKernel,
  thresholdBackwardKernel,
} from '../../kernels/cpu/activations';
import { attentionSoftmaxKernel } from '../../kernels/cpu/attention';
import { layerNormBackwardKernel, layerNormKernel } from '../../kernels/cpu/layer-norm';
import { sumKernel } from '../../kernels/cpu/reduce';
import { getBackend, type Kernel, resolveKernel, setBackend } from '../../kernels/registry';
import { getWasmRuntime, initWasmBackend } from './index';
import { NN_LIMITS } from './nn-kernels';
import { lcgValues, maxUlps, placeOperand, relDiff } from './test-utils';

/**
 * The largest distance in ulps between `x` and `y`, not counting elements within `slack[i]` of each
 * other (where the cpu kernel's own float64 rounding is that coarse).
 */
function maxUlpsBeyond(x: ArrayLike<number>, y: ArrayLike<number>, slack: (i: number) => number): number {
  let worst = 0;
  for (let i = 0; i < y.length; i++) {
    if (Math.abs(x[i] - y[i]) <= slack(i)) continue;
    worst = Math.max(worst, maxUlps([x[i]], [y[i]]));
  }
  return worst;
}

// Each case runs with its operands in wasm memory (used in place) and as JavaScript arrays (copied).
type Mode = 'resident' | 'copy';
const MODES: Mode[] = ['resident', 'copy'];

describe('wasm network kernels (gelu, layer norm, attention softmax)', () => {
  const blocks: [number, number][] = [];
  const savedMin = NN_LIMITS.minElements;
  let previous = 'cpu';

  beforeAll(async () => {
    previous = getBackend();
    expect(await initWasmBackend()).toBe(true);
    NN_LIMITS.minElements = 1;
  });
  afterEach(() => {
    const heap = getWasmRuntime()?.heap;
    for (const [ptr, bytes] of blocks.splice(0)) heap?.release(ptr, bytes);
  });
  afterAll(() => {
    NN_LIMITS.minElements = savedMin;
    setBackend(previous);
  });

  /** A float32 array holding `data`, in wasm memory for the resident mode. */
  function place(data: Float32Array, mode: Mode): Float32Array {
    const heap = getWasmRuntime()?.heap;
    if (!heap) throw new Error('no wasm runtime');
    const arr = placeOperand(heap, data, mode, blocks);
    if (mode === 'resident') expect(heap.pointerOf(arr)).toBe(blocks[blocks.length - 1][0]);
    return arr;
  }

  function wasm<K extends Kernel>(name: string, cpu: K): K {
    setBackend('wasm');
    const kernel = resolveKernel(name, cpu);
    setBackend(previous);
    expect(kernel).not.toBe(cpu);
    return kernel;
  }

  // Values over the whole range that matters (gelu underflows past -14 and is x past 6), the specials,
  // and every float32 between two close points around 0 and -3.
  function geluInputs(): Float32Array {
    const xs: number[] = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1e-45, -1e-45, 1e-20];
    const wide = lcgValues(20000, 5, -20, 20);
    for (const v of wide) xs.push(v);
    for (let i = 0; i < 2000; i++) xs.push(Math.fround(-3 + i * 2 ** -21), Math.fround(i * 2 ** -30));
    return Float32Array.from(xs);
  }

  for (const tanh of [false, true])
    for (const mode of MODES)
      it(`gelu${tanh ? ' (tanh)' : ''} and its gradient match the cpu kernels within 1 ulp (${mode})`, () => {
        const x = geluInputs();
        const g = lcgValues(x.length, 7, -3, 3);
        const want = new Float32Array(x.length);
        geluKernel(x, want, tanh);
        const got = place(new Float32Array(x.length).fill(99), mode);
        wasm('gelu', geluKernel)(place(x, mode), got, tanh);
        // The tanh form's 1 + tanh(u) cancels for x below about -4: its float64 value is a multiple of
        // 2^-53, from the cpu's Math.tanh and from the wasm tanh alike, so there they agree to that step.
        // (The gradient's 1 - tanh² likewise, times up to 0.5 |x| k (1 + 3c x²) <= (1 + |x|)³.)
        const slack = (i: number) => (tanh ? Math.abs(x[i]) * 2 ** -50 : 0);
        expect(maxUlpsBeyond(got, want, slack)).toBeLessThanOrEqual(1);
        const wantG = new Float32Array(x.length);
        geluBackwardKernel(g, x, wantG, tanh);
        const gotG = place(new Float32Array(x.length).fill(99), mode);
        wasm('geluBackward', geluBackwardKernel)(place(g, mode), place(x, mode), gotG, tanh);
        const slackG = (i: number) => (tanh ? Math.abs(g[i]) * (1 + Math.abs(x[i])) ** 3 * 2 ** -50 : 0);
        expect(maxUlpsBeyond(gotG, wantG, slackG)).toBeLessThanOrEqual(1);
      });

  for (const mode of MODES)
    for (const [rows, n] of [
      [1, 4],
      [37, 128],
      [5, 36],
    ])
      for (const affine of [0, 1, 2, 3])
        it(`layer norm forward and backward match the cpu kernels: ${rows} rows of ${n}, affine ${affine} (${mode})`, () => {
          const x = lcgValues(rows * n, rows + n, -4, 6);
          // One row of large close values and one constant row, where cancellation would show.
          if (rows > 2) {
            for (let j = 0; j < n; j++) x[n + j] = 1000 + j * 0.01;
            x.fill(2.5, 2 * n, 3 * n);
          }
          const w = affine & 1 ? lcgValues(n, 3, 0.5, 1.5) : null;
          const b = affine & 2 ? lcgValues(n, 4, -1, 1) : null;
          const want = new Float32Array(rows * n);
          layerNormKernel(x, w, b, rows, n, 1e-5, want);
          const got = place(new Float32Array(rows * n).fill(99), mode);
          const pw = w && place(w, mode);
          const pb = b && place(b, mode);
          wasm('layerNorm', layerNormKernel)(place(x, mode), pw, pb, rows, n, 1e-5, got);
          expect(maxUlps(got, want)).toBeLessThanOrEqual(2);

          const g = lcgValues(rows * n, 11, -1, 1);
          const [dx, dw, db] = [new Float32Array(rows * n), new Float32Array(n), new Float32Array(n)];
          layerNormBackwardKernel(g, x, w, rows, n, 1e-5, dx, w && dw, b && db);
          const gdx = place(new Float32Array(rows * n).fill(99), mode);
          const gdw = place(new Float32Array(n).fill(99), mode);
          const gdb = place(new Float32Array(n).fill(99), mode);
          wasm('layerNormBackward', layerNormBackwardKernel)(
            place(g, mode),
            place(x, mode),
            pw,
            rows,
            n,
            1e-5,
            gdx,
            w && gdw,
            b && gdb,
          );
          // dx sums n terms per row (1 ulp of a sum can be many of a small result): relative to the row scale.
          expect(relDiff(gdx, dx)).toBeLessThan(1e-6);
          if (w) expect(relDiff(gdw, dw)).toBeLessThan(1e-6);
          else expect(gdw.every((v) => v === 99)).toBe(true);
          if (b) expect(relDiff(gdb, db)).toBeLessThan(1e-6);
        });

  it('layer norm on rows whose length is not a multiple of 4 runs the cpu kernel (same bits)', () => {
    const x = lcgValues(3 * 5, 2);
    const want = new Float32Array(15);
    layerNormKernel(x, null, null, 3, 5, 1e-5, want);
    const got = new Float32Array(15);
    wasm('layerNorm', layerNormKernel)(x, null, null, 3, 5, 1e-5, got);
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  for (const mode of MODES)
    for (const causal of [false, true])
      for (const withBias of [false, true])
        it(`attention softmax matches the cpu kernel: causal ${causal}, bias ${withBias} (${mode})`, () => {
          const [batch, l, s] = [3, 6, 8];
          const x = lcgValues(batch * l * s, 21, -30, 30);
          let bias: Float32Array | null = null;
          if (withBias) {
            bias = lcgValues(batch * l * s, 22, -2, 2);
            // Masked keys, and one row masked entirely (NaN, as PyTorch's math path).
            for (let i = 0; i < bias.length; i += 5) bias[i] = Number.NEGATIVE_INFINITY;
            bias.fill(Number.NEGATIVE_INFINITY, s, 2 * s);
          }
          const want = new Float32Array(x.length);
          attentionSoftmaxKernel(x, bias, batch * l, l, s, 0.3, causal, want);
          const got = place(new Float32Array(x.length).fill(99), mode);
          wasm('attentionSoftmax', attentionSoftmaxKernel)(
            place(x, mode),
            bias && place(bias, mode),
            batch * l,
            l,
            s,
            0.3,
            causal,
            got,
          );
          expect(maxUlps(got, want)).toBeLessThanOrEqual(1);
          // Query 2 attends to keys 0..2 only.
          if (causal) for (let j = 3; j < s; j++) expect(got[2 * s + j]).toBe(0);
          if (withBias) expect(Number.isNaN(got[s])).toBe(true);
          // In place, as the op calls it.
          const inPlace = place(x, mode);
          wasm('attentionSoftmax', attentionSoftmaxKernel)(inPlace, bias, batch * l, l, s, 0.3, causal, inPlace);
          expect(maxUlps(inPlace, want)).toBeLessThanOrEqual(1);
        });

  for (const mode of MODES)
    it(`reluBackwardBias (${mode}): the bits of thresholdBackward then the sum over rows (the wasm kernels)`, () => {
      for (const [rows, n] of [
        [1, 4],
        [7, 12],
        [128, 256],
        [33, 20],
        [5, 6], // not a multiple of 4: the two kernels
      ]) {
        const g = lcgValues(rows * n, 31 + n, -3, 3);
        const y = lcgValues(rows * n, 41 + n, -1, 1);
        // Zeros of both signs, NaN and infinities in the output and in the gradient.
        y[0] = 0;
        g[1] = -0;
        y[1] = 1;
        if (y.length > 4) {
          y[2] = Number.NaN;
          y[3] = -0;
          g[4] = Number.NaN;
          y[4] = 2;
        }
        const wantDz = new Float32Array(rows * n);
        const wantDb = new Float32Array(n);
        wasm('thresholdBackward', thresholdBackwardKernel)(g, y, wantDz, 0);
        wasm('sum', sumKernel)(wantDz, [rows, n], [0], wantDb);
        // The cpu kernel's own results, too.
        const cpuDz = new Float32Array(rows * n);
        const cpuDb = new Float32Array(n);
        reluBackwardBiasKernel(g, y, cpuDz, rows, n, cpuDb);
        const dz = place(new Float32Array(rows * n).fill(99), mode);
        const db = new Float32Array(n).fill(99);
        wasm('reluBackwardBias', reluBackwardBiasKernel)(place(g, mode), place(y, mode), dz, rows, n, db);
        expect(Array.from(dz), `${rows}x${n} dz`).toEqual(Array.from(wantDz));
        expect(Array.from(db), `${rows}x${n} db`).toEqual(Array.from(wantDb));
        expect(Array.from(cpuDz)).toEqual(Array.from(wantDz));
        expect(Array.from(cpuDb)).toEqual(Array.from(wantDb));
        expect(Object.is(dz[1], -0)).toBe(true);
        if (y.length > 4) expect(Number.isNaN(dz[4])).toBe(true);
        // A NaN output passes the gradient on (PyTorch's threshold_backward zeroes only where y <= 0).
        if (y.length > 4) expect(dz[2]).toBe(g[2]);
      }
    });
});
