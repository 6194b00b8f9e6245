import {
  abs,
  add,
  amax,
  amin,
  avgPool2d,
  cat,
  clamp,
  conv2d,
  div,
  exp,
  gather,
  gelu,
  gradients,
  indexSelect,
  log,
  logSoftmax,
  logsumexp,
  maskedSelect,
  matmul,
  max,
  maxPool2d,
  maxWithIndices,
  mean,
  mul,
  permute,
  pow,
  relu,
  reshape,
  sigmoid,
  slice,
  softmax,
  sqrt,
  stack,
  std,
  sub,
  sum,
  type Tensor,
  take,
  tanh,
  transpose,
  variance,
  where,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import {
  closeTo,
  equalInts,
  type FixtureTensor,
  fixtureValues,
  fromFixture,
  loadFixture,
  opsTolerance,
} from './helpers/fixtures';

// PyTorch 1.13.1 reference values (see test/fixtures/README.md): forward outputs and vector-Jacobian
// products of core ops, and Hessian-vector products through double backward.

interface OpCase {
  id: string;
  torch: string;
  dtype: 'float64' | 'float32';
  inputs: Record<string, FixtureTensor>;
  requires_grad: string[];
  outputs: Record<string, FixtureTensor>;
  upstream_grads: Record<string, FixtureTensor>;
  grads: Record<string, FixtureTensor>;
  note?: string;
}

interface HvpCase {
  id: string;
  function: Record<string, unknown> & { name?: string; torch?: string; definition?: string };
  point: Record<string, FixtureTensor>;
  v: Record<string, FixtureTensor>;
  loss: number;
  grad: Record<string, FixtureTensor>;
  hvp: Record<string, FixtureTensor>;
  hessian?: FixtureTensor;
}

interface OpsFixture {
  ops: OpCase[];
  hvp: HvpCase[];
}

type Inputs = Record<string, Tensor>;
type Result = Tensor | { values: Tensor; indices: Tensor };

/** Each core case id (without its `/float32` suffix) and the nabla expression of its `torch` field. */
const OPS: Record<string, (inp: Inputs) => Result> = {
  matmul_2d: ({ a, b }) => matmul(a, b),
  matmul_vec_mat: ({ a, b }) => matmul(a, b),
  matmul_mat_vec: ({ a, b }) => matmul(a, b),
  matmul_dot: ({ a, b }) => matmul(a, b),
  matmul_batched: ({ a, b }) => matmul(a, b),
  matmul_batched_times_matrix: ({ a, b }) => matmul(a, b),
  matmul_broadcast_batch: ({ a, b }) => matmul(a, b),
  add_broadcast_3x1_1x4: ({ a, b }) => add(a, b),
  mul_broadcast_234_4: ({ a, b }) => mul(a, b),
  div_broadcast_234_31: ({ a, b }) => div(a, b),
  sub_broadcast_5_31: ({ a, b }) => sub(a, b),
  mul_scalar_tensor_broadcast: ({ a, b }) => mul(a, b),
  div_broadcast_keepdim_normalise: ({ a }) => div(a, sum(a, 1, true)),
  sum_dim1: ({ x }) => sum(x, 1),
  sum_dims02_keepdim: ({ x }) => sum(x, [0, 2], true),
  sum_all: ({ x }) => sum(x),
  mean_dim_last_keepdim: ({ x }) => mean(x, -1, true),
  mean_dims01: ({ x }) => mean(x, [0, 1]),
  mean_all: ({ x }) => mean(x),
  max_dim1: ({ x }) => maxWithIndices(x, 1),
  max_dim0_keepdim: ({ x }) => maxWithIndices(x, 0, true),
  max_all_with_ties: ({ x }) => max(x),
  amax_dim1_with_ties: ({ x }) => amax(x, 1),
  amin_dims01: ({ x }) => amin(x, [0, 1]),
  var_dim1_unbiased_default: ({ x }) => variance(x, 1),
  std_all_biased: ({ x }) => std(x, null, { unbiased: false }),
  softmax_dim_last: ({ x }) => softmax(x, -1),
  softmax_dim0: ({ x }) => softmax(x, 0),
  softmax_large_inputs: ({ x }) => softmax(x, 1),
  log_softmax_dim1: ({ x }) => logSoftmax(x, 1),
  log_softmax_large_inputs: ({ x }) => logSoftmax(x, 1),
  logsumexp_dim1: ({ x }) => logsumexp(x, 1),
  logsumexp_large_inputs: ({ x }) => logsumexp(x, 1),
  logsumexp_large_keepdim_dim0: ({ x }) => logsumexp(x, 0, true),
  conv2d_stride2_pad1: ({ x, w, b }) => conv2d(x, w, b, { stride: 2, padding: 1 }),
  conv2d_rect_kernel_nobias: ({ x, w }) => conv2d(x, w),
  max_pool2d_k2s2: ({ x }) => maxPool2d(x, { kernelSize: 2, stride: 2 }),
  max_pool2d_k3s2p1_overlap: ({ x }) => maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }),
  avg_pool2d_k2s2: ({ x }) => avgPool2d(x, { kernelSize: 2, stride: 2 }),
  avg_pool2d_k3s2p1_count_include_pad: ({ x }) => avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }),
  avg_pool2d_k3s2p1_exclude_pad: ({ x }) =>
    avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }),
  pow_scalar_2_5: ({ x }) => pow(x, 2.5),
  pow_scalar_neg_1_5: ({ x }) => pow(x, -1.5),
  pow_scalar_1_5_at_zero_and_positive: ({ x }) => pow(x, 1.5),
  pow_tensor_tensor: ({ a, b }) => pow(a, b),
  pow_integer_exponent_negative_base: ({ x }) => pow(x, 3),
  sqrt: ({ x }) => sqrt(x),
  exp: ({ x }) => exp(x),
  log: ({ x }) => log(x),
  tanh: ({ x }) => tanh(x),
  sigmoid: ({ x }) => sigmoid(x),
  gelu_exact: ({ x }) => gelu(x),
  gelu_tanh: ({ x }) => gelu(x, 'tanh'),
  relu_with_zeros: ({ x }) => relu(x),
  abs_with_zeros: ({ x }) => abs(x),
  clamp_with_boundary_values: ({ x }) => clamp(x, -0.5, 0.5),
  clamp_min_only: ({ x }) => clamp(x, 0),
  where_broadcast: ({ c, a, b }) => where(c, a, b),
  gather_dim1_repeated: ({ x, i }) => gather(x, 1, i),
  index_select_dim0: ({ x, i }) => indexSelect(x, 0, i),
  advanced_index_rows: ({ x, i }) => indexSelect(x, 0, i),
  // x[i, j] picks x[i[k], j[k]]: the flat index i * ncols + j, computed with int32 ops
  advanced_index_2d: ({ x, i, j }) => take(x, add(mul(i, x.shape[1]), j)),
  boolean_mask_index: ({ x, m }) => maskedSelect(x, m),
  slice_step: ({ x }) => slice(x, [[1], [null, null, 2]]),
  cat_dim0: ({ a, b }) => cat([a, b], 0),
  cat_dim1_three: ({ a, b, c }) => cat([a, b, c], 1),
  stack_dim0: ({ a, b, c }) => stack([a, b, c], 0),
  stack_dim_last: ({ a, b }) => stack([a, b], 2),
  transpose_0_2: ({ x }) => transpose(x, 0, 2),
  permute_2_0_1: ({ x }) => permute(x, [2, 0, 1]),
  matrix_T_then_matmul: ({ x }) => matmul(x.T, x),
  reshape: ({ x }) => reshape(x, [4, 6]),
  reshape_infer_then_flatten: ({ x }) => x.reshape([-1, 2]).flatten(),
  unsqueeze_squeeze_broadcast: ({ x, y }) => x.unsqueeze(1).mul(y.unsqueeze(0)).squeeze(),
  composite_mlp_layer: ({ x, w, b }) => x.matmul(w.T).add(b).tanh().sum(1).mean(),
};

