import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TypedArray } from '../../dtype';
import { ValueError } from '../../errors';
import { adagradUpdateKernel, adamUpdateKernel, rmspropUpdateKernel, sgdUpdateKernel } from '../../kernels/cpu/optim';
import { getBackend, resolveKernel, setBackend } from '../../kernels/registry';
import { getWasmRuntime, initWasmBackend } from './index';
import type { WasmRuntime } from './runtime';
import { lcgValues } from './test-utils';

// The fused optimizer updates of the wasm backend against (1) an emulation of their f32 formulas in
// JavaScript, with Math.fround after every operation: wasm's f32 operations are correctly rounded and
// never fused, so the SIMD kernels must match it bit for bit; and (2) the cpu kernels, which compute in
// doubles and round once per stored value: the emulation must stay within a few float32 ulps of them.
// The hyperparameters are large (eps 0.1, weight decay 0.3, ...) so that every term of every formula
// moves the results by far more than the tolerance.

const f = Math.fround;

let rt: WasmRuntime;
const blocks: [number, number][] = [];

/**
 * A float32 array of `values` living in wasm memory; every other one starts 4 bytes into its block,
 * so that the vector loops also meet addresses that are not multiples of 16.
 */
function resident(values: Float32Array): Float32Array {
  const shift = blocks.length % 2 === 1 ? 4 : 0;
  const bytes = values.length * 4 + 4;
  const ptr = rt.heap.alloc(bytes);
  blocks.push([ptr, bytes]);
  const view = new Float32Array(rt.heap.memory.buffer, ptr + shift, values.length);
  view.set(values);
  return view;
}

/** The arrays of one update: the parameter, its gradient and its state, by name (null = not used). */
type Arrays = Record<string, Float32Array | null>;

interface UpdateCase {
  label: string;
  /** State arrays and whether each starts at zero (else at random non-negative values). */
  state: Record<string, 'zero' | 'positive'>;
  /** Run the kernel under test (cpu or wasm) on the arrays, for step `t` (from 1). */
  run: (kernel: 'cpu' | 'wasm', a: Arrays, t: number) => void;
  /** The f32 emulation of the wasm formula, in place on the arrays. */
  emulate: (a: Arrays, t: number) => void;
}

const at = (a: Arrays, name: string) => a[name] as Float32Array;

function adamCase(amsgrad: boolean, wd: number, decoupled: boolean, maximize: boolean): UpdateCase {
  const lr = 0.1;
  const b1 = 0.8;
  const b2 = 0.9;
  const eps = 0.1;
  return {
    label: `adam amsgrad=${amsgrad} wd=${wd} decoupled=${decoupled} maximize=${maximize}`,
    state: amsgrad ? { m: 'zero', v: 'zero', vmax: 'zero' } : { m: 'zero', v: 'zero' },
    run: (kernel, a, t) => {
      const k = kernel === 'cpu' ? adamUpdateKernel : resolveKernel('adamUpdate', adamUpdateKernel);
      k(at(a, 'p'), at(a, 'g'), at(a, 'm'), at(a, 'v'), a.vmax ?? null, t, lr, b1, b2, eps, wd, decoupled, maximize);
    },
    emulate: (a, t) => {
      const [p, g, m, v, vmax] = [at(a, 'p'), at(a, 'g'), at(a, 'm'), at(a, 'v'), a.vmax ?? null];
      const [fwd, fb1, fc1, fb2, fc2] = [f(wd), f(b1), f(1 - b1), f(b2), f(1 - b2)];
      // The bias corrections outside the division: ε·√bc2 and -lr·√bc2/bc1 (scripts/wasm/optim.mjs).
      const sqrtBc2 = Math.sqrt(1 - b2 ** t);
      const [epsHat, k, nwd] = [f(eps * sqrtBc2), f((-lr * sqrtBc2) / (1 - b1 ** t)), f(-lr * wd)];
      for (let j = 0; j < p.length; j++) {
        const pj = p[j];
        let gj = maximize ? f(-1 * g[j]) : g[j];
        if (wd !== 0 && !decoupled) gj = f(gj + f(fwd * pj));
        const mj = f(f(fb1 * m[j]) + f(fc1 * gj));
        m[j] = mj;
        let vj = f(f(fb2 * v[j]) + f(f(fc2 * gj) * gj));
        v[j] = vj;
        if (vmax !== null) {
          vj = Math.max(vmax[j], vj);
          vmax[j] = vj;
        }
        let u = f(f(mj / f(f(Math.sqrt(vj)) + epsHat)) * k);
        if (wd !== 0 && decoupled) u = f(u + f(nwd * pj));
        p[j] = f(pj + u);
      }
    },
  };
}

