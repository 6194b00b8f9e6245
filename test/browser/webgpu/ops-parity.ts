// Ops on the webgpu backend against the cpu backend, through the public API: each case builds its inputs
// from seeded values on both backends, runs the op, and takes the gradient of a weighted sum of its output
// (weights seeded too) with respect to every float input. The page reports the largest difference of the
// output and of the gradients, relative to max(1, |cpu value|), or the error the webgpu run threw.

import {
  add,
  avgPool2d,
  cast,
  cat,
  conv2d,
  div,
  exp,
  gather,
  gelu,
  getWebGpuStats,
  indexSelect,
  layerNorm,
  log,
  logSoftmax,
  logsumexp,
  matmul,
  max,
  maxPool2d,
  maxPool2dWithIndices,
  maxUnpool2d,
  mean,
  mul,
  noGrad,
  norm,
  pad,
  permute,
  relu,
  scaledDotProductAttention,
  setBackend,
  sigmoid,
  slice,
  softmax,
  split,
  sqrt,
  stack,
  sub,
  sum,
  syncWebGpuToHost,
  type Tensor,
  tanh,
  tensor,
  transpose,
  variance,
  where,
} from '../../../packages/core/src/index';
import { F } from '../../../packages/nn/src/index';
import { Rng } from './checker';

/** One op's comparison. */
export interface ParityCase {
  name: string;
  /** Largest relative difference of the output, and of any input's gradient. */
  outputError: number;
  gradError: number;
  /** What the webgpu run threw, if it did. */
  error?: string;
  /** For the last entry: deferred calls and cpu fallbacks by kernel over all cases. */
  counts?: { deferred: number; fallbacks: Record<string, number> };
}

/** An input: float32 values in [lo, hi) (with gradients), or int32 indices below `below`. */
type InputSpec = { shape: number[]; lo?: number; hi?: number } | { shape: number[]; below: number };

interface OpSpecCase {
  name: string;
  inputs: InputSpec[];
  fn: (...xs: Tensor[]) => Tensor;
}