/** Cases of losses and layers that belong to @nablajs/nn and are tested there, not here. */
const NN_LEVEL = [
  'cross_entropy_mean',
  'cross_entropy_label_smoothing',
  'cross_entropy_class_weight',
  'cross_entropy_ignore_index',
  'cross_entropy_sum',
  'bce_with_logits_mean',
  'bce_with_logits_pos_weight',
  'bce_with_logits_extreme_logits',
  'mse_loss_mean',
  'huber_loss_delta1',
  'huber_loss_delta_small',
  'smooth_l1_loss_beta1',
  'smooth_l1_loss_beta_small',
  'layer_norm_last_dim',
  'layer_norm_last_two_dims',
  'embedding_repeated_indices',
  'embedding_padding_idx',
];

const fixture = loadFixture<OpsFixture>('ops.json');
const baseId = (id: string) => id.replace(/\/float32$/, '');

function assertUnchanged(t: Tensor, expected: FixtureTensor, label: string): void {
  const want = fromFixture(expected);
  for (let i = 0; i < want.size; i++) {
    if (!Object.is(t.data[i], want.data[i])) throw new Error(`${label}: input was mutated at element ${i}`);
  }
}

describe('golden ops fixture coverage', () => {
  it('maps every fixture case to a core expression or lists it as nn-level, and nothing else', () => {
    const ids = fixture.ops.map((c) => baseId(c.id));
    const unaccounted = ids.filter((id) => !(id in OPS) && !NN_LEVEL.includes(id));
    expect(unaccounted).toEqual([]);
    expect(Object.keys(OPS).filter((id) => NN_LEVEL.includes(id))).toEqual([]);
    expect(Object.keys(OPS).filter((id) => !ids.includes(id))).toEqual([]);
    expect(NN_LEVEL.filter((id) => !ids.includes(id))).toEqual([]);
    expect(fixture.ops.length).toBe(100);
    expect(fixture.hvp.length).toBe(11);
  });
});

