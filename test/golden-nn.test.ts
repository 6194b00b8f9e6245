import { gradients, reshape, type Tensor, tensor } from '@nablajs/core';
import { F } from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import { closeTo, type FixtureTensor, fixtureValues, fromFixture, loadFixture, opsTolerance } from './helpers/fixtures';

// PyTorch 1.13.1 reference values (see test/fixtures/README.md) for the nn-level cases of ops.json:
// losses, layer norm and embedding, forward values and vector-Jacobian products, plus the
// softmax-cross-entropy Hessian-vector product through double backward.

interface OpCase {
  id: string;
  torch: string;
  dtype: 'float64' | 'float32';
  inputs: Record<string, FixtureTensor>;
  requires_grad: string[];
  outputs: Record<string, FixtureTensor>;
  upstream_grads: Record<string, FixtureTensor>;
  grads: Record<string, FixtureTensor>;
}

interface HvpCase {
  id: string;
  point: Record<string, FixtureTensor>;
  v: Record<string, FixtureTensor>;
  loss: number;
  grad: Record<string, FixtureTensor>;
  hvp: Record<string, FixtureTensor>;
}

type Inputs = Record<string, Tensor>;

/** Each nn-level case id (without its `/float32` suffix) and the nabla expression of its `torch` field. */
const NN_CASES: Record<string, (inp: Inputs) => Tensor> = {
  cross_entropy_mean: ({ x, t }) => F.crossEntropy(x, t),
  cross_entropy_label_smoothing: ({ x, t }) => F.crossEntropy(x, t, { labelSmoothing: 0.1 }),
  cross_entropy_class_weight: ({ x, t, w }) => F.crossEntropy(x, t, { weight: w }),
  cross_entropy_ignore_index: ({ x, t }) => F.crossEntropy(x, t),
  cross_entropy_sum: ({ x, t }) => F.crossEntropy(x, t, { reduction: 'sum' }),
  bce_with_logits_mean: ({ x, y }) => F.binaryCrossEntropyWithLogits(x, y),
  bce_with_logits_pos_weight: ({ x, y, pw }) => F.binaryCrossEntropyWithLogits(x, y, { posWeight: pw }),
  bce_with_logits_extreme_logits: ({ x, y }) => F.binaryCrossEntropyWithLogits(x, y),
  mse_loss_mean: ({ a, b }) => F.mseLoss(a, b),
  huber_loss_delta1: ({ a, b }) => F.huberLoss(a, b, { delta: 1 }),
  huber_loss_delta_small: ({ a, b }) => F.huberLoss(a, b, { delta: 0.5 }),
  smooth_l1_loss_beta1: ({ a, b }) => F.smoothL1Loss(a, b),
  smooth_l1_loss_beta_small: ({ a, b }) => F.smoothL1Loss(a, b, { beta: 0.5 }),
  layer_norm_last_dim: ({ x, w, b }) => F.layerNorm(x, [x.shape[x.ndim - 1]], w, b, 1e-5),
  layer_norm_last_two_dims: ({ x, w, b }) => F.layerNorm(x, x.shape.slice(-2), w, b),
  embedding_repeated_indices: ({ i, w }) => F.embedding(i, w),
  embedding_padding_idx: ({ i, w }) => F.embedding(i, w, 0),
};

const fixture = loadFixture<{ ops: OpCase[]; hvp: HvpCase[] }>('ops.json');
const baseId = (id: string) => id.replace(/\/float32$/, '');
const nnCases = fixture.ops.filter((c) => baseId(c.id) in NN_CASES);

describe('golden nn fixture coverage', () => {
  it('runs every nn-level case of ops.json, including the float32 copies', () => {
    expect(nnCases.map((c) => c.id).sort()).toEqual(
      [
        ...Object.keys(NN_CASES),
        'cross_entropy_label_smoothing/float32',
        'layer_norm_last_dim/float32',
        'bce_with_logits_extreme_logits/float32',
      ].sort(),
    );
    for (const c of nnCases)
      expect(c.torch, c.id).toMatch(
        /^F\.(cross_entropy|binary_cross_entropy_with_logits|mse_loss|huber_loss|smooth_l1_loss|layer_norm|embedding)\(/,
      );
  });
});

describe('golden nn: forward values and vector-Jacobian products vs PyTorch', () => {
  for (const c of nnCases) {
    it(c.id, () => {
      const tol = opsTolerance(c.dtype);
      const inputs: Inputs = {};
      for (const [name, t] of Object.entries(c.inputs))
        inputs[name] = fromFixture(t, { requiresGrad: c.requires_grad.includes(name) });

      const out = NN_CASES[baseId(c.id)](inputs);
      expect(out.dtype).toBe(c.dtype);
      closeTo(out, c.outputs.out, tol, `${c.id} output`);

      const wrt = c.requires_grad.map((n) => inputs[n]);
      const grads = gradients([out], wrt, [fromFixture(c.upstream_grads.out)]);
      c.requires_grad.forEach((name, k) => {
        const g = grads[k] as Tensor;
        expect(g.dtype, `gradient of ${name} dtype`).toBe(c.dtype);
        closeTo(g, c.grads[name], tol, `${c.id} grad ${name}`);
      });

      for (const [name, t] of Object.entries(c.inputs)) {
        const want = fromFixture(t);
        expect(Array.from(inputs[name].data), `${c.id}: input ${name} was mutated`).toEqual(Array.from(want.data));
      }
    });
  }

  it('bce_with_logits_extreme_logits gives finite values and gradients (stable form)', () => {
    for (const c of fixture.ops.filter((op) => baseId(op.id) === 'bce_with_logits_extreme_logits')) {
      const x = fromFixture(c.inputs.x, { requiresGrad: true });
      expect(fixtureValues(c.inputs.x).some((v) => Math.abs(v) >= 800)).toBe(true);
      const out = F.binaryCrossEntropyWithLogits(x, fromFixture(c.inputs.y));
      const [g] = gradients([out], [x]);
      expect(Number.isFinite(out.item())).toBe(true);
      expect(Array.from((g as Tensor).data).every(Number.isFinite)).toBe(true);
    }
  });
});

describe('golden nn: softmax cross-entropy Hessian-vector product (double backward)', () => {
  it('softmax_cross_entropy_hvp', () => {
    const c = fixture.hvp.find((h) => h.id === 'softmax_cross_entropy_hvp') as HvpCase;
    expect(c).toBeDefined();
    const tol = opsTolerance('float64');
    const x = fromFixture(c.point.x, { requiresGrad: true });
    // F.cross_entropy(x.reshape(1, -1), torch.tensor([2]))
    const loss = F.crossEntropy(reshape(x, [1, x.size]), tensor([2], { dtype: 'int32' }));
    const [g] = gradients([loss], [x], null, { createGraph: true });
    const [hvp] = gradients([g as Tensor], [x], [fromFixture(c.v.x)]);
    closeTo(loss, { shape: [], dtype: 'float64', data: [c.loss] }, tol, 'loss');
    closeTo(g as Tensor, c.grad.x, tol, 'grad');
    closeTo(hvp as Tensor, c.hvp.x, tol, 'hvp');
  });
});