const CASES: OpSpecCase[] = [
  { name: 'add, broadcast rows', inputs: [{ shape: [7, 33] }, { shape: [33] }], fn: (a, b) => add(a, b) },
  { name: 'sub, broadcast columns', inputs: [{ shape: [7, 33] }, { shape: [7, 1] }], fn: (a, b) => sub(a, b) },
  { name: 'mul', inputs: [{ shape: [5, 9] }, { shape: [5, 9] }], fn: (a, b) => mul(a, b) },
  { name: 'div', inputs: [{ shape: [5, 9] }, { shape: [5, 9], lo: 1, hi: 2 }], fn: (a, b) => div(a, b) },
  { name: 'exp, log, sqrt', inputs: [{ shape: [65], lo: 0.5, hi: 2 }], fn: (x) => add(exp(x), sqrt(log(x).add(1))) },
  { name: 'tanh, sigmoid, gelu', inputs: [{ shape: [4, 17] }], fn: (x) => tanh(x).add(sigmoid(x)).add(gelu(x)) },
  { name: 'relu', inputs: [{ shape: [4, 17] }], fn: (x) => relu(x) },
  { name: 'matmul, batched', inputs: [{ shape: [3, 5, 7] }, { shape: [7, 4] }], fn: (a, b) => matmul(a, b) },
  { name: 'sum over an axis', inputs: [{ shape: [6, 7, 8] }], fn: (x) => sum(x, 1) },
  { name: 'mean over all', inputs: [{ shape: [6, 7] }], fn: (x) => mean(x).reshape([1]) },
  { name: 'max over an axis', inputs: [{ shape: [6, 7] }], fn: (x) => max(x, 1) },
  { name: 'softmax, logSoftmax', inputs: [{ shape: [5, 11] }], fn: (x) => softmax(x, -1).add(logSoftmax(x, -1)) },
  { name: 'softmax over the first axis', inputs: [{ shape: [5, 11] }], fn: (x) => softmax(x, 0) },
  { name: 'logsumexp', inputs: [{ shape: [5, 11] }], fn: (x) => logsumexp(x, 1) },
  { name: 'variance', inputs: [{ shape: [5, 11] }], fn: (x) => variance(x, 1) },
  { name: 'norm', inputs: [{ shape: [5, 11] }], fn: (x) => norm(x).reshape([1]) },
  { name: 'transpose, permute', inputs: [{ shape: [2, 3, 4] }], fn: (x) => permute(transpose(x, 0, 1), [2, 0, 1]) },
  {
    name: 'slice',
    inputs: [{ shape: [6, 9] }],
    fn: (x) =>
      slice(x, [
        [1, 5],
        [0, 9, 2],
      ]),
  },
  {
    name: 'cat, stack',
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
    fn: (a, b) => cat([stack([a, b]), stack([b, a])], 1),
  },
  { name: 'pad', inputs: [{ shape: [3, 4] }], fn: (x) => pad(x, [1, 2, 0, 1]) },
  { name: 'where', inputs: [{ shape: [3, 4] }, { shape: [3, 4] }], fn: (a, b) => where(a.gt(0), a, b) },
  { name: 'indexSelect', inputs: [{ shape: [6, 5] }, { shape: [4], below: 6 }], fn: (x, i) => indexSelect(x, 0, i) },
  { name: 'gather', inputs: [{ shape: [6, 5] }, { shape: [6, 2], below: 5 }], fn: (x, i) => gather(x, 1, i) },
  { name: 'embedding', inputs: [{ shape: [4, 6], below: 9 }, { shape: [9, 16] }], fn: (i, w) => F.embedding(i, w) },
  {
    name: 'embedding, padding row',
    inputs: [{ shape: [12], below: 5 }, { shape: [5, 3] }],
    fn: (i, w) => F.embedding(i, w, { paddingIdx: 1 }),
  },
  {
    name: 'scaledDotProductAttention, causal',
    inputs: [{ shape: [2, 3, 5, 8] }, { shape: [2, 3, 5, 8] }, { shape: [2, 3, 5, 4] }],
    fn: (q, k, v) => scaledDotProductAttention(q, k, v, { isCausal: true }),
  },
  { name: 'layerNorm without weight or bias', inputs: [{ shape: [3, 5, 7] }], fn: (x) => layerNorm(x, [7]) },
  { name: 'layerNorm, weight only', inputs: [{ shape: [6, 9] }, { shape: [9] }], fn: (x, w) => layerNorm(x, [9], w) },
  {
    name: 'split, permute',
    inputs: [{ shape: [4, 12] }],
    fn: (x) =>
      cat(
        split(x, 4, 1).map((z) => permute(z, [1, 0])),
        0,
      ),
  },
  {
    name: 'scaledDotProductAttention, more keys than queries, additive mask',
    inputs: [{ shape: [2, 5, 8] }, { shape: [2, 7, 8] }, { shape: [2, 7, 3] }, { shape: [5, 7] }],
    fn: (q, k, v, m) => scaledDotProductAttention(q, k, v, { attnMask: m }),
  },
  {
    name: 'layerNorm',
    inputs: [{ shape: [4, 16] }, { shape: [16] }, { shape: [16] }],
    fn: (x, w, b) => layerNorm(x, [16], w, b),
  },
  {
    name: 'conv2d, stride 2, groups 2',
    inputs: [{ shape: [2, 4, 9, 9] }, { shape: [6, 2, 3, 3] }, { shape: [6] }],
    fn: (x, w, b) => conv2d(x, w, b, { stride: 2, groups: 2, padding: 1 }),
  },
  {
    name: 'maxPool2d',
    inputs: [{ shape: [2, 3, 9, 9] }],
    fn: (x) => maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }),
  },
  { name: 'avgPool2d', inputs: [{ shape: [2, 3, 9, 9] }], fn: (x) => avgPool2d(x, { kernelSize: 2 }) },
  {
    // the indices come from the GPU kernel: the op's own copy of them must be made there too
    name: 'maxPool2dWithIndices, maxUnpool2d',
    inputs: [{ shape: [2, 3, 6, 6] }],
    fn: (x) => {
      const { values, indices } = maxPool2dWithIndices(x, { kernelSize: 2 });
      return maxUnpool2d(values, indices, 2).add(cast(indices, 'float32').sum().reshape([1, 1, 1, 1]));
    },
  },
  {
    name: 'both pools of one input',
    inputs: [{ shape: [2, 3, 8, 8] }],
    fn: (x) => maxPool2d(x, { kernelSize: 2 }).add(avgPool2d(x, { kernelSize: 2 })),
  },
  { name: 'one input used twice', inputs: [{ shape: [2, 3] }], fn: (x) => relu(x).add(tanh(x)) },
  {
    name: 'conv2d, pools',
    inputs: [{ shape: [2, 3, 9, 9] }, { shape: [4, 3, 3, 3] }, { shape: [4] }],
    fn: (x, w, b) => {
      const y = relu(conv2d(x, w, b, { padding: 1 }));
      return maxPool2d(y, { kernelSize: 2 }).add(avgPool2d(y, { kernelSize: 2 }));
    },
  },
  {
    // cast has no GPU kernel: its cpu kernel waits for exp's values, and float64 math runs on the cpu kernels
    name: 'cast to float64 and back',
    inputs: [{ shape: [5, 7] }],
    fn: (x) => cast(cast(exp(x), 'float64').mul(2), 'float32'),
  },
  {
    // in-place ops store their result with the copy kernel, so they run on the GPU too; the output adds
    // their result (no gradient through it) to the input
    name: 'in place: add_, mul_, clamp_, copy_, fill_',
    inputs: [{ shape: [6, 11] }, { shape: [11] }],
    fn: (a, b) => {
      const c = noGrad(() => {
        const t = a.detach().clone().add_(b.detach(), { alpha: -0.5 }).mul_(b.detach()).clamp_(-0.3, 0.4);
        const u = a.detach().clone().fill_(0.25);
        return t.add(u.copy_(t.mul(2)));
      });
      return add(a, c).add(b);
    },
  },
];