describe('golden ops: forward values and vector-Jacobian products vs PyTorch', () => {
  for (const c of fixture.ops.filter((op) => baseId(op.id) in OPS)) {
    it(c.id, () => {
      const tol = opsTolerance(c.dtype);
      const inputs: Inputs = {};
      for (const [name, t] of Object.entries(c.inputs))
        inputs[name] = fromFixture(t, { requiresGrad: c.requires_grad.includes(name) });

      const result = OPS[baseId(c.id)](inputs);
      const outputs: Record<string, Tensor> = 'indices' in result ? { ...result } : { out: result as Tensor };

      for (const [name, want] of Object.entries(c.outputs)) {
        const got = outputs[name];
        expect(got, `output ${name}`).toBeDefined();
        if (want.dtype === 'int64' || want.dtype === 'bool') {
          expect(got.dtype).toBe('int32');
          equalInts(got, want, `${c.id} output ${name}`);
        } else {
          expect(got.dtype, `output ${name} dtype`).toBe(c.dtype);
          closeTo(got, want, tol, `${c.id} output ${name}`);
        }
      }

      const names = Object.keys(c.upstream_grads);
      const wrt = c.requires_grad.map((n) => inputs[n]);
      const grads = gradients(
        names.map((n) => outputs[n]),
        wrt,
        names.map((n) => fromFixture(c.upstream_grads[n])),
        { allowUnused: true },
      );
      c.requires_grad.forEach((name, k) => {
        const want = c.grads[name];
        const g = grads[k];
        if (g === null) {
          const zero = fixtureValues(want).every((v) => v === 0);
          expect(zero, `gradient of ${name} is null but PyTorch's is nonzero`).toBe(true);
          return;
        }
        expect(g.dtype, `gradient of ${name} dtype`).toBe(c.dtype);
        closeTo(g, want, tol, `${c.id} grad ${name}`);
      });

      for (const [name, t] of Object.entries(c.inputs)) assertUnchanged(inputs[name], t, `${c.id} input ${name}`);
    });
  }
});

// ---- second order ------------------------------------------------------------------------------

type Loss = (p: Inputs) => Tensor;

/** The scalar element `i` of a 1-D tensor, kept in the graph. */
function element(p: Tensor, i: number): Tensor {
  return reshape(slice(p, [[i, i + 1]]), []);
}

function rosenbrock(fn: HvpCase['function']): Loss {
  const a = fn.a as number;
  const b = fn.b as number;
  // f(p) = (a - p0)^2 + b (p1 - p0^2)^2
  return ({ xy }) => {
    const x = element(xy, 0);
    const y = element(xy, 1);
    return sub(a, x).square().add(sub(y, x.square()).square().mul(b));
  };
}

function quadratic(fn: HvpCase['function']): Loss {
  const A = fromFixture(fn.A as FixtureTensor);
  const b = fromFixture(fn.b as FixtureTensor);
  // f(x) = 0.5 xᵀAx - bᵀx
  return ({ x }) => mul(x.dot(matmul(A, x)), 0.5).sub(b.dot(x));
}