function sgdCase(momentum: number, dampening: number, wd: number, nesterov: boolean, maximize: boolean): UpdateCase {
  const lr = 0.1;
  return {
    label: `sgd momentum=${momentum} dampening=${dampening} wd=${wd} nesterov=${nesterov} maximize=${maximize}`,
    state: momentum > 0 ? { buf: 'zero' } : {},
    run: (kernel, a, t) => {
      const k = kernel === 'cpu' ? sgdUpdateKernel : resolveKernel('sgdUpdate', sgdUpdateKernel);
      k(at(a, 'p'), at(a, 'g'), a.buf ?? null, t === 1, lr, momentum, dampening, wd, nesterov, maximize);
    },
    emulate: (a, t) => {
      const [p, g, buf] = [at(a, 'p'), at(a, 'g'), a.buf ?? null];
      const sign = maximize ? -1 : 1;
      const [fwd, fm, keep, nlr] = [f(wd), f(momentum), f(1 - dampening), f(-lr)];
      for (let j = 0; j < p.length; j++) {
        const pj = p[j];
        let gj = f(sign * g[j]);
        if (wd !== 0) gj = f(gj + f(fwd * pj));
        let d = gj;
        if (buf !== null) {
          const b = t === 1 ? gj : f(f(fm * buf[j]) + f(keep * gj));
          buf[j] = b;
          d = nesterov ? f(gj + f(fm * b)) : b;
        }
        p[j] = f(pj + f(d * nlr));
      }
    },
  };
}

function rmspropCase(centered: boolean, momentum: number, wd: number, maximize: boolean): UpdateCase {
  const lr = 0.1;
  const alpha = 0.9;
  const eps = 0.1;
  const state: UpdateCase['state'] = { sq: 'zero' };
  if (centered) state.ga = 'zero';
  if (momentum > 0) state.buf = 'zero';
  return {
    label: `rmsprop centered=${centered} momentum=${momentum} wd=${wd} maximize=${maximize}`,
    state,
    run: (kernel, a) => {
      const k = kernel === 'cpu' ? rmspropUpdateKernel : resolveKernel('rmspropUpdate', rmspropUpdateKernel);
      k(at(a, 'p'), at(a, 'g'), at(a, 'sq'), a.ga ?? null, a.buf ?? null, lr, alpha, eps, wd, momentum, maximize);
    },
    emulate: (a) => {
      const [p, g, sq, ga, buf] = [at(a, 'p'), at(a, 'g'), at(a, 'sq'), a.ga ?? null, a.buf ?? null];
      const sign = maximize ? -1 : 1;
      const [fwd, fa, decay, feps, fm, nlr] = [f(wd), f(alpha), f(1 - alpha), f(eps), f(momentum), f(-lr)];
      for (let j = 0; j < p.length; j++) {
        const pj = p[j];
        let gj = f(sign * g[j]);
        if (wd !== 0) gj = f(gj + f(fwd * pj));
        const s = f(f(fa * sq[j]) + f(f(decay * gj) * gj));
        sq[j] = s;
        let root = f(Math.sqrt(s));
        if (ga !== null) {
          const avg = f(f(fa * ga[j]) + f(decay * gj));
          ga[j] = avg;
          root = f(Math.sqrt(f(s - f(avg * avg))));
        }
        let d = f(gj / f(root + feps));
        if (buf !== null) {
          d = f(f(fm * buf[j]) + d);
          buf[j] = d;
        }
        p[j] = f(pj + f(d * nlr));
      }
    },
  };
}