/** Run `c` on the active backend: its output and the gradients of its float inputs, read asynchronously. */
async function run(c: OpSpecCase, seed: number): Promise<{ out: Float32Array; grads: Float32Array[] }> {
  const xs = c.inputs.map((spec, i) => {
    const n = spec.shape.reduce((p, d) => p * d, 1);
    if ('below' in spec) {
      const ints = new Int32Array(n);
      const v = new Rng(seed + i).floats(n, 0, spec.below);
      for (let j = 0; j < n; j++) ints[j] = Math.floor(v[j]);
      return tensor(ints, { shape: spec.shape, dtype: 'int32' });
    }
    return tensor(new Rng(seed + i).floats(n, spec.lo ?? -1, spec.hi ?? 1), { shape: spec.shape, requiresGrad: true });
  });
  const y = c.fn(...xs);
  const w = tensor(new Rng(seed + 99).floats(y.size, -1, 1), { shape: [...y.shape] });
  mul(y, w).sum().backward();
  const out = (await y.dataAsync()) as Float32Array;
  const grads: Float32Array[] = [];
  for (const x of xs) if (x.dtype === 'float32') grads.push((await (x.grad as Tensor).dataAsync()) as Float32Array);
  return { out, grads };
}

function largestError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i]));
    worst = Number.isNaN(e) ? Number.POSITIVE_INFINITY : Math.max(worst, e);
  }
  return worst;
}

/** Run every case on the cpu and on the webgpu backend (which must be initialised). */
export async function runOpParity(): Promise<ParityCase[]> {
  const before = getWebGpuStats();
  const report: ParityCase[] = [];
  for (const [k, c] of CASES.entries()) {
    setBackend('cpu');
    const ref = await run(c, 1000 + 17 * k);
    setBackend('webgpu');
    try {
      const got = await run(c, 1000 + 17 * k);
      report.push({
        name: c.name,
        outputError: largestError(ref.out, got.out),
        gradError: Math.max(0, ...ref.grads.map((g, i) => largestError(g, got.grads[i]))),
      });
    } catch (e) {
      report.push({
        name: c.name,
        outputError: Number.NaN,
        gradError: Number.NaN,
        error: `${(e as Error).name}: ${(e as Error).message}`,
      });
    }
    await syncWebGpuToHost();
    setBackend('cpu');
  }
  // How the cases ran: the cpu kernels of the ops without a GPU kernel, and the calls that waited for a copy back.
  const after = getWebGpuStats();
  const fallbacks = Object.entries(after.fallbacks)
    .map(([k, n]) => [k, n - (before.fallbacks[k] ?? 0)] as const)
    .filter(([, n]) => n > 0);
  report.push({
    name: 'counts',
    outputError: 0,
    gradError: 0,
    counts: { deferred: after.deferred - before.deferred, fallbacks: Object.fromEntries(fallbacks) },
  });
  return report;
}