function mlp(fn: HvpCase['function']): Loss {
  expect(fn.layer_sizes).toEqual([4, 8, 3]);
  expect(fn.activation).toBe('tanh');
  const X = fromFixture(fn.X as FixtureTensor);
  const y = fromFixture(fn.y as FixtureTensor);
  const n = X.shape[0];
  // h = tanh(X W1ᵀ + b1); logits = h W2ᵀ + b2; loss = mean_i(logsumexp_c(logits[i, c]) - logits[i, y_i])
  return ({ W1, b1, W2, b2 }) => {
    const h = tanh(add(matmul(X, W1.T), b1));
    const logits = add(matmul(h, W2.T), b2);
    const picked = reshape(gather(logits, 1, reshape(y, [n, 1])), [n]);
    return mean(sub(logsumexp(logits, 1), picked));
  };
}

function weightedElementwise(fn: HvpCase['function'], f: (x: Tensor) => Tensor): Loss {
  const w = fromFixture(fn.w as FixtureTensor);
  return ({ x }) => sum(mul(w, f(x)));
}

/** The loss of each HVP case, rebuilt from its problem definition in the fixture. */
const HVP_LOSSES: Record<string, (fn: HvpCase['function']) => Loss> = {
  rosenbrock2d_hvp: rosenbrock,
  quadratic_hvp: quadratic,
  mlp_hvp: mlp,
  tanh_hvp: (fn) => weightedElementwise(fn, tanh),
  sigmoid_hvp: (fn) => weightedElementwise(fn, sigmoid),
  gelu_exact_hvp: (fn) => weightedElementwise(fn, (x) => gelu(x)),
  gelu_tanh_hvp: (fn) => weightedElementwise(fn, (x) => gelu(x, 'tanh')),
  exp_hvp: (fn) => weightedElementwise(fn, exp),
  log_hvp: (fn) => weightedElementwise(fn, log),
  sqrt_hvp: (fn) => weightedElementwise(fn, sqrt),
  // F.cross_entropy(x.reshape(1, -1), [2]) = -log_softmax(x)[2]
  softmax_cross_entropy_hvp:
    () =>
    ({ x }) =>
      element(logSoftmax(x, 0), 2).neg(),
};

/** The torch recipe: g = grad(f(p), p, create_graph=True); hvp = grad(g, p, grad_outputs=v). */
function hessianVectorProduct(loss: Loss, point: Inputs, names: string[], v: Tensor[]) {
  const params = names.map((n) => point[n]);
  const value = loss(point);
  const g = gradients([value], params, null, { createGraph: true });
  const hvp = gradients(
    g.map((t) => t as Tensor),
    params,
    v,
    { allowUnused: true },
  );
  return { value, g: g as Tensor[], hvp };
}

describe('golden ops: Hessian-vector products vs PyTorch (double backward)', () => {
  it('has a loss for every hvp case', () => {
    expect(fixture.hvp.map((c) => c.id).filter((id) => !(id in HVP_LOSSES))).toEqual([]);
  });

  for (const c of fixture.hvp) {
    it(c.id, () => {
      const tol = opsTolerance('float64');
      const names = Object.keys(c.point);
      const point: Inputs = {};
      for (const n of names) point[n] = fromFixture(c.point[n], { requiresGrad: true });
      const v = names.map((n) => fromFixture(c.v[n]));
      const loss = HVP_LOSSES[c.id](c.function);
      const { value, g, hvp } = hessianVectorProduct(loss, point, names, v);

      closeTo(value, { shape: [], dtype: 'float64', data: [c.loss] }, tol, `${c.id} loss`);
      names.forEach((n, k) => {
        closeTo(g[k], c.grad[n], tol, `${c.id} grad ${n}`);
        const h = hvp[k];
        if (h === null) {
          expect(
            fixtureValues(c.hvp[n]).every((x) => x === 0),
            `hvp of ${n} is null but PyTorch's is nonzero`,
          ).toBe(true);
          return;
        }
        closeTo(h, c.hvp[n], tol, `${c.id} hvp ${n}`);
      });

      if (c.hessian !== undefined) {
        // the full Hessian, one column per basis vector
        const size = point[names[0]].size;
        const columns: number[][] = [];
        for (let j = 0; j < size; j++) {
          const e = fromFixture({
            shape: [size],
            dtype: 'float64',
            data: Array.from({ length: size }, (_, i) => (i === j ? 1 : 0)),
          });
          const col = hessianVectorProduct(loss, point, names, [e]).hvp[0] as Tensor;
          columns.push(Array.from(col.data));
        }
        const full = Array.from({ length: size * size }, (_, k) => columns[k % size][Math.floor(k / size)]);
        const got = fromFixture({ shape: [size, size], dtype: 'float64', data: full });
        closeTo(got, c.hessian, tol, `${c.id} hessian`);
      }
    });
  }
});