function adagradCase(lrDecay: number, wd: number, maximize: boolean): UpdateCase {
  const lr = 0.1;
  const eps = 0.1;
  return {
    label: `adagrad lrDecay=${lrDecay} wd=${wd} maximize=${maximize}`,
    state: { sum: 'positive' },
    run: (kernel, a, t) => {
      const k = kernel === 'cpu' ? adagradUpdateKernel : resolveKernel('adagradUpdate', adagradUpdateKernel);
      k(at(a, 'p'), at(a, 'g'), at(a, 'sum'), t, lr, lrDecay, eps, wd, maximize);
    },
    emulate: (a, t) => {
      const [p, g, sum] = [at(a, 'p'), at(a, 'g'), at(a, 'sum')];
      const sign = maximize ? -1 : 1;
      const [fwd, clr, feps, nlr] = [f(wd), f(1 / (1 + (t - 1) * lrDecay)), f(eps), f(-lr)];
      for (let j = 0; j < p.length; j++) {
        const pj = p[j];
        let gj = f(sign * g[j]);
        if (wd !== 0) gj = f(gj + f(fwd * pj));
        const s = f(sum[j] + f(gj * gj));
        sum[j] = s;
        const d = f(f(clr * gj) / f(f(Math.sqrt(s)) + feps));
        p[j] = f(pj + f(d * nlr));
      }
    },
  };
}

const cases: UpdateCase[] = [];
for (const amsgrad of [false, true])
  for (const [wd, decoupled] of [
    [0, false],
    [0.3, false],
    [0.3, true],
  ] as const)
    for (const maximize of [false, true]) cases.push(adamCase(amsgrad, wd, decoupled, maximize));
for (const [momentum, dampening, nesterov] of [
  [0, 0, false],
  [0.8, 0, false],
  [0.8, 0.3, false],
  [0.8, 0, true],
] as const)
  for (const wd of [0, 0.3])
    for (const maximize of [false, true]) cases.push(sgdCase(momentum, dampening, wd, nesterov, maximize));
for (const centered of [false, true])
  for (const momentum of [0, 0.8])
    for (const wd of [0, 0.3])
      for (const maximize of [false, true]) cases.push(rmspropCase(centered, momentum, wd, maximize));
for (const lrDecay of [0, 0.2])
  for (const wd of [0, 0.3]) for (const maximize of [false, true]) cases.push(adagradCase(lrDecay, wd, maximize));

/** Fresh arrays for `c`: the parameter, a gradient (replaced each step) and the state. */
function freshArrays(c: UpdateCase, n: number, seed: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = { p: lcgValues(n, seed), g: lcgValues(n, seed + 1, -0.5, 0.5) };
  let k = 2;
  for (const [name, start] of Object.entries(c.state))
    out[name] = start === 'zero' ? new Float32Array(n) : lcgValues(n, seed + k++, 0, 0.5);
  return out;
}

function copyArrays(a: Record<string, Float32Array>, place: (x: Float32Array) => Float32Array): Arrays {
  const out: Arrays = {};
  for (const [k, v] of Object.entries(a)) out[k] = place(v.slice());
  return out;
}

/** The largest |x - y| relative to max(scale, max |y|) over the arrays. */
function relDiff(x: TypedArray, y: TypedArray, scale: number): number {
  let err = 0;
  let top = scale;
  for (let i = 0; i < y.length; i++) {
    err = Math.max(err, Math.abs(x[i] - y[i]));
    top = Math.max(top, Math.abs(y[i]));
  }
  return err / top;
}

const STEPS = 6;

// Errors are measured relative to the size of the terms that make up each array: parameters and
// momentum buffers are sums of O(1) terms of both signs (so an element near 0 can be the difference
// of two large ones), averages of the gradient are sums of O(0.1) terms, and the accumulators of
// squares (v, vmax, sq, sum) are sums of positive terms, compared relative to their own largest element.
const SCALE: Record<string, number> = { p: 1, buf: 1, m: 0.1, ga: 0.1 };

