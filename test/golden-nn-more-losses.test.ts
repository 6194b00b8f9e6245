import {
  abs,
  bringToHost,
  Generator,
  gradients,
  IndexError,
  manualSeed,
  randn,
  sub,
  sum,
  type Tensor,
  tensor,
} from '@nablajs/core';
import { type DistanceFunction, F, MultiLabelMarginLoss, TripletMarginWithDistanceLoss } from '@nablajs/nn';
import { afterEach, describe, expect, it } from 'vitest';
import { startDeviceSim, stopDeviceSim } from './helpers/device-sim';
import { closeTo, type FixtureTensor, fromFixture, loadFixture, opsTolerance } from './helpers/fixtures';

// PyTorch 1.13.1 reference values of triplet_margin_with_distance_loss and multilabel_margin_loss
// (scripts/fixtures/make_nn_more_losses_fixture.py): every case runs as the F function and as the module,
// forward and backward with the same upstream gradient.

interface Case {
  id: string;
  kind: 'triplet' | 'multilabel';
  dtype: 'float64' | 'float32';
  options: { margin?: number; swap?: boolean; reduction: 'none' | 'mean' | 'sum' };
  distance: 'pairwise' | 'pairwise_p1' | 'cosine' | 'l1' | null;
  inputs: FixtureTensor[];
  requires_grad: boolean[];
  output: FixtureTensor;
  upstream: FixtureTensor;
  grads: (FixtureTensor | null)[];
}

const fixture = loadFixture<{ format: string; torch_version: string; cases: Case[] }>('nn-more-losses.json');

// The fixture's distance functions, written with nabla ops (undefined: the default, pairwise distance).
const DISTANCES: Record<string, DistanceFunction | undefined> = {
  pairwise: undefined,
  pairwise_p1: (a, b) => F.pairwiseDistance(a, b, { p: 1 }),
  cosine: (a, b) => sub(1, F.cosineSimilarity(a, b, { axis: -1 })),
  l1: (a, b) => sum(abs(sub(a, b)), -1),
};

function check(c: Case, out: Tensor, xs: Tensor[], via: string): void {
  const tol = opsTolerance(c.dtype);
  closeTo(out, c.output, tol, `${c.id} (${via}) output`);
  const wanted = xs.filter((_, i) => c.requires_grad[i]);
  const grads = gradients([out], wanted, [fromFixture(c.upstream)]);
  let k = 0;
  c.grads.forEach((g, i) => {
    if (g === null) return;
    closeTo(grads[k++] as Tensor, g, tol, `${c.id} (${via}) grad of input ${i}`);
  });
}

function inputsOf(c: Case): Tensor[] {
  return c.inputs.map((t, i) => fromFixture(t, { requiresGrad: c.requires_grad[i] }));
}

describe('golden nn-more-losses fixture', () => {
  it('was written by PyTorch 1.13 and covers every reduction, distance, swap, hinge, shape and dtype', () => {
    expect(fixture.torch_version).toMatch(/^1\.13\./); // Debian's 1.13.1 reports 1.13.0a0
    expect(fixture.format).toBe('nabla-nn-more-losses/v1');
    const triplets = fixture.cases.filter((c) => c.kind === 'triplet');
    const multilabel = fixture.cases.filter((c) => c.kind === 'multilabel');
    for (const cases of [triplets, multilabel]) {
      expect(new Set(cases.map((c) => c.options.reduction))).toEqual(new Set(['none', 'mean', 'sum']));
      expect(new Set(cases.map((c) => c.dtype))).toEqual(new Set(['float32', 'float64']));
    }
    expect(new Set(triplets.map((c) => c.distance))).toEqual(new Set(Object.keys(DISTANCES)));
    expect(new Set(triplets.map((c) => c.options.swap))).toEqual(new Set([true, false]));
    expect(new Set(triplets.map((c) => c.inputs[0].shape.length))).toEqual(new Set([1, 2]));
    expect(new Set(multilabel.map((c) => c.inputs[0].shape.length))).toEqual(new Set([0, 1, 2]));
    // Targets with an immediate -1 and full rows.
    const rows = multilabel.flatMap((c) => {
      const t = c.inputs[1];
      const width = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1];
      const out: number[][] = [];
      for (let i = 0; i < t.data.length; i += width) out.push(t.data.slice(i, i + width) as number[]);
      return out;
    });
    expect(rows.some((r) => r[0] === -1)).toBe(true);
    expect(rows.some((r) => r.length > 1 && !r.includes(-1) && new Set(r).size === r.length)).toBe(true);
  });
});