describe('wasm fused optimizer updates', () => {
  let previous = 'cpu';
  beforeAll(async () => {
    previous = getBackend();
    expect(await initWasmBackend()).toBe(true);
    const runtime = getWasmRuntime();
    if (runtime === null) throw new Error('no wasm runtime');
    rt = runtime;
    setBackend('wasm');
  });
  afterAll(() => {
    for (const [ptr, bytes] of blocks) rt.heap.release(ptr, bytes);
    setBackend(previous);
  });

  it('registers a wasm kernel for each update', () => {
    setBackend('wasm');
    expect(resolveKernel('adamUpdate', adamUpdateKernel)).not.toBe(adamUpdateKernel);
    expect(resolveKernel('sgdUpdate', sgdUpdateKernel)).not.toBe(sgdUpdateKernel);
    expect(resolveKernel('rmspropUpdate', rmspropUpdateKernel)).not.toBe(rmspropUpdateKernel);
    expect(resolveKernel('adagradUpdate', adagradUpdateKernel)).not.toBe(adagradUpdateKernel);
  });

  it(`covers ${cases.length} option combinations`, () => {
    expect(cases.length).toBe(12 + 16 + 16 + 8);
  });

  for (const c of cases)
    it(`${c.label}: resident arrays match the f32 formula exactly and the cpu kernel within float32 rounding`, () => {
      setBackend('wasm');
      for (const n of [1, 3, 4, 5, 17, 1003]) {
        const init = freshArrays(c, n, 7 * n + 1);
        const wasm = copyArrays(init, resident);
        const emul = copyArrays(init, (x) => x);
        const cpu = copyArrays(init, (x) => x);
        for (let t = 1; t <= STEPS; t++) {
          const g = lcgValues(n, 1000 * t + n, -0.5, 0.5);
          for (const a of [wasm, emul, cpu]) at(a, 'g').set(g);
          c.run('wasm', wasm, t);
          c.emulate(emul, t);
          c.run('cpu', cpu, t);
          for (const name of Object.keys(init)) {
            const where = `${c.label}, n=${n}, step ${t}, ${name}`;
            expect(Array.from(at(wasm, name)), where).toEqual(Array.from(at(emul, name)));
            expect(relDiff(at(emul, name), at(cpu, name), SCALE[name] ?? 0), where).toBeLessThan(2e-6);
          }
        }
        // The run moved the parameter by far more than the tolerance.
        expect(relDiff(at(wasm, 'p'), init.p, 1)).toBeGreaterThan(1e-3);
      }
    });

  it('runs the cpu kernel (bit for bit) when an array is not in wasm memory or not float32', () => {
    setBackend('wasm');
    const wasmAdam = resolveKernel('adamUpdate', adamUpdateKernel);
    const n = 37;
    for (const layout of ['js', 'state-in-js', 'float64'] as const) {
      const make = (seed: number, lo = -1, hi = 1): TypedArray => {
        const v = lcgValues(n, seed, lo, hi);
        if (layout === 'float64') return Float64Array.from(v);
        return layout === 'state-in-js' && seed < 100 ? resident(v) : v;
      };
      const a = [make(1), make(2), make(300, 0, 0.1), make(301, 0, 0.1)];
      const b = a.map((x) => x.slice());
      wasmAdam(a[0], a[1], a[2], a[3], null, 3, 0.1, 0.8, 0.9, 0.1, 0.3, false, true);
      adamUpdateKernel(b[0], b[1], b[2], b[3], null, 3, 0.1, 0.8, 0.9, 0.1, 0.3, false, true);
      for (let i = 0; i < 4; i++) expect(Array.from(a[i]), `${layout} array ${i}`).toEqual(Array.from(b[i]));
    }
  });

  it('rejects arrays of different lengths, naming the argument', () => {
    setBackend('wasm');
    const p = resident(new Float32Array(8));
    const g = resident(new Float32Array(8));
    const sum = resident(new Float32Array(7));
    const kernel = resolveKernel('adagradUpdate', adagradUpdateKernel);
    expect(() => kernel(p, g, sum, 1, 0.1, 0, 1e-10, 0, false)).toThrow(ValueError);
    expect(() => kernel(p, g, sum, 1, 0.1, 0, 1e-10, 0, false)).toThrow(
      'adagradUpdateKernel: sum has 7 elements, param has 8',
    );
  });

  it('names an update the module does not have (the runtime looks each one up once, by family and flags)', () => {
    expect(() => rt.update('adam', 999, [], 0, [])).toThrow('WasmRuntime.update: no update opt_adam_999');
    expect(() => rt.update('lion', 0, [], 0, [])).toThrow('WasmRuntime.update: no update opt_lion_0');
  });
});