describe('golden nn-more-losses: F functions and modules vs PyTorch', () => {
  for (const c of fixture.cases) {
    it(c.id, () => {
      if (c.kind === 'triplet') {
        const distanceFunction = DISTANCES[c.distance as string];
        const options = { ...c.options, distanceFunction };
        const xs = inputsOf(c);
        check(c, F.tripletMarginWithDistanceLoss(xs[0], xs[1], xs[2], options), xs, 'F');
        const ys = inputsOf(c);
        check(c, new TripletMarginWithDistanceLoss(options).forward(ys[0], ys[1], ys[2]), ys, 'module');
      } else {
        const xs = inputsOf(c);
        check(c, F.multilabelMarginLoss(xs[0], xs[1], c.options), xs, 'F');
        const ys = inputsOf(c);
        check(c, new MultiLabelMarginLoss(c.options).forward(ys[0], ys[1]), ys, 'module');
      }
    });
  }
});

// On the simulated device (test/helpers/device-sim.ts), with inputs computed there: the cpu's values and
// gradients bit for bit and no synchronous read, as on the webgpu backend.
describe('more losses on the simulated device', () => {
  afterEach(() => stopDeviceSim());
  const targets = () =>
    tensor(
      [
        [2, 0, -1, 1],
        [-1, 1, 1, 1],
        [3, 2, 1, 0],
      ],
      { dtype: 'int32' },
    ).mul(1);
  const cases: [string, (x: Tensor) => Tensor][] = [
    ['multilabelMarginLoss', (x) => F.multilabelMarginLoss(x, targets(), { reduction: 'none' })],
    ['tripletMarginWithDistanceLoss', (x) => F.tripletMarginWithDistanceLoss(x, x.mul(0.5), x.flip(0), { swap: true })],
    [
      'tripletMarginWithDistanceLoss (l1)',
      (x) => F.tripletMarginWithDistanceLoss(x, x.mul(2), x.flip(1), { distanceFunction: DISTANCES.l1 }),
    ],
    ['gumbelSoftmax (hard)', (x) => F.gumbelSoftmax(x, { hard: true, generator: new Generator(1) })],
  ];
  for (const [name, fn] of cases)
    it(`${name}: the cpu values and gradients, no synchronous read`, async () => {
      const run = () => {
        const x = randn([3, 4], { requiresGrad: true });
        const y = fn(x.mul(1));
        y.square().sum().backward();
        return [y, x.grad as Tensor];
      };
      manualSeed(5);
      const cpu = run().map((t) => Array.from(t.values));
      const stats = startDeviceSim();
      manualSeed(5);
      const outs = run();
      await bringToHost(outs);
      expect(stats.refused).toEqual([]);
      expect(stats.deviceKernels).toBeGreaterThan(0);
      expect(outs.map((t) => Array.from(t.values))).toEqual(cpu);
    });

  it('multilabelMarginLoss: an out-of-range target on the device is an IndexError when values are awaited', async () => {
    startDeviceSim();
    const bad = tensor([[0, 4, -1]], { dtype: 'int32' }).mul(1);
    const loss = F.multilabelMarginLoss(randn([1, 3]).mul(1), bad);
    await expect(bringToHost([loss])).rejects.toThrow(IndexError);
  });
});
